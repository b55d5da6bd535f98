// ops/cuda/cublas_util.h: the process's cuBLAS handle and cuBLAS errors as engine errors.
//
// One handle for the process, created on first use (thread-safe static initialisation) and never
// destroyed (it would outlive the CUDA context at exit). WithCublas runs a function on it while
// holding its lock, after binding it to cuda::CurrentStream(), so stream and math-mode settings of
// one caller never leak into another's calls. cuBLAS calls are asynchronous: the lock covers their
// launch only.
#ifndef NB360_OPS_CUDA_CUBLAS_UTIL_H_
#define NB360_OPS_CUDA_CUBLAS_UTIL_H_

#include <cublas_v2.h>

#include <mutex>

#include "engine/check.h"
#include "engine/cuda/cuda_stream.h"

namespace nb360 {
namespace cuda {

// Throws nb360::Error naming `call` and the cuBLAS status unless `status` is success.
inline void CublasCheck(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  ThrowError("CUDA: ", call, " failed: ", cublasGetStatusName(status), " (", cublasGetStatusString(status), ")");
}

struct CublasState {
  std::mutex mu;
  cublasHandle_t handle = nullptr;
};

inline CublasState& Cublas() {
  static CublasState* state = [] {
    auto* s = new CublasState();
    CublasCheck(cublasCreate(&s->handle), "cublasCreate");
    return s;
  }();
  return *state;
}

// Runs fn(handle) under the handle's lock, with the handle bound to the current stream.
template <class Fn>
void WithCublas(Fn&& fn) {
  const cudaStream_t stream = CurrentStream();  // first: binds this thread to the process's GPU,
  CublasState& state = Cublas();                // where the handle is created on first use
  std::lock_guard<std::mutex> lock(state.mu);
  CublasCheck(cublasSetStream(state.handle, stream), "cublasSetStream");
  fn(state.handle);
}

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_OPS_CUDA_CUBLAS_UTIL_H_
