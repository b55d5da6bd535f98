// engine/cuda/cuda_allocator.h: the caching device allocator (installed by InitCudaBackend).
//
// Freed blocks go to per-size free lists (sizes rounded up: 512 B steps below 1 MiB, 2 MiB steps
// above) and are handed out again without cudaMalloc/cudaFree, so a training step in steady state
// calls neither. All engine work runs on one stream (cuda_stream.h), so a block freed by one op can be
// reused by the next without synchronising. When cudaMalloc fails, the cache is released to the
// driver and the call retried once; a second failure is an error naming the request and the usage.
#ifndef NB360_ENGINE_CUDA_CUDA_ALLOCATOR_H_
#define NB360_ENGINE_CUDA_CUDA_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>

#include "engine/allocator.h"

namespace nb360 {
namespace cuda {

struct CudaMemoryStats {
  int64_t bytes_in_use = 0;   // handed out, not yet freed
  int64_t bytes_cached = 0;   // held in the free lists
  int64_t allocations = 0;    // Allocate() calls
  int64_t cache_hits = 0;     // of which served from the free lists
  int64_t device_mallocs = 0; // cudaMalloc calls
};

// The process-wide caching allocator for device 0.
Allocator* CachingAllocator();
CudaMemoryStats MemoryStats();
// Returns every cached block of the shared cache to the driver (cudaFree).
void EmptyCache();

// Graph-capture pools (cuda_graph.h). Between BeginCapturePool() and EndCapturePool(), every
// allocation is served from a new private pool and every block freed (whoever allocated it) joins
// it; its blocks are never handed to other allocations until ReleaseCapturePool(), so a captured
// graph can replay into the same addresses. Only blocks the recording itself allocated are reused
// within it; a block allocated before and freed during the recording keeps its contents for the
// replays. Blocks of a live pool freed later return to the pool.
// No cudaFree or synchronisation happens while a pool is capturing (an out-of-memory is an error).
int BeginCapturePool();
void EndCapturePool();
// After the graph is gone: the pool's free blocks return to the shared cache, and its blocks still
// in use return there when freed. Synchronises the stream first (a replay may still be running).
void ReleaseCapturePool(int pool);

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_CUDA_ALLOCATOR_H_
