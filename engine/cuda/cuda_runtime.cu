// engine/cuda/cuda_runtime.cu: error checks and the engine's stream (cuda_check.h, cuda_stream.h).
#include <atomic>
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

namespace {

std::atomic<int> g_device{0};
thread_local bool t_bound = false;

}  // namespace

void SelectDevice(int index) {
  g_device.store(index);
  t_bound = false;
  BindThread();
}

void BindThread() {
  if (t_bound) return;
  CudaCheck(cudaSetDevice(g_device.load()), "cudaSetDevice");
  t_bound = true;
}

cudaStream_t CurrentStream() {
  BindThread();
  static cudaStream_t stream = [] {
    cudaStream_t s = nullptr;
    CudaCheck(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    return s;
  }();
  return stream;
}

}  // namespace cuda
}  // namespace nb360
