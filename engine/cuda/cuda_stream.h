// engine/cuda/cuda_stream.h: the stream every CUDA kernel and copy of the engine runs on.
//
// One non-blocking stream per process (device 0): work is ordered on it, so the caching allocator
// may hand a freed block to the next op without synchronising. Host reads (item(), ToVector(), copies
// to the CPU) synchronise it.
#ifndef NB360_ENGINE_CUDA_CUDA_STREAM_H_
#define NB360_ENGINE_CUDA_CUDA_STREAM_H_

#include <cuda_runtime.h>

namespace nb360 {
namespace cuda {

cudaStream_t CurrentStream();

// Threads per block and the number of blocks for n elements (grid-stride loops cap the count).
constexpr int kThreads = 256;
inline int BlocksFor(long long n) {
  const long long b = (n + kThreads - 1) / kThreads;
  return static_cast<int>(b < 1 ? 1 : (b > 65535LL * 8 ? 65535LL * 8 : b));
}

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_CUDA_STREAM_H_
