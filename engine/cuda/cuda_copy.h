// engine/cuda/cuda_copy.h: the CUDA backend's DeviceOps (copies, fills), installed by InitCudaBackend.
#ifndef NB360_ENGINE_CUDA_CUDA_COPY_H_
#define NB360_ENGINE_CUDA_CUDA_COPY_H_

#include "engine/device_ops.h"

namespace nb360 {
namespace cuda {

DeviceOps* CudaOps();

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_CUDA_COPY_H_
