// engine/cuda/cuda_device.h: the CUDA device as the engine sees it (only in --config=cuda builds).
//
// Device discovery and start-up: InitCudaBackend installs the caching allocator (cuda_allocator.h)
// and the device ops (copies, fills: cuda_copy.h) for DeviceType::kCUDA; op kernels are registered
// in ops/cuda/kernel_table.cc. Without a driver or device, both calls return a clear error.
#ifndef NB360_ENGINE_CUDA_CUDA_DEVICE_H_
#define NB360_ENGINE_CUDA_CUDA_DEVICE_H_

#include <string>

#include "absl/status/statusor.h"

namespace nb360 {

struct CudaDeviceInfo {
  int device_count = 0;
  std::string name;            // of the queried device
  int compute_major = 0, compute_minor = 0;
  size_t total_memory = 0;     // bytes
  int runtime_version = 0;     // cudaRuntimeGetVersion
  int cudnn_version = 0;       // cudnnGetVersion
};

// Describes device `index` (name, memory, compute capability) and the libraries, or an error naming
// the CUDA failure (no driver, no device, no such index).
absl::StatusOr<CudaDeviceInfo> QueryCudaDevice(int index = 0);

// Installs the CUDA allocator and device ops for DeviceType::kCUDA on GPU `index` (one GPU per
// process: every thread's CUDA calls go to it); fails when there is no usable device of that index,
// or when the backend already runs on another GPU. Idempotent for the same index.
absl::Status InitCudaBackend(int index = 0);

}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_CUDA_DEVICE_H_
