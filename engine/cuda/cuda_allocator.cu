// engine/cuda/cuda_allocator.cu: see cuda_allocator.h.
#include "engine/cuda/cuda_allocator.h"

#include <map>
#include <mutex>
#include <unordered_map>
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

// Free blocks by rounded size.
using FreeLists = std::map<size_t, std::vector<void*>>;

void* Take(FreeLists& lists, size_t size) {
  auto it = lists.find(size);
  if (it == lists.end() || it->second.empty()) return nullptr;
  void* p = it->second.back();
  it->second.pop_back();
  return p;
}

class Caching : public Allocator {
 public:
  void* Allocate(size_t nbytes) override {
    BindThread();  // cudaMalloc on the process's GPU, whichever thread asks
    const size_t size = RoundSize(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    FreeLists& lists = capturing_ != 0 ? pools_[capturing_] : free_;
    if (void* p = Take(lists, size)) {
      ++stats_.cache_hits;
      stats_.bytes_cached -= static_cast<int64_t>(size);
      stats_.bytes_in_use += static_cast<int64_t>(size);
      return p;
    }
    void* p = nullptr;
    cudaError_t status = cudaMalloc(&p, size);
    if (status == cudaErrorMemoryAllocation && capturing_ == 0) {
      (void)cudaGetLastError();  // clear the error state of this call
      ReleaseLocked();
      status = cudaMalloc(&p, size);
    }
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      ThrowError("CUDA out of memory: cudaMalloc(", size, " bytes) failed (", cudaGetErrorString(status), "); ",
                 stats_.bytes_in_use, " bytes in use by tensors",
                 capturing_ != 0 ? " (during graph capture: cache not released)" : ", cache released");
    }
    ++stats_.device_mallocs;
    stats_.bytes_in_use += static_cast<int64_t>(size);
    if (capturing_ != 0) owner_[p] = capturing_;
    return p;
  }

  void Free(void* ptr, size_t nbytes) override {
    if (ptr == nullptr) return;
    const size_t size = RoundSize(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    if (capturing_ != 0) {
      // Recorded kernels may still touch it: the graph keeps it. A block this recording allocated
      // may serve a later allocation of the recording (a replay writes it before reading it); any
      // other block (allocated before, e.g. an eager tensor the graph reads) keeps its contents for
      // the replays: held, never handed out again while the pool lives.
      auto it = owner_.find(ptr);
      const bool recorded = it != owner_.end() && it->second == capturing_;
      owner_[ptr] = capturing_;
      (recorded ? pools_[capturing_] : held_[capturing_])[size].push_back(ptr);
    } else if (auto it = owner_.find(ptr); it != owner_.end()) {
      pools_[it->second][size].push_back(ptr);
    } else {
      free_[size].push_back(ptr);
    }
    stats_.bytes_in_use -= static_cast<int64_t>(size);
    stats_.bytes_cached += static_cast<int64_t>(size);
  }

  CudaMemoryStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    NB_CHECK(capturing_ == 0, "EmptyCache during graph capture");
    ReleaseLocked();
  }

  int BeginPool() {
    std::lock_guard<std::mutex> lock(mu_);
    NB_CHECK(capturing_ == 0, "graph capture pools do not nest");
    capturing_ = ++last_pool_;
    pools_[capturing_];
    return capturing_;
  }

  void EndPool() {
    std::lock_guard<std::mutex> lock(mu_);
    capturing_ = 0;
  }

  void ReleasePool(int pool) {
    CudaCheck(cudaStreamSynchronize(CurrentStream()), "cudaStreamSynchronize (releasing a graph's memory)");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pools_.find(pool);
    if (it == pools_.end()) return;
    for (FreeLists* lists : {&it->second, &held_[pool]}) {
      for (auto& [size, blocks] : *lists) {
        for (void* p : blocks) {
          free_[size].push_back(p);
          owner_.erase(p);
        }
      }
    }
    pools_.erase(it);
    held_.erase(pool);
    for (auto o = owner_.begin(); o != owner_.end();) {  // blocks still in use: shared when freed
      o = o->second == pool ? owner_.erase(o) : std::next(o);
    }
  }

 private:
  void ReleaseLocked() {
    BindThread();
    // Blocks may still be read by queued work: wait for the stream before returning them.
    cudaStreamSynchronize(CurrentStream());
    for (auto& [size, blocks] : free_) {
      for (void* p : blocks) cudaFree(p);
      stats_.bytes_cached -= static_cast<int64_t>(size * blocks.size());
      blocks.clear();
    }
  }

  std::mutex mu_;
  FreeLists free_;                        // the shared cache
  std::map<int, FreeLists> pools_;        // graph pools' free blocks (reused while recording)
  std::map<int, FreeLists> held_;         // blocks from outside a recording freed during it
  std::unordered_map<void*, int> owner_;  // blocks that belong to a graph pool
  int capturing_ = 0;                     // the pool being captured into, 0 for none
  int last_pool_ = 0;
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
int BeginCapturePool() { return Instance().BeginPool(); }
void EndCapturePool() { Instance().EndPool(); }
void ReleaseCapturePool(int pool) { Instance().ReleasePool(pool); }

}  // namespace cuda
}  // namespace nb360
