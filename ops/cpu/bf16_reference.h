// ops/cpu/bf16_reference.h: the CPU reference of the bf16 autocast numerics (engine/precision.h):
// the conv and matmul kernels round their float32 operands, run the float32 kernels (float32
// accumulation) and round the results. No speed-up: the point is a result the CUDA bf16 kernels can
// be checked against, and runs that behave alike on either backend.
#ifndef NB360_OPS_CPU_BF16_REFERENCE_H_
#define NB360_OPS_CPU_BF16_REFERENCE_H_

#include "engine/tensor.h"

namespace nb360 {
namespace cpu {

// A float32 copy of t (contiguous, or channels-last when t is) with every element rounded to bf16.
Tensor RoundedBFloat16(const Tensor& t);
// Rounds every element of a float32 tensor to bf16 in place (any strides).
void RoundBFloat16InPlace(const Tensor& t);
// y (N, O, H, W)[n, o, h, w] += b (O)[o], float32, any strides.
void AddChannelBias(const Tensor& y, const Tensor& b);
// gb (O)[o] = sum of gy (N, O, H, W) over n, h, w, accumulated in double, float32.
void SumPerChannel(const Tensor& gy, const Tensor& gb);

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_BF16_REFERENCE_H_
