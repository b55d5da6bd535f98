// ops/cpu/norm.cc: CPU kernels for BatchNorm and LayerNorm.
//
// BatchNorm sees x as (N, C, S) and works on groups of adjacent channels sized so that a group's
// values (all n) stay in a core's cache: the statistics pass reads them from memory, the output pass
// (x * scale + shift, one fused multiply-add) reads them again from cache. Backward likewise: per
// group, sum(gy) and sum(gy * (x - mean)), then gx. Groups are spread over the threads; a channel's
// sums always run in the same order, so results do not depend on the thread count. The statistics
// pass accumulates x - pivot and (x - pivot)^2 in double with pivot = x[0, c, 0], which keeps the
// one-pass variance accurate when |mean| >> std; runs of up to 256 values are summed in the element
// type, the partial sums in double.
// LayerNorm works on rows of (R, D): each row's mean and variance come from one pass shifted by the
// row's first value, and the output pass reads the row again from cache; the weight/bias gradients are column sums, accumulated per thread (blocks of rows in
// the element type, then double) and added in a fixed order. The same templates serve float32 (the
// fast path) and float64. Hot loops use `omp simd` so that reductions vectorise. Left out:
// channels-last layouts, splitting a single channel over threads (C = 1 runs on one thread).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/norm_channels_last.h"
#include "ops/cpu/norm_stats.h"
#include "ops/norm.h"

namespace nb360 {
namespace cpu {
namespace {

// Number of static chunks [0, n) is split into, each at least `grain` items.
int64_t NumChunks(int64_t n, int64_t grain) {
  const int64_t threads = omp_in_parallel() ? 1 : NumThreads();
  return std::max<int64_t>(1, std::min<int64_t>(threads, n / std::max<int64_t>(grain, 1)));
}

// Calls fn(chunk, lo, hi) for the `chunks` static pieces of [0, n), in parallel.
template <class Fn>
void ForChunks(int64_t n, int64_t chunks, const Fn& fn) {
  ParallelFor(0, chunks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) fn(k, n * k / chunks, n * (k + 1) / chunks);
  });
}

// Elements per chunk below which a chunk is not worth a thread.
constexpr int64_t kGrainElements = 16384;

// Values summed in the element type before the partial sum is added into double: short enough that
// float32 rounding stays far below float32 output precision, long enough to vectorise.
constexpr int64_t kSumBlock = 256;

// s1 += sum(x - pivot), s2 += sum((x - pivot)^2) over x[0, n).
template <class T>
void ShiftedMoments(const T* x, int64_t n, T pivot, double* s1, double* s2) {
  for (int64_t k0 = 0; k0 < n; k0 += kSumBlock) {
    const int64_t k1 = std::min(n, k0 + kSumBlock);
    T u = 0, v = 0;
#pragma omp simd reduction(+ : u, v)
    for (int64_t k = k0; k < k1; ++k) {
      const T d = x[k] - pivot;
      u += d;
      v += d * d;
    }
    *s1 += static_cast<double>(u);
    *s2 += static_cast<double>(v);
  }
}

// s1 += sum(g), s2 += sum(g * (x - m)) over [0, n).
template <class T>
void GradMoments(const T* g, const T* x, int64_t n, T m, double* s1, double* s2) {
  for (int64_t k0 = 0; k0 < n; k0 += kSumBlock) {
    const int64_t k1 = std::min(n, k0 + kSumBlock);
    T u = 0, v = 0;
#pragma omp simd reduction(+ : u, v)
    for (int64_t k = k0; k < k1; ++k) {
      u += g[k];
      v += g[k] * (x[k] - m);
    }
    *s1 += static_cast<double>(u);
    *s2 += static_cast<double>(v);
  }
}

// ------------------------------------------------------------------------------------ batch norm

// Channels are processed in groups [c0, c0 + size): a group's values for all n (its rows
// x[n, c0:c0 + size, :], each contiguous) are read once from memory for the sums and again, from
// cache, for the output. Groups are distributed over the threads; each channel belongs to one
// group, so per-channel results do not depend on the thread count.
struct ChannelGroups {
  int64_t size;
  int64_t count;
};

// Bytes of one group's values that should stay in a core's cache between the two passes.
constexpr int64_t kGroupBytes = 512 * 1024;

ChannelGroups MakeGroups(int64_t n, int64_t c, int64_t s, int64_t bytes_per_value) {
  const int64_t threads = omp_in_parallel() ? 1 : NumThreads();
  int64_t g = std::max<int64_t>(1, 512 / std::max<int64_t>(s, 1));  // rows of >= 512 values
  while (g > 1 && n * g * s * bytes_per_value > kGroupBytes) g = (g + 1) / 2;
  while (g > 1 && (c + g - 1) / g < 4 * threads) g = (g + 1) / 2;  // work for every thread
  g = std::max<int64_t>(1, std::min(g, c));
  return {g, (c + g - 1) / g};
}

// Calls fn(c0, cg) for every channel group (c0 first channel, cg channels), in parallel.
template <class Fn>
void ForEachGroup(int64_t n, int64_t c, int64_t s, int64_t bytes_per_value, const Fn& fn) {
  const ChannelGroups groups = MakeGroups(n, c, s, bytes_per_value);
  const int64_t group_values = std::max<int64_t>(1, n * groups.size * s);
  ParallelFor(0, groups.count, std::max<int64_t>(1, kGrainElements / group_values), [&](int64_t lo, int64_t hi) {
    for (int64_t gi = lo; gi < hi; ++gi) {
      const int64_t c0 = gi * groups.size;
      fn(c0, std::min(groups.size, c - c0));
    }
  });
}

// Per channel j of a group: s1[j] += sum(x - pivot[j]), s2[j] += sum((x - pivot[j])^2) over the
// group's rows of x (N, C, S).
template <class T>
void GroupMoments(const T* xp, int64_t n, int64_t c, int64_t s, int64_t c0, int64_t cg, const double* pivot,
                  double* s1, double* s2) {
  for (int64_t i = 0; i < n; ++i) {
    const T* row = xp + (i * c + c0) * s;
    if (s == 1) {
#pragma omp simd
      for (int64_t j = 0; j < cg; ++j) {
        const double d = static_cast<double>(row[j]) - pivot[j];
        s1[j] += d;
        s2[j] += d * d;
      }
      continue;
    }
    for (int64_t j = 0; j < cg; ++j) ShiftedMoments(row + j * s, s, static_cast<T>(pivot[j]), &s1[j], &s2[j]);
  }
}

// Per channel j of a group: sg[j] += sum(gy), dot[j] += sum(gy * (x - mean[j])).
template <class T>
void GroupGradSums(const T* xp, const T* gp, int64_t n, int64_t c, int64_t s, int64_t c0, int64_t cg,
                   const T* mean, double* sg, double* dot) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t off = (i * c + c0) * s;
    const T* xr = xp + off;
    const T* gr = gp + off;
    if (s == 1) {
#pragma omp simd
      for (int64_t j = 0; j < cg; ++j) {
        sg[j] += static_cast<double>(gr[j]);
        dot[j] += static_cast<double>(gr[j] * (xr[j] - mean[j]));
      }
      continue;
    }
    for (int64_t j = 0; j < cg; ++j) GradMoments(gr + j * s, xr + j * s, s, mean[j], &sg[j], &dot[j]);
  }
}

// gy masked by a fused ReLU: gm = gy where y > 0, else 0, over the group's rows (N, cg, S).
template <class T>
void GroupReluMask(const T* gp, const T* yp, int64_t n, int64_t c, int64_t s, int64_t c0, int64_t cg, T* gm) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t off = (i * c + c0) * s;
    const int64_t len = cg * s;
#pragma omp simd
    for (int64_t k = 0; k < len; ++k) gm[off + k] = yp[off + k] > T(0) ? gp[off + k] : T(0);
  }
}

// out = a[j] * in1 (+ b[j] * in2) + d[j] over the group's rows (in2 may be null), clamped at 0
// when `relu` (a fused ReLU: the max is taken in the same pass, so it costs no extra memory traffic).
template <class T>
void GroupAffine(const T* in1, const T* in2, int64_t n, int64_t c, int64_t s, int64_t c0, int64_t cg,
                 const T* a, const T* b, const T* d, T* out, bool relu = false) {
  const T lo = relu ? T(0) : -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t off = (i * c + c0) * s;
    const T* r1 = in1 + off;
    const T* r2 = in2 == nullptr ? nullptr : in2 + off;
    T* o = out + off;
    if (s == 1) {
      if (r2 == nullptr) {
#pragma omp simd
        for (int64_t j = 0; j < cg; ++j) o[j] = std::max(r1[j] * a[j] + d[j], lo);
      } else {
#pragma omp simd
        for (int64_t j = 0; j < cg; ++j) o[j] = std::max(r1[j] * a[j] + r2[j] * b[j] + d[j], lo);
      }
      continue;
    }
    for (int64_t j = 0; j < cg; ++j) {
      const T av = a[j], dv = d[j];
      const T* x1 = r1 + j * s;
      T* oj = o + j * s;
      if (r2 == nullptr) {
#pragma omp simd
        for (int64_t k = 0; k < s; ++k) oj[k] = std::max(x1[k] * av + dv, lo);
      } else {
        const T bv = b[j];
        const T* x2 = r2 + j * s;
#pragma omp simd
        for (int64_t k = 0; k < s; ++k) oj[k] = std::max(x1[k] * av + x2[k] * bv + dv, lo);
      }
    }
  }
}

template <class T>
void BatchNormForwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                       const Tensor& invstd, const Tensor& y) {
  const int64_t n = x.shape()[0], c = x.shape()[1], s = x.shape()[2];
  const T* xp = x.data<T>();
  const T* wp = weight.defined() ? weight.data<T>() : nullptr;
  const T* bp = bias.defined() ? bias.data<T>() : nullptr;
  T* yp = y.data<T>();
  T* mp = mean.data<T>();
  T* ip = invstd.data<T>();
  const double m = static_cast<double>(n * s);
  ForEachGroup(n, c, s, sizeof(T), [&](int64_t c0, int64_t cg) {
    std::vector<double> pivot(cg, 0.0), s1(cg, 0.0), s2(cg, 0.0);
    std::vector<T> scale(cg), shift(cg);
    if (p.use_batch_stats) {
      for (int64_t j = 0; j < cg; ++j) pivot[j] = static_cast<double>(xp[(c0 + j) * s]);  // x[0, c, 0]
      GroupMoments(xp, n, c, s, c0, cg, pivot.data(), s1.data(), s2.data());
    }
    for (int64_t j = 0; j < cg; ++j) {
      const int64_t ch = c0 + j;
      const double w = wp == nullptr ? 1.0 : static_cast<double>(wp[ch]);
      const double b = bp == nullptr ? 0.0 : static_cast<double>(bp[ch]);
      const ChannelAffine a = FinishChannel(p, running_mean, running_var, ch, m, pivot[j], s1[j], s2[j], w, b);
      mp[ch] = static_cast<T>(a.mean);
      ip[ch] = static_cast<T>(a.invstd);
      scale[j] = static_cast<T>(a.scale);
      shift[j] = static_cast<T>(a.shift);
    }
    GroupAffine<T>(xp, nullptr, n, c, s, c0, cg, scale.data(), nullptr, shift.data(), yp, p.relu);
  });
}

template <class T>
void BatchNormBackwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                        const Tensor& invstd, const Tensor& y, const Tensor& gy, const Tensor& gx,
                        const Tensor& gweight, const Tensor& gbias) {
  const int64_t n = x.shape()[0], c = x.shape()[1], s = x.shape()[2];
  const T* xp = x.data<T>();
  const T* gy_p = gy.data<T>();
  const T* yp = p.relu ? y.data<T>() : nullptr;
  const T* wp = weight.defined() ? weight.data<T>() : nullptr;
  const T* mp = mean.data<T>();
  const T* ip = invstd.data<T>();
  T* gxp = gx.defined() ? gx.data<T>() : nullptr;
  T* gwp = gweight.defined() ? gweight.data<T>() : nullptr;
  T* gbp = gbias.defined() ? gbias.data<T>() : nullptr;
  const bool need_sums = gwp != nullptr || gbp != nullptr || (gxp != nullptr && p.use_batch_stats);
  const double m = static_cast<double>(n * s);
  Tensor scratch;  // the masked gradient when there is no gx to hold it
  if (p.relu && gxp == nullptr) scratch = Tensor::Empty(x.shape(), x.dtype(), x.device());
  T* masked_p = gxp != nullptr ? gxp : (p.relu ? scratch.data<T>() : nullptr);
  ForEachGroup(n, c, s, (p.relu ? 3 : 2) * sizeof(T), [&](int64_t c0, int64_t cg) {
    // With a fused ReLU the gradient reaching the affine output is gy masked by y > 0; it is written
    // once per group (into gx's rows, or a scratch tensor) and read from cache after.
    const T* gp = gy_p;
    if (p.relu) {
      GroupReluMask(gy_p, yp, n, c, s, c0, cg, masked_p);
      gp = masked_p;
    }
    // Pass 1: sum(gy) and sum(gy * (x - mean)) per channel.
    std::vector<double> sg(cg, 0.0), dot(cg, 0.0);
    if (need_sums) GroupGradSums(xp, gp, n, c, s, c0, cg, mp + c0, sg.data(), dot.data());
    for (int64_t j = 0; j < cg; ++j) {
      if (gwp != nullptr) gwp[c0 + j] = static_cast<T>(dot[j] * static_cast<double>(ip[c0 + j]));
      if (gbp != nullptr) gbp[c0 + j] = static_cast<T>(sg[j]);
    }
    if (gxp == nullptr) return;
    // Pass 2: gx = k * gy + b * x + d (norm_stats.h).
    std::vector<T> kv(cg), bv(cg), dv(cg);
    for (int64_t j = 0; j < cg; ++j) {
      const int64_t ch = c0 + j;
      const double w = wp == nullptr ? 1.0 : static_cast<double>(wp[ch]);
      const GradAffine a = BackwardCoefficients(p, w, static_cast<double>(ip[ch]), static_cast<double>(mp[ch]),
                                                sg[j], dot[j], m);
      kv[j] = static_cast<T>(a.k);
      bv[j] = static_cast<T>(a.b);
      dv[j] = static_cast<T>(a.d);
    }
    GroupAffine<T>(gp, p.use_batch_stats ? xp : nullptr, n, c, s, c0, cg, kv.data(), bv.data(), dv.data(), gxp);
  });
}

void BatchNormForward(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                      const Tensor& invstd, const Tensor& y) {
  if (p.channels_last) {
    return BatchNormForwardChannelsLast(p, x, weight, bias, running_mean, running_var, mean, invstd, y);
  }
  DispatchFloating(x.dtype(), "BatchNorm", [&](auto tag) {
    BatchNormForwardT<decltype(tag)>(p, x, weight, bias, running_mean, running_var, mean, invstd, y);
  });
}

void BatchNormBackward(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                       const Tensor& invstd, const Tensor& y, const Tensor& gy, const Tensor& gx,
                       const Tensor& gweight, const Tensor& gbias) {
  if (p.channels_last) {
    return BatchNormBackwardChannelsLast(p, x, weight, mean, invstd, y, gy, gx, gweight, gbias);
  }
  DispatchFloating(x.dtype(), "BatchNorm backward", [&](auto tag) {
    BatchNormBackwardT<decltype(tag)>(p, x, weight, mean, invstd, y, gy, gx, gweight, gbias);
  });
}

// ------------------------------------------------------------------------------------ layer norm

// Mean and 1/sqrt(var + eps) of one row, one pass shifted by the row's first value.
template <class T>
void RowMoments(const T* r, int64_t d, double eps, double* mean, double* invstd) {
  double s1 = 0, s2 = 0;
  ShiftedMoments(r, d, r[0], &s1, &s2);
  const double shift = s1 / static_cast<double>(d);
  const double var = std::max(0.0, s2 / static_cast<double>(d) - shift * shift);
  *mean = static_cast<double>(r[0]) + shift;
  *invstd = 1.0 / std::sqrt(var + eps);
}

template <class T>
void LayerNormForwardT(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const Tensor& mean, const Tensor& invstd, const Tensor& y) {
  const int64_t rows = x.shape()[0], d = x.shape()[1];
  const T* xp = x.data<T>();
  const T* wp = weight.defined() ? weight.data<T>() : nullptr;
  const T* bp = bias.defined() ? bias.data<T>() : nullptr;
  T* yp = y.data<T>();
  T* mp = mean.data<T>();
  T* ip = invstd.data<T>();
  ParallelFor(0, rows, std::max<int64_t>(1, kGrainElements / d), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = xp + r * d;
      T* yr = yp + r * d;
      double m, is;
      RowMoments(xr, d, p.eps, &m, &is);
      mp[r] = static_cast<T>(m);
      ip[r] = static_cast<T>(is);
      const T a = static_cast<T>(is), c = static_cast<T>(-m * is);
      if (wp == nullptr && bp == nullptr) {
#pragma omp simd
        for (int64_t i = 0; i < d; ++i) yr[i] = xr[i] * a + c;
      } else if (bp == nullptr) {
#pragma omp simd
        for (int64_t i = 0; i < d; ++i) yr[i] = (xr[i] * a + c) * wp[i];
      } else if (wp == nullptr) {
#pragma omp simd
        for (int64_t i = 0; i < d; ++i) yr[i] = (xr[i] * a + c) + bp[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < d; ++i) yr[i] = (xr[i] * a + c) * wp[i] + bp[i];
      }
    }
  });
}

// Rows accumulated in the element type before the per-column sums are added into double.
constexpr int64_t kRowBlock = 16;

// One row of LayerNorm backward in a single fused pass plus the output pass: with kParams adds
// gy * xhat and gy to bw, bb; with o writes gx = invstd * (g - mean(g) - xhat * mean(g * xhat)),
// g = gy * w (kWeight) or gy.
template <class T, bool kWeight, bool kParams>
void LayerNormBackwardRow(const T* xr, const T* gr, const T* w, int64_t d, T m, T is, T* bw, T* bb, T* o) {
  double sg = 0, sgx = 0;
  for (int64_t k0 = 0; k0 < d; k0 += kSumBlock) {
    const int64_t k1 = std::min(d, k0 + kSumBlock);
    T u = 0, v = 0;
#pragma omp simd reduction(+ : u, v)
    for (int64_t i = k0; i < k1; ++i) {
      const T xc = xr[i] - m;
      if constexpr (kParams) {
        bw[i] += gr[i] * (xc * is);
        bb[i] += gr[i];
      }
      const T g = kWeight ? gr[i] * w[i] : gr[i];
      u += g;
      v += g * xc;
    }
    sg += static_cast<double>(u);
    sgx += static_cast<double>(v);
  }
  if (o == nullptr) return;
  const double isd = static_cast<double>(is);
  const T a = static_cast<T>(isd * isd * isd * sgx / static_cast<double>(d));  // coefficient of (x - m)
  const T c = static_cast<T>(isd * sg / static_cast<double>(d));
#pragma omp simd
  for (int64_t i = 0; i < d; ++i) {
    const T g = kWeight ? gr[i] * w[i] : gr[i];
    o[i] = g * is - (xr[i] - m) * a - c;
  }
}

template <class T>
void LayerNormBackwardT(const LayerNormParams&, const Tensor& x, const Tensor& weight, const Tensor& mean,
                        const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                        const Tensor& gbias) {
  const int64_t rows = x.shape()[0], d = x.shape()[1];
  const T* xp = x.data<T>();
  const T* gp = gy.data<T>();
  const T* wp = weight.defined() ? weight.data<T>() : nullptr;
  const T* mp = mean.data<T>();
  const T* ip = invstd.data<T>();
  T* gxp = gx.defined() ? gx.data<T>() : nullptr;
  const bool param_grads = gweight.defined() || gbias.defined();
  auto row_fn = wp != nullptr ? (param_grads ? LayerNormBackwardRow<T, true, true> : LayerNormBackwardRow<T, true, false>)
                              : (param_grads ? LayerNormBackwardRow<T, false, true> : LayerNormBackwardRow<T, false, false>);
  const int64_t chunks = NumChunks(rows, std::max<int64_t>(1, kGrainElements / d));
  // Per chunk: d partial sums of gy * xhat, then d of gy.
  std::vector<double> part(param_grads ? static_cast<size_t>(chunks * d * 2) : 0, 0.0);
  ForChunks(rows, chunks, [&](int64_t k, int64_t lo, int64_t hi) {
    double* pw = param_grads ? part.data() + k * d * 2 : nullptr;
    double* pb = param_grads ? pw + d : nullptr;
    std::vector<T> block_w(param_grads ? d : 0, T(0)), block_b(param_grads ? d : 0, T(0));
    T* bw = block_w.data();
    T* bb = block_b.data();
    for (int64_t r = lo; r < hi; ++r) {
      row_fn(xp + r * d, gp + r * d, wp, d, mp[r], ip[r], bw, bb, gxp == nullptr ? nullptr : gxp + r * d);
      if (param_grads && ((r - lo) % kRowBlock == kRowBlock - 1 || r == hi - 1)) {
#pragma omp simd
        for (int64_t i = 0; i < d; ++i) {
          pw[i] += static_cast<double>(bw[i]);
          pb[i] += static_cast<double>(bb[i]);
          bw[i] = T(0);
          bb[i] = T(0);
        }
      }
    }
  });
  if (!param_grads) return;
  T* gwp = gweight.defined() ? gweight.data<T>() : nullptr;
  T* gbp = gbias.defined() ? gbias.data<T>() : nullptr;
  for (int64_t i = 0; i < d; ++i) {
    double w = 0, b = 0;
    for (int64_t k = 0; k < chunks; ++k) {
      w += part[k * d * 2 + i];
      b += part[k * d * 2 + d + i];
    }
    if (gwp != nullptr) gwp[i] = static_cast<T>(w);
    if (gbp != nullptr) gbp[i] = static_cast<T>(b);
  }
}

void LayerNormForward(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& mean, const Tensor& invstd, const Tensor& y) {
  DispatchFloating(x.dtype(), "LayerNorm", [&](auto tag) {
    LayerNormForwardT<decltype(tag)>(p, x, weight, bias, mean, invstd, y);
  });
}

void LayerNormBackward(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                       const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                       const Tensor& gbias) {
  DispatchFloating(x.dtype(), "LayerNorm backward", [&](auto tag) {
    LayerNormBackwardT<decltype(tag)>(p, x, weight, mean, invstd, gy, gx, gweight, gbias);
  });
}

}  // namespace

const BatchNormKernels kBatchNorm = {BatchNormForward, BatchNormBackward};
const LayerNormKernels kLayerNorm = {LayerNormForward, LayerNormBackward};

}  // namespace cpu
}  // namespace nb360
