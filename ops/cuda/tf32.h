// ops/cuda/tf32.h: the process-wide switch that lets float32 matmuls (cuBLAS) and convolutions
// (cuDNN) use TF32 tensor cores (10-bit mantissa products, float32 accumulation).
//
// Off by default, so float32 results on the GPU stay within float32 rounding of the CPU's. When on,
// cuBLAS runs float32 GEMMs in CUBLAS_TF32_TENSOR_OP_MATH and cuDNN float32 convolutions in
// CUDNN_TENSOR_OP_MATH; float64 is never affected. Header-only (an inline function's static is one
// object per program), so any ops/cuda file may read it without a link dependency.
#ifndef NB360_OPS_CUDA_TF32_H_
#define NB360_OPS_CUDA_TF32_H_

#include <atomic>

namespace nb360 {
namespace cuda {

inline std::atomic<bool>& Tf32Flag() {
  static std::atomic<bool> allow{false};
  return allow;
}

// Allows (true) or forbids (false, the default) TF32 tensor-core math for float32 GEMMs and
// convolutions issued from now on. Convolution algorithms are cached per setting.
inline void SetAllowTf32(bool allow) { Tf32Flag().store(allow, std::memory_order_relaxed); }

inline bool AllowTf32() { return Tf32Flag().load(std::memory_order_relaxed); }

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_OPS_CUDA_TF32_H_
