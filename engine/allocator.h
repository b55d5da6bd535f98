// engine/allocator.h: device memory allocators.
//
// The CPU allocator pools freed blocks by size class so that the many same-sized activations of a
// training step reuse memory instead of paying for mmap/munmap and page faults each step (the cost
// glibc's default thresholds impose on large blocks). Blocks are 64-byte aligned.
// Builds with AddressSanitizer bypass the pool so that use-after-free stays detectable.
#ifndef NB360_ENGINE_ALLOCATOR_H_
#define NB360_ENGINE_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>

#include "engine/device.h"

namespace nb360 {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* Allocate(size_t nbytes) = 0;
  virtual void Free(void* ptr, size_t nbytes) = 0;
};

struct AllocatorStats {
  int64_t bytes_in_use = 0;   // handed out and not yet freed
  int64_t bytes_cached = 0;   // held in the pool for reuse
  int64_t allocations = 0;    // Allocate() calls
  int64_t pool_hits = 0;      // of which served from the pool
};

// The process-wide CPU allocator (thread-safe).
Allocator* CpuAllocator();
AllocatorStats CpuAllocatorStats();
// Returns every cached block to the system.
void EmptyCpuCache();

// The allocator for a device; CUDA's is installed by the CUDA backend when it is built in.
Allocator* GetAllocator(Device device);
void SetAllocator(DeviceType type, Allocator* allocator);

}  // namespace nb360

#endif  // NB360_ENGINE_ALLOCATOR_H_
