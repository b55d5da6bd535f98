// ops/cpu/pool_avx2.h: float32 AVX2 pooling paths (internal to ops/cpu; used by ops/cpu/pool.cc).
//
// Each Pool2d entry point returns false, doing nothing, where it does not apply (another dtype,
// an unsupported case, or a build without AVX2), and the caller falls back to reference loops.
#ifndef NB360_OPS_CPU_POOL_AVX2_H_
#define NB360_OPS_CPU_POOL_AVX2_H_

#include <cstdint>

#include "engine/tensor.h"
#include "ops/cpu/pool_geometry.h"
#include "ops/pool.h"

namespace nb360 {
namespace cpu {
namespace pool {

// Pool2dKernels::forward for float32 x (N, C, H, W) -> y (N, C, OH, OW), any window.
bool ForwardAvx2(const Pool2dParams& p, const Geometry& g, const Tensor& x, const Tensor& y,
                 const Tensor& indices);

// Pool2dKernels::backward for float32 average pooling, gy (N, C, OH, OW) -> gx (N, C, H, W):
// stride 1, or a W stride of 2..8 (any H stride).
bool AvgBackwardAvx2(const Pool2dParams& p, const Geometry& g, const Tensor& gy, const Tensor& gx);

// Means of the planes [p0, p1) of x (planes of hw contiguous floats) into y[p0..p1).
void PlaneMeansF32(const float* x, int64_t hw, int64_t p0, int64_t p1, float* y);

}  // namespace pool
}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_POOL_AVX2_H_
