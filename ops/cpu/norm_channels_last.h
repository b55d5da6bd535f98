// ops/cpu/norm_channels_last.h: BatchNorm kernels for channels-last tensors (p.channels_last): x,
// y, gy, gx seen as (R, C) rows, R = N * S, channels contiguous. Same contract as BatchNormKernels
// (ops/norm.h) otherwise, fused ReLU included.
#ifndef NB360_OPS_CPU_NORM_CHANNELS_LAST_H_
#define NB360_OPS_CPU_NORM_CHANNELS_LAST_H_

#include "ops/norm.h"

namespace nb360 {
namespace cpu {

void BatchNormForwardChannelsLast(const BatchNormParams& p, const Tensor& x, const Tensor& weight,
                                  const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
                                  const Tensor& mean, const Tensor& invstd, const Tensor& y);

void BatchNormBackwardChannelsLast(const BatchNormParams& p, const Tensor& x, const Tensor& weight,
                                   const Tensor& mean, const Tensor& invstd, const Tensor& y, const Tensor& gy,
                                   const Tensor& gx, const Tensor& gweight, const Tensor& gbias);

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_NORM_CHANNELS_LAST_H_
