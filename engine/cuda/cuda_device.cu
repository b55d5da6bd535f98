// engine/cuda/cuda_device.cu: device query and backend start-up (allocator, device ops).
#include <cuda_runtime.h>
#include <cudnn.h>

#include <mutex>
#include <string>

#include "engine/allocator.h"
#include "engine/check.h"
#include "engine/cuda/cuda_allocator.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_copy.h"
#include "engine/cuda/cuda_device.h"
#include "engine/cuda/fused_optim.h"
#include "engine/device_ops.h"

namespace nb360 {
namespace {

absl::Status CudaError(const char* what, cudaError_t e) {
  return absl::UnavailableError(std::string(what) + " -> " + std::to_string(static_cast<int>(e)) + " (" +
                                cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ")");
}

}  // namespace

absl::StatusOr<CudaDeviceInfo> QueryCudaDevice(int index) {
  CudaDeviceInfo info;
  cudaRuntimeGetVersion(&info.runtime_version);
  info.cudnn_version = static_cast<int>(cudnnGetVersion());
  const cudaError_t e = cudaGetDeviceCount(&info.device_count);
  if (e != cudaSuccess) return CudaError("cudaGetDeviceCount", e);
  if (info.device_count == 0) return absl::UnavailableError("no CUDA device");
  if (index < 0 || index >= info.device_count) {
    return absl::InvalidArgumentError("no CUDA device " + std::to_string(index) + " (this machine has " +
                                      std::to_string(info.device_count) + ")");
  }
  cudaDeviceProp prop;
  const cudaError_t p = cudaGetDeviceProperties(&prop, index);
  if (p != cudaSuccess) return CudaError("cudaGetDeviceProperties", p);
  info.name = prop.name;
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.total_memory = prop.totalGlobalMem;
  return info;
}

absl::Status InitCudaBackend(int index) {
  static std::mutex mu;
  static int started = -1;
  std::lock_guard<std::mutex> lock(mu);
  if (started == index) return absl::OkStatus();
  if (started >= 0) {
    return absl::FailedPreconditionError("the CUDA backend already runs on cuda:" + std::to_string(started) +
                                         " (one GPU per process), cannot start it on cuda:" + std::to_string(index));
  }
  absl::StatusOr<CudaDeviceInfo> info = QueryCudaDevice(index);
  if (!info.ok()) return info.status();
  cuda::SelectDevice(index);
  SetAllocator(DeviceType::kCUDA, cuda::CachingAllocator());
  SetDeviceOps(DeviceType::kCUDA, cuda::CudaOps());
  optim::SetFusedOptimizerKernels(DeviceType::kCUDA, &cuda::kFusedOptimizers);
  started = index;
  return absl::OkStatus();
}

}  // namespace nb360
