// engine/cuda/cuda_check.h: CUDA runtime errors as clear engine errors.
//
// CudaCheck(cudaMemcpyAsync(...), "cudaMemcpyAsync") throws nb360::Error naming the call and the
// error's name and description when the status is not cudaSuccess (a plain function, not a macro:
// the call site shows the control flow). cuDNN, cuBLAS and cuFFT have their own Check functions in
// ops/cuda/, the only files that see those libraries' types.
#ifndef NB360_ENGINE_CUDA_CUDA_CHECK_H_
#define NB360_ENGINE_CUDA_CUDA_CHECK_H_

#include <cuda_runtime.h>

namespace nb360 {
namespace cuda {

// Throws when `status` is an error; `call` names the CUDA function (and, if useful, its arguments).
void CudaCheck(cudaError_t status, const char* call);

// Throws when the last kernel launch failed (cudaGetLastError); `kernel` names it.
void CheckLaunch(const char* kernel);

// The process's GPU (InitCudaBackend): SelectDevice sets it once; BindThread makes the calling
// thread's CUDA calls go to it (cudaSetDevice once per thread; CurrentStream() and the allocator call
// it, so every thread that touches the engine's device memory is bound).
void SelectDevice(int index);
void BindThread();

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_CUDA_CHECK_H_
