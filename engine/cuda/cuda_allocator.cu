// engine/cuda/cuda_allocator.cu: see cuda_allocator.h.
#include "engine/cuda/cuda_allocator.h"

#include <map>
#include <mutex>
#include <vector>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"

namespace nb360 {
namespace cuda {
namespace {

size_t RoundSize(size_t n) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kLargeFrom = size_t{1} << 20;
  if (n == 0) n = 1;
  const size_t step = n < kLargeFrom ? kSmall : kLarge;
  return (n + step - 1) / step * step;
}

class Caching : public Allocator {
 public:
  void* Allocate(size_t nbytes) override {
    const size_t size = RoundSize(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      ++stats_.cache_hits;
      stats_.bytes_cached -= static_cast<int64_t>(size);
      stats_.bytes_in_use += static_cast<int64_t>(size);
      return p;
    }
    void* p = nullptr;
    cudaError_t status = cudaMalloc(&p, size);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the sticky-free error state of this call
      ReleaseLocked();
      status = cudaMalloc(&p, size);
    }
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      ThrowError("CUDA out of memory: cudaMalloc(", size, " bytes) failed (", cudaGetErrorString(status),
                 "); ", stats_.bytes_in_use, " bytes in use by tensors, cache released");
    }
    ++stats_.device_mallocs;
    stats_.bytes_in_use += static_cast<int64_t>(size);
    return p;
  }

  void Free(void* ptr, size_t nbytes) override {
    if (ptr == nullptr) return;
    const size_t size = RoundSize(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    free_[size].push_back(ptr);
    stats_.bytes_in_use -= static_cast<int64_t>(size);
    stats_.bytes_cached += static_cast<int64_t>(size);
  }

  CudaMemoryStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    ReleaseLocked();
  }

 private:
  void ReleaseLocked() {
    // Blocks may still be read by queued work: wait for the stream before returning them.
    cudaStreamSynchronize(CurrentStream());
    for (auto& [size, blocks] : free_) {
      for (void* p : blocks) cudaFree(p);
      stats_.bytes_cached -= static_cast<int64_t>(size * blocks.size());
      blocks.clear();
    }
  }

  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  CudaMemoryStats stats_;
};

Caching& Instance() {
  static Caching* allocator = new Caching();  // never destroyed: blocks may outlive static tensors
  return *allocator;
}

}  // namespace

Allocator* CachingAllocator() { return &Instance(); }
CudaMemoryStats MemoryStats() { return Instance().Stats(); }
void EmptyCache() { Instance().Release(); }

}  // namespace cuda
}  // namespace nb360
