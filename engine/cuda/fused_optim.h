// engine/cuda/fused_optim.h: the CUDA fused optimizer kernels (engine/optim/fused.h), registered by
// InitCudaBackend.
#ifndef NB360_ENGINE_CUDA_FUSED_OPTIM_H_
#define NB360_ENGINE_CUDA_FUSED_OPTIM_H_

#include "engine/optim/fused.h"

namespace nb360 {
namespace cuda {

extern const optim::FusedOptimizerKernels kFusedOptimizers;

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_FUSED_OPTIM_H_
