// engine/cuda/cuda_runtime.cu: error checks and the engine's stream (cuda_check.h, cuda_stream.h).
#include <string>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"

namespace nb360 {
namespace cuda {

void CudaCheck(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  ThrowError("CUDA call ", call, " failed: ", cudaGetErrorName(status), " (", cudaGetErrorString(status), ")");
}

void CheckLaunch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) return;
  ThrowError("CUDA kernel ", kernel, " failed to launch: ", cudaGetErrorName(status), " (",
             cudaGetErrorString(status), ")");
}

cudaStream_t CurrentStream() {
  static cudaStream_t stream = [] {
    cudaStream_t s = nullptr;
    CudaCheck(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    return s;
  }();
  return stream;
}

}  // namespace cuda
}  // namespace nb360
