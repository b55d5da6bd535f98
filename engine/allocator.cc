#include "engine/allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "engine/check.h"

#if defined(__SANITIZE_ADDRESS__)
#define NB360_POOL_DEFAULT false
#else
#define NB360_POOL_DEFAULT true
#endif

namespace nb360 {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMaxCachedBytes = size_t{4} << 30;  // keep at most 4 GiB idle

// Rounds up to a size class: multiples of 64 bytes below 4 KiB, then four classes per power of two.
size_t SizeClass(size_t n) {
  if (n <= 4096) return (n + 63) & ~size_t{63};
  size_t p = 4096;
  while (p * 2 < n) p *= 2;
  const size_t step = p / 4;
  return (n + step - 1) / step * step;
}

class PooledCpuAllocator : public Allocator {
 public:
  void* Allocate(size_t nbytes) override {
    const size_t size = SizeClass(nbytes == 0 ? 1 : nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.allocations;
      stats_.bytes_in_use += size;
      if (pool_enabled_) {
        auto it = free_.find(size);
        if (it != free_.end() && !it->second.empty()) {
          void* p = it->second.back();
          it->second.pop_back();
          stats_.bytes_cached -= size;
          ++stats_.pool_hits;
          return p;
        }
      }
    }
    void* p = std::aligned_alloc(kAlignment, size);
    if (p == nullptr) {
      EmptyCache();
      p = std::aligned_alloc(kAlignment, size);
    }
    NB_CHECK(p != nullptr, "CPU allocator: out of memory allocating ", nbytes, " bytes");
    return p;
  }

  void Free(void* ptr, size_t nbytes) override {
    if (ptr == nullptr) return;
    const size_t size = SizeClass(nbytes == 0 ? 1 : nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    stats_.bytes_in_use -= size;
    if (pool_enabled_ && stats_.bytes_cached + size <= static_cast<int64_t>(kMaxCachedBytes)) {
      free_[size].push_back(ptr);
      stats_.bytes_cached += size;
      return;
    }
    std::free(ptr);
  }

  void EmptyCache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, ptrs] : free_) {
      for (void* p : ptrs) std::free(p);
    }
    free_.clear();
    stats_.bytes_cached = 0;
  }

  AllocatorStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
  bool pool_enabled_ = NB360_POOL_DEFAULT && std::getenv("NB360_NO_POOL") == nullptr;
};

PooledCpuAllocator* Pool() {
  static auto* pool = new PooledCpuAllocator();  // never destroyed: tensors may outlive statics
  return pool;
}

Allocator* g_allocators[2] = {nullptr, nullptr};

}  // namespace

Allocator* CpuAllocator() { return Pool(); }
AllocatorStats CpuAllocatorStats() { return Pool()->Stats(); }
void EmptyCpuCache() { Pool()->EmptyCache(); }

Allocator* GetAllocator(Device device) {
  if (device.type == DeviceType::kCPU) return CpuAllocator();
  Allocator* a = g_allocators[static_cast<int>(device.type)];
  NB_CHECK(a != nullptr, "no allocator for device ", device.ToString(),
           ": this build has no CUDA backend (build with --config=cuda)");
  return a;
}

void SetAllocator(DeviceType type, Allocator* allocator) {
  g_allocators[static_cast<int>(type)] = allocator;
}

}  // namespace nb360
