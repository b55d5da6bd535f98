// ops/cuda/cudnn_util.h: the process's cuDNN handle and cuDNN errors as engine errors.
//
// One handle for the process, created on first use (thread-safe static initialisation) and never
// destroyed (it would outlive the CUDA context at exit). WithCudnn runs a function on it while
// holding its lock, after binding it to cuda::CurrentStream(); callers that cache descriptors keep
// them under the same lock. cuDNN calls are asynchronous: the lock covers their launch only.
#ifndef NB360_OPS_CUDA_CUDNN_UTIL_H_
#define NB360_OPS_CUDA_CUDNN_UTIL_H_

#include <cudnn.h>

#include <mutex>

#include "engine/check.h"
#include "engine/cuda/cuda_stream.h"

namespace nb360 {
namespace cuda {

// Throws nb360::Error naming `call` and the cuDNN status unless `status` is success.
inline void CudnnCheck(cudnnStatus_t status, const char* call) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  ThrowError("CUDA: ", call, " failed: ", cudnnGetErrorString(status), " (cuDNN status ", static_cast<int>(status),
             ")");
}

struct CudnnState {
  std::mutex mu;
  cudnnHandle_t handle = nullptr;
};

inline CudnnState& Cudnn() {
  static CudnnState* state = [] {
    auto* s = new CudnnState();
    CudnnCheck(cudnnCreate(&s->handle), "cudnnCreate");
    return s;
  }();
  return *state;
}

// Runs fn(handle) under the handle's lock, with the handle bound to the current stream.
template <class Fn>
void WithCudnn(Fn&& fn) {
  const cudaStream_t stream = CurrentStream();  // first: binds this thread to the process's GPU,
  CudnnState& state = Cudnn();                 // where the handle is created on first use
  std::lock_guard<std::mutex> lock(state.mu);
  CudnnCheck(cudnnSetStream(state.handle, stream), "cudnnSetStream");
  fn(state.handle);
}

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_OPS_CUDA_CUDNN_UTIL_H_
