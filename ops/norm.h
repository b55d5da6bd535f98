// ops/norm.h: batch normalisation and layer normalisation (fused primitives).
//
// Both are primitives with hand-written forward and backward kernels: statistics are gathered in one
// pass (double accumulation), the output is written in a second; backward is two passes (per-group
// sums, then the input gradient). BatchNorm follows torch.nn.functional.batch_norm: training uses
// the batch statistics and updates the running statistics in place (momentum, unbiased variance);
// eval uses the running statistics. Channels-last inputs stay channels-last. Left out: group and
// instance norm, momentum=None (cumulative average), second-order gradients.
#ifndef NB360_OPS_NORM_H_
#define NB360_OPS_NORM_H_

#include "engine/tensor.h"

namespace nb360 {

struct BatchNormParams {
  bool use_batch_stats = true;  // normalise with the batch statistics (else the running ones)
  double momentum = 0.1;
  double eps = 1e-5;
  bool relu = false;           // fused ReLU on the output (BatchNormRelu)
  bool channels_last = false;  // the kernels see (N, S, C) instead of (N, C, S)
  bool operator==(const BatchNormParams& o) const {
    return use_batch_stats == o.use_batch_stats && momentum == o.momentum && eps == o.eps && relu == o.relu &&
           channels_last == o.channels_last;
  }
};

struct BatchNormKernels {
  // x (N, C, S) contiguous (with p.channels_last: (N, S, C) contiguous, and so y, gy, gx below);
  // weight, bias (C) or undefined; running_mean, running_var (C) any floating
  // dtype or undefined. With batch statistics: writes mean, invstd (C, x's dtype) from the batch and,
  // where the running statistics are defined, updates them in place. Otherwise reads the running
  // statistics and writes mean = running_mean, invstd = 1 / sqrt(running_var + eps). y (N, C, S),
  // max(y, 0) when p.relu.
  void (*forward)(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                  const Tensor& invstd, const Tensor& y);
  // x, gy (N, C, S) contiguous; weight (C) or undefined; mean, invstd (C) from forward; y (N, C, S)
  // the forward output, read (for the ReLU's mask y > 0) only when p.relu. Writes the gradients that
  // are defined: gx (N, C, S), gweight, gbias (C). With batch statistics gx includes the paths
  // through the mean and variance; otherwise they are constants.
  void (*backward)(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                   const Tensor& invstd, const Tensor& y, const Tensor& gy, const Tensor& gx,
                   const Tensor& gweight, const Tensor& gbias);
};

struct LayerNormParams {
  double eps = 1e-5;
  bool operator==(const LayerNormParams& o) const { return eps == o.eps; }
};

struct LayerNormKernels {
  // x (R, D) contiguous, rows normalised; weight, bias (D) or undefined. Writes mean, invstd (R)
  // and y (R, D).
  void (*forward)(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& mean, const Tensor& invstd, const Tensor& y);
  // x, gy (R, D) contiguous; weight (D) or undefined; mean, invstd (R). Writes the defined ones of
  // gx (R, D), gweight, gbias (D).
  void (*backward)(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                   const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                   const Tensor& gbias);
};

namespace cpu {
extern const BatchNormKernels kBatchNorm;
extern const LayerNormKernels kLayerNorm;
}  // namespace cpu
namespace cuda {
extern const BatchNormKernels kBatchNorm;
extern const LayerNormKernels kLayerNorm;
}  // namespace cuda

// x (N, C) or (N, C, L) or (N, C, H, W), the last two also channels-last (engine/memory_format.h),
// which the result keeps. weight/bias (C) or undefined (affine=false).
// running_mean/var (C) float tensors or undefined (track_running_stats=false). In training, batch
// statistics are used and the running stats are updated IN PLACE (momentum, unbiased variance as
// PyTorch); in eval the running stats are used (without them, as nn.BatchNorm, the batch statistics).
// Returns x's shape.
Tensor BatchNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                 const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// Relu(BatchNorm(...)) as one primitive: the same result, one pass less over the activations in
// each direction and no separate ReLU output kept for backward.
Tensor BatchNormRelu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// x (..., *normalized_shape): normalises over the trailing `normalized_shape` dims; weight/bias of
// that shape or undefined. Returns x's shape.
Tensor LayerNorm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                 double eps = 1e-5);

}  // namespace nb360

#endif  // NB360_OPS_NORM_H_
