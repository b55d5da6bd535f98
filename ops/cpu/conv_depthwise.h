// ops/cpu/conv_depthwise.h: depthwise convolution (groups == C == O) on plain nchw planes.
//
// Each (image, channel) plane is small enough to stay in L1/L2, so the kernels copy it into a
// zero-padded scratch plane and run contiguous, vectorised rows over it, with no layout reorders. They handle any
// kernel size, stride, padding and dilation in all three passes (oneDNN 2.6 runs dilated
// depthwise backward passes through im2col + GEMM, which is far slower). Channel multipliers
// other than 1 are left to the general path.
#ifndef NB360_OPS_CPU_CONV_DEPTHWISE_H_
#define NB360_OPS_CPU_CONV_DEPTHWISE_H_

#include "ops/conv.h"

namespace nb360 {
namespace cpu {

// True for the convolutions these kernels handle: x (N, C, H, W), w (C, 1, KH, KW), groups == C.
bool IsDepthwise(const Conv2dParams& p, const Shape& x, const Shape& w);

// Same contracts as Conv2dKernels, for contiguous float32 operands.
void DepthwiseForward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                      const Tensor& y);
void DepthwiseBackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx);
void DepthwiseBackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                             const Tensor& gb);

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_CONV_DEPTHWISE_H_
