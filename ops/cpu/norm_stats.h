// ops/cpu/norm_stats.h: per-channel BatchNorm arithmetic shared by the (N, C, S) kernels
// (norm.cc) and the channels-last ones (norm_channels_last.cc): statistics from shifted sums,
// running-statistics updates, and the coefficients of the output and input-gradient passes.
#ifndef NB360_OPS_CPU_NORM_STATS_H_
#define NB360_OPS_CPU_NORM_STATS_H_

#include <algorithm>
#include <cmath>

#include "ops/norm.h"

namespace nb360 {
namespace cpu {

// Element i of a floating (C) tensor of any floating dtype, as double.
inline double ReadAt(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kFloat32 ? static_cast<double>(t.data<float>()[i * t.stride(0)])
                                      : t.data<double>()[i * t.stride(0)];
}

inline void WriteAt(const Tensor& t, int64_t i, double v) {
  if (t.dtype() == DType::kFloat32) {
    t.data<float>()[i * t.stride(0)] = static_cast<float>(v);
  } else {
    t.data<double>()[i * t.stride(0)] = v;
  }
}

// One channel's normalisation: y = x * scale + shift, and the mean/invstd saved for backward.
struct ChannelAffine {
  double mean, invstd, scale, shift;
};

// Channel ch from the sums s1 = sum(x - pivot), s2 = sum((x - pivot)^2) over its m values (batch
// statistics; the running ones are updated in place when defined), or from the running statistics.
// w, b: the affine weight and bias (1 and 0 without).
inline ChannelAffine FinishChannel(const BatchNormParams& p, const Tensor& running_mean,
                                   const Tensor& running_var, int64_t ch, double m, double pivot, double s1,
                                   double s2, double w, double b) {
  double mu, istd;
  if (p.use_batch_stats) {
    const double dm = s1 / m;
    const double var = std::max(0.0, s2 / m - dm * dm);
    mu = pivot + dm;
    istd = 1.0 / std::sqrt(var + p.eps);
    if (running_mean.defined()) {
      WriteAt(running_mean, ch, (1.0 - p.momentum) * ReadAt(running_mean, ch) + p.momentum * mu);
      WriteAt(running_var, ch, (1.0 - p.momentum) * ReadAt(running_var, ch) + p.momentum * var * m / (m - 1.0));
    }
  } else {
    mu = ReadAt(running_mean, ch);
    istd = 1.0 / std::sqrt(ReadAt(running_var, ch) + p.eps);
  }
  return {mu, istd, w * istd, b - mu * w * istd};
}

// gx = k * gy + b * x + d for one channel, from sg = sum(gy), dot = sum(gy * (x - mean)) over its
// m values: k = w * invstd and, with batch statistics, b = -k * invstd^2 * dot / m,
// d = -k * sg / m - b * mean (else b = d = 0).
struct GradAffine {
  double k, b, d;
};

inline GradAffine BackwardCoefficients(const BatchNormParams& p, double w, double invstd, double mean,
                                       double sg, double dot, double m) {
  const double k = w * invstd;
  if (!p.use_batch_stats) return {k, 0.0, 0.0};
  const double b = -k * invstd * invstd * dot / m;
  return {k, b, -k * sg / m - b * mean};
}

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_NORM_STATS_H_
