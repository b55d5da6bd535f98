// ops/cpu/norm_channels_last.cc: see norm_channels_last.h.
//
// Rows are cut into fixed blocks of kRowBlock. A statistics pass forms each block's per-channel
// sums in the element type (vectorised over the contiguous channels), the blocks run in parallel,
// and their sums are added in double in block order, so results do not depend on the thread count.
// The output pass is a per-channel affine map (with the fused ReLU's clamp) over all rows. As in the
// (N, C, S) kernels, the statistics are shifted by the first row's values.
#include "ops/cpu/norm_channels_last.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "engine/dtype_dispatch.h"
#include "engine/parallel.h"
#include "ops/cpu/norm_stats.h"

namespace nb360 {
namespace cpu {
namespace {

constexpr int64_t kRowBlock = 256;
constexpr int64_t kGrainElements = 16384;

// Calls fn(block, r0, r1) for the row blocks of [0, r), in parallel.
template <class Fn>
void ForEachRowBlock(int64_t r, int64_t c, const Fn& fn) {
  const int64_t blocks = (r + kRowBlock - 1) / kRowBlock;
  const int64_t grain = std::max<int64_t>(1, kGrainElements / (kRowBlock * std::max<int64_t>(c, 1)));
  ParallelFor(0, blocks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) fn(b, b * kRowBlock, std::min(r, (b + 1) * kRowBlock));
  });
}

// Per-block sums (blocks x C each, double) added in block order into out1/out2 (C).
void AddBlocks(const std::vector<double>& part1, const std::vector<double>& part2, int64_t blocks, int64_t c,
               std::vector<double>* out1, std::vector<double>* out2) {
  out1->assign(c, 0.0);
  out2->assign(c, 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t j = 0; j < c; ++j) {
      (*out1)[j] += part1[b * c + j];
      (*out2)[j] += part2[b * c + j];
    }
  }
}

// out[r, j] = max(a[j] * in1[r, j] (+ b[j] * in2[r, j]) + d[j], lo) over the rows [r0, r1).
template <class T>
void RowsAffine(const T* in1, const T* in2, int64_t r0, int64_t r1, int64_t c, const T* __restrict a,
                const T* __restrict b, const T* __restrict d, T lo, T* out) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* x1 = in1 + i * c;  // may be out itself (an in-place update)
    T* o = out + i * c;
    if (in2 == nullptr) {
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) o[j] = std::max(x1[j] * a[j] + d[j], lo);
    } else {
      const T* __restrict x2 = in2 + i * c;
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) o[j] = std::max(x1[j] * a[j] + x2[j] * b[j] + d[j], lo);
    }
  }
}

template <class T>
void ForwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Tensor& running_mean, const Tensor& running_var, const Tensor& mean, const Tensor& invstd,
              const Tensor& y) {
  const int64_t c = x.shape()[2], r = x.shape()[0] * x.shape()[1];
  const T* xp = x.data<T>();
  const T* wp = weight.defined() ? weight.data<T>() : nullptr;
  const T* bp = bias.defined() ? bias.data<T>() : nullptr;
  std::vector<double> pivot(c, 0.0), s1, s2;
  if (p.use_batch_stats) {
    for (int64_t j = 0; j < c; ++j) pivot[j] = static_cast<double>(xp[j]);  // the first row
    const int64_t blocks = (r + kRowBlock - 1) / kRowBlock;
    std::vector<double> part1(blocks * c), part2(blocks * c);
    std::vector<T> pv(c);
    for (int64_t j = 0; j < c; ++j) pv[j] = static_cast<T>(pivot[j]);
    ForEachRowBlock(r, c, [&](int64_t b, int64_t r0, int64_t r1) {
      std::vector<T> uv(2 * c, T(0));
      T* __restrict u = uv.data();
      T* __restrict v = uv.data() + c;
      const T* __restrict piv = pv.data();
      for (int64_t i = r0; i < r1; ++i) {
        const T* __restrict row = xp + i * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) {
          const T dlt = row[j] - piv[j];
          u[j] += dlt;
          v[j] += dlt * dlt;
        }
      }
      for (int64_t j = 0; j < c; ++j) {
        part1[b * c + j] = static_cast<double>(u[j]);
        part2[b * c + j] = static_cast<double>(v[j]);
      }
    });
    AddBlocks(part1, part2, blocks, c, &s1, &s2);
  } else {
    s1.assign(c, 0.0);
    s2.assign(c, 0.0);
  }
  std::vector<T> scale(c), shift(c);
  T* mp = mean.data<T>();
  T* ip = invstd.data<T>();
  for (int64_t j = 0; j < c; ++j) {
    const double w = wp == nullptr ? 1.0 : static_cast<double>(wp[j]);
    const double b = bp == nullptr ? 0.0 : static_cast<double>(bp[j]);
    const ChannelAffine a =
        FinishChannel(p, running_mean, running_var, j, static_cast<double>(r), pivot[j], s1[j], s2[j], w, b);
    mp[j] = static_cast<T>(a.mean);
    ip[j] = static_cast<T>(a.invstd);
    scale[j] = static_cast<T>(a.scale);
    shift[j] = static_cast<T>(a.shift);
  }
  const T lo = p.relu ? T(0) : -std::numeric_limits<T>::infinity();
  T* yp = y.data<T>();
  ForEachRowBlock(r, c, [&](int64_t, int64_t r0, int64_t r1) {
    RowsAffine<T>(xp, nullptr, r0, r1, c, scale.data(), nullptr, shift.data(), lo, yp);
  });
}

template <class T>
void BackwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
               const Tensor& invstd, const Tensor& y, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
               const Tensor& gbias) {
  const int64_t c = x.shape()[2], r = x.shape()[0] * x.shape()[1];
  const T* xp = x.data<T>();
  const T* yp = p.relu ? y.data<T>() : nullptr;
  const T* wp = weight.defined() ? weight.data<T>() : nullptr;
  const T* mp = mean.data<T>();
  const T* ip = invstd.data<T>();
  T* gxp = gx.defined() ? gx.data<T>() : nullptr;
  T* gwp = gweight.defined() ? gweight.data<T>() : nullptr;
  T* gbp = gbias.defined() ? gbias.data<T>() : nullptr;
  const double m = static_cast<double>(r);
  // The gradient at the affine output: gy, masked by y > 0 with a fused ReLU. With one it is
  // written into gx first (gx = masked gy, then updated in place), else read from gy.
  const T* gp = gy.data<T>();
  Tensor scratch;
  if (p.relu) {
    T* masked = gxp;
    if (masked == nullptr) {
      scratch = Tensor::Empty(x.shape(), x.dtype(), x.device());
      masked = scratch.data<T>();
    }
    const T* g0 = gy.data<T>();
    ForEachRowBlock(r, c, [&, masked](int64_t, int64_t r0, int64_t r1) {
      const int64_t len = (r1 - r0) * c;
      const T* __restrict gi = g0 + r0 * c;
      const T* __restrict yi = yp + r0 * c;
      T* __restrict mo = masked + r0 * c;
#pragma omp simd
      for (int64_t k = 0; k < len; ++k) mo[k] = yi[k] > T(0) ? gi[k] : T(0);
    });
    gp = masked;
  }
  const bool need_sums = gwp != nullptr || gbp != nullptr || (gxp != nullptr && p.use_batch_stats);
  std::vector<double> sg(c, 0.0), dot(c, 0.0);
  if (need_sums) {
    const int64_t blocks = (r + kRowBlock - 1) / kRowBlock;
    std::vector<double> part1(blocks * c), part2(blocks * c);
    ForEachRowBlock(r, c, [&](int64_t b, int64_t r0, int64_t r1) {
      std::vector<T> uv(2 * c, T(0));
      T* __restrict u = uv.data();
      T* __restrict v = uv.data() + c;
      const T* __restrict mu = mp;
      for (int64_t i = r0; i < r1; ++i) {
        const T* __restrict g = gp + i * c;
        const T* __restrict xr = xp + i * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) {
          u[j] += g[j];
          v[j] += g[j] * (xr[j] - mu[j]);
        }
      }
      for (int64_t j = 0; j < c; ++j) {
        part1[b * c + j] = static_cast<double>(u[j]);
        part2[b * c + j] = static_cast<double>(v[j]);
      }
    });
    AddBlocks(part1, part2, blocks, c, &sg, &dot);
  }
  for (int64_t j = 0; j < c; ++j) {
    if (gwp != nullptr) gwp[j] = static_cast<T>(dot[j] * static_cast<double>(ip[j]));
    if (gbp != nullptr) gbp[j] = static_cast<T>(sg[j]);
  }
  if (gxp == nullptr) return;
  std::vector<T> kv(c), bv(c), dv(c);
  for (int64_t j = 0; j < c; ++j) {
    const double w = wp == nullptr ? 1.0 : static_cast<double>(wp[j]);
    const GradAffine a =
        BackwardCoefficients(p, w, static_cast<double>(ip[j]), static_cast<double>(mp[j]), sg[j], dot[j], m);
    kv[j] = static_cast<T>(a.k);
    bv[j] = static_cast<T>(a.b);
    dv[j] = static_cast<T>(a.d);
  }
  const T lo = -std::numeric_limits<T>::infinity();
  ForEachRowBlock(r, c, [&](int64_t, int64_t r0, int64_t r1) {
    RowsAffine<T>(gp, p.use_batch_stats ? xp : nullptr, r0, r1, c, kv.data(), bv.data(), dv.data(), lo, gxp);
  });
}

}  // namespace

void BatchNormForwardChannelsLast(const BatchNormParams& p, const Tensor& x, const Tensor& weight,
                                  const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
                                  const Tensor& mean, const Tensor& invstd, const Tensor& y) {
  DispatchFloating(x.dtype(), "BatchNorm", [&](auto tag) {
    ForwardT<decltype(tag)>(p, x, weight, bias, running_mean, running_var, mean, invstd, y);
  });
}

void BatchNormBackwardChannelsLast(const BatchNormParams& p, const Tensor& x, const Tensor& weight,
                                   const Tensor& mean, const Tensor& invstd, const Tensor& y, const Tensor& gy,
                                   const Tensor& gx, const Tensor& gweight, const Tensor& gbias) {
  DispatchFloating(x.dtype(), "BatchNorm backward", [&](auto tag) {
    BackwardT<decltype(tag)>(p, x, weight, mean, invstd, y, gy, gx, gweight, gbias);
  });
}

}  // namespace cpu
}  // namespace nb360
