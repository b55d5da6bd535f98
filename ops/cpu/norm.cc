// ops/cpu/norm.cc: CPU kernels for BatchNorm and LayerNorm.
//
// BatchNorm sees x as (N, C, S) and works on (n, c) planes of S contiguous values. The planes are
// split into one static chunk per thread; each chunk sums into its own per-channel double
// accumulators, which are then added in chunk order (so results do not depend on timing). The
// statistics pass sums x - pivot and (x - pivot)^2 with pivot = x[0, c, 0], which keeps the one-pass
// variance accurate when |mean| >> std. The second pass is one fused multiply-add per element.
// LayerNorm works on rows of (R, D): each row's mean and variance are computed two-pass while the row
// is in cache. The same templates serve float32 (the fast path) and float64. Hot loops use
// `omp simd` so that reductions vectorise.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/parallel.h"
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

// Reads element i of a floating (C) tensor of any floating dtype as double.
double ReadAt(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kFloat32 ? static_cast<double>(t.data<float>()[i * t.stride(0)])
                                      : t.data<double>()[i * t.stride(0)];
}

void WriteAt(const Tensor& t, int64_t i, double v) {
  if (t.dtype() == DType::kFloat32) {
    t.data<float>()[i * t.stride(0)] = static_cast<float>(v);
  } else {
    t.data<double>()[i * t.stride(0)] = v;
  }
}

// ------------------------------------------------------------------------------------ batch norm

// Two per-channel sums over the n * c planes of an (N, C, S) layout: row(plane, channel, &acc1, &acc2)
// adds one plane's contributions to its chunk's accumulators; s1, s2 (C) get the totals.
template <class Row>
void ChannelSums(int64_t n, int64_t c, int64_t s, const Row& row, std::vector<double>* s1,
                 std::vector<double>* s2) {
  const int64_t planes = n * c;
  const int64_t chunks = NumChunks(planes, std::max<int64_t>(1, kGrainElements / std::max<int64_t>(s, 1)));
  std::vector<double> part(static_cast<size_t>(chunks * c * 2), 0.0);
  ForChunks(planes, chunks, [&](int64_t k, int64_t lo, int64_t hi) {
    double* acc = part.data() + k * c * 2;
    for (int64_t p = lo; p < hi; ++p) {
      const int64_t ch = p % c;
      row(p, ch, &acc[2 * ch], &acc[2 * ch + 1]);
    }
  });
  s1->assign(c, 0.0);
  s2->assign(c, 0.0);
  for (int64_t k = 0; k < chunks; ++k) {
    for (int64_t ch = 0; ch < c; ++ch) {
      (*s1)[ch] += part[(k * c + ch) * 2];
      (*s2)[ch] += part[(k * c + ch) * 2 + 1];
    }
  }
}

// out[p] = a[ch] * in1[p] (+ b[ch] * in2[p]) + d[ch] over planes (in2 may be null).
template <class T>
void ChannelAffine(int64_t n, int64_t c, int64_t s, const T* in1, const T* in2, const T* a, const T* b,
                   const T* d, T* out) {
  const int64_t planes = n * c;
  ParallelFor(0, planes, std::max<int64_t>(1, kGrainElements / std::max<int64_t>(s, 1)),
              [&](int64_t lo, int64_t hi) {
                for (int64_t p = lo; p < hi; ++p) {
                  const int64_t ch = p % c;
                  const T av = a[ch], dv = d[ch];
                  const T* i1 = in1 + p * s;
                  T* o = out + p * s;
                  if (in2 == nullptr) {
#pragma omp simd
                    for (int64_t i = 0; i < s; ++i) o[i] = i1[i] * av + dv;
                  } else {
                    const T bv = b[ch];
                    const T* i2 = in2 + p * s;
#pragma omp simd
                    for (int64_t i = 0; i < s; ++i) o[i] = i1[i] * av + i2[i] * bv + dv;
                  }
                }
              });
}

template <class T>
void BatchNormForwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                       const Tensor& invstd, const Tensor& y) {
  const int64_t n = x.shape()[0], c = x.shape()[1], s = x.shape()[2];
  const T* xp = x.data<T>();
  std::vector<double> mu(c), istd(c);
  if (p.use_batch_stats) {
    std::vector<double> s1, s2;
    ChannelSums(n, c, s,
                [&](int64_t plane, int64_t ch, double* a1, double* a2) {
                  const T* r = xp + plane * s;
                  const double pivot = static_cast<double>(xp[ch * s]);
                  double u = 0, v = 0;
#pragma omp simd reduction(+ : u, v)
                  for (int64_t i = 0; i < s; ++i) {
                    const double dv = static_cast<double>(r[i]) - pivot;
                    u += dv;
                    v += dv * dv;
                  }
                  *a1 += u;
                  *a2 += v;
                },
                &s1, &s2);
    const double m = static_cast<double>(n * s);
    for (int64_t ch = 0; ch < c; ++ch) {
      const double shift = s1[ch] / m;
      const double var = std::max(0.0, s2[ch] / m - shift * shift);
      mu[ch] = static_cast<double>(xp[ch * s]) + shift;
      istd[ch] = 1.0 / std::sqrt(var + p.eps);
      if (running_mean.defined()) {
        WriteAt(running_mean, ch, (1.0 - p.momentum) * ReadAt(running_mean, ch) + p.momentum * mu[ch]);
        WriteAt(running_var, ch,
                (1.0 - p.momentum) * ReadAt(running_var, ch) + p.momentum * var * m / (m - 1.0));
      }
    }
  } else {
    for (int64_t ch = 0; ch < c; ++ch) {
      mu[ch] = ReadAt(running_mean, ch);
      istd[ch] = 1.0 / std::sqrt(ReadAt(running_var, ch) + p.eps);
    }
  }
  // y = x * scale + shift with scale = w * invstd, shift = b - mean * scale.
  std::vector<T> scale(c), shift(c);
  T* mp = mean.data<T>();
  T* ip = invstd.data<T>();
  for (int64_t ch = 0; ch < c; ++ch) {
    const double w = weight.defined() ? static_cast<double>(weight.data<T>()[ch]) : 1.0;
    const double b = bias.defined() ? static_cast<double>(bias.data<T>()[ch]) : 0.0;
    mp[ch] = static_cast<T>(mu[ch]);
    ip[ch] = static_cast<T>(istd[ch]);
    scale[ch] = static_cast<T>(w * istd[ch]);
    shift[ch] = static_cast<T>(b - mu[ch] * w * istd[ch]);
  }
  ChannelAffine<T>(n, c, s, xp, nullptr, scale.data(), nullptr, shift.data(), y.data<T>());
}

template <class T>
void BatchNormBackwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                        const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                        const Tensor& gbias) {
  const int64_t n = x.shape()[0], c = x.shape()[1], s = x.shape()[2];
  const T* xp = x.data<T>();
  const T* gp = gy.data<T>();
  const T* mp = mean.data<T>();
  const T* ip = invstd.data<T>();
  const bool need_sums = gweight.defined() || gbias.defined() || (gx.defined() && p.use_batch_stats);
  // Pass 1: sum(gy) and sum(gy * (x - mean)) per channel.
  std::vector<double> sum_g(c, 0.0), dot(c, 0.0);
  if (need_sums) {
    ChannelSums(n, c, s,
                [&](int64_t plane, int64_t ch, double* a1, double* a2) {
                  const T* xr = xp + plane * s;
                  const T* gr = gp + plane * s;
                  const T m = mp[ch];
                  double u = 0, v = 0;
#pragma omp simd reduction(+ : u, v)
                  for (int64_t i = 0; i < s; ++i) {
                    u += static_cast<double>(gr[i]);
                    v += static_cast<double>(gr[i] * (xr[i] - m));
                  }
                  *a1 += u;
                  *a2 += v;
                },
                &sum_g, &dot);
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    if (gweight.defined()) gweight.data<T>()[ch] = static_cast<T>(dot[ch] * ip[ch]);
    if (gbias.defined()) gbias.data<T>()[ch] = static_cast<T>(sum_g[ch]);
  }
  if (!gx.defined()) return;
  // Pass 2: gx = k * gy + b * x + d, with k = w * invstd and, for batch statistics,
  // b = -k * invstd^2 * dot / M, d = -k * sum_g / M - b * mean.
  const double m = static_cast<double>(n * s);
  std::vector<T> kv(c), bv(c), dv(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double w = weight.defined() ? static_cast<double>(weight.data<T>()[ch]) : 1.0;
    const double is = static_cast<double>(ip[ch]);
    const double k = w * is;
    kv[ch] = static_cast<T>(k);
    if (p.use_batch_stats) {
      const double b = -k * is * is * dot[ch] / m;
      bv[ch] = static_cast<T>(b);
      dv[ch] = static_cast<T>(-k * sum_g[ch] / m - b * static_cast<double>(mp[ch]));
    } else {
      bv[ch] = T(0);
      dv[ch] = T(0);
    }
  }
  ChannelAffine<T>(n, c, s, gp, p.use_batch_stats ? xp : nullptr, kv.data(), bv.data(), dv.data(),
                   gx.data<T>());
}

void BatchNormForward(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                      const Tensor& invstd, const Tensor& y) {
  DispatchFloating(x.dtype(), "BatchNorm", [&](auto tag) {
    BatchNormForwardT<decltype(tag)>(p, x, weight, bias, running_mean, running_var, mean, invstd, y);
  });
}

void BatchNormBackward(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                       const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                       const Tensor& gbias) {
  DispatchFloating(x.dtype(), "BatchNorm backward", [&](auto tag) {
    BatchNormBackwardT<decltype(tag)>(p, x, weight, mean, invstd, gy, gx, gweight, gbias);
  });
}

// ------------------------------------------------------------------------------------ layer norm

// Mean and 1/sqrt(var + eps) of one row, two-pass (the row stays in cache).
template <class T>
void RowMoments(const T* r, int64_t d, double eps, double* mean, double* invstd) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < d; ++i) s += static_cast<double>(r[i]);
  const double m = s / static_cast<double>(d);
  const T mt = static_cast<T>(m);
  double v = 0;
  // The deviations from the rounded mean, corrected by the rounding error (m - mt) afterwards.
#pragma omp simd reduction(+ : v)
  for (int64_t i = 0; i < d; ++i) {
    const double dv = static_cast<double>(r[i] - mt);
    v += dv * dv;
  }
  const double delta = m - static_cast<double>(mt);
  const double var = std::max(0.0, v / static_cast<double>(d) - delta * delta);
  *mean = m;
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
  const int64_t chunks = NumChunks(rows, std::max<int64_t>(1, kGrainElements / d));
  // Per chunk: d partial sums of gy * xhat, then d of gy.
  std::vector<double> part(param_grads ? static_cast<size_t>(chunks * d * 2) : 0, 0.0);
  ForChunks(rows, chunks, [&](int64_t k, int64_t lo, int64_t hi) {
    double* pw = param_grads ? part.data() + k * d * 2 : nullptr;
    double* pb = param_grads ? pw + d : nullptr;
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = xp + r * d;
      const T* gr = gp + r * d;
      const T m = mp[r], is = ip[r];
      if (param_grads) {
#pragma omp simd
        for (int64_t i = 0; i < d; ++i) {
          pw[i] += static_cast<double>(gr[i] * ((xr[i] - m) * is));
          pb[i] += static_cast<double>(gr[i]);
        }
      }
      if (gxp == nullptr) continue;
      // g = gy * w; gx = invstd * (g - mean(g) - xhat * mean(g * xhat)).
      double sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
      for (int64_t i = 0; i < d; ++i) {
        const T g = wp == nullptr ? gr[i] : gr[i] * wp[i];
        sg += static_cast<double>(g);
        sgx += static_cast<double>(g * (xr[i] - m));
      }
      const double isd = static_cast<double>(is);
      const T a = static_cast<T>(isd * sgx * isd * isd / static_cast<double>(d));  // coefficient of (x - m)
      const T c = static_cast<T>(isd * sg / static_cast<double>(d));
      T* o = gxp + r * d;
#pragma omp simd
      for (int64_t i = 0; i < d; ++i) {
        const T g = wp == nullptr ? gr[i] : gr[i] * wp[i];
        o[i] = g * is - (xr[i] - m) * a - c;
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
