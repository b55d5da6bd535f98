// ops/cuda/norm.cu: CUDA kernels for BatchNorm and LayerNorm (the contracts of ops/norm.h, the
// arithmetic of ops/cpu/norm.cc and ops/cpu/norm_stats.h).
//
// BatchNorm, per direction three launches, all on CurrentStream():
//   1. ChannelSumsKernel: per (channel tile, chunk of the channel's m = N * S values) block, the
//      two sums in double: forward sum(x - pivot), sum((x - pivot)^2) with pivot = x[0, c, 0] (the
//      CPU's shift, which keeps the one-pass variance accurate); backward sum(g), sum(g * (x -
//      mean)) with g = gy, masked by y > 0 under the fused ReLU. Each thread sums a fixed strided
//      subset of its chunk, the block adds the threads in a fixed tree, so partial sums are
//      deterministic. A block covers 1 channel (x (N, C, S): its 256 threads read consecutive s)
//      or 8 adjacent channels (channels-last (N, S, C): 8 consecutive values per row, 32 rows at a
//      time). The number of chunks depends only on the shape.
//   2. A per-channel finish kernel (one thread per channel) adds the chunks' partial sums in chunk
//      order and does exactly what FinishChannel / BackwardCoefficients do on the CPU: mean,
//      invstd, the in-place running-statistics update (momentum, unbiased variance m / (m - 1);
//      the running tensors may be float32 or float64, strided, independently of x), and the
//      per-channel coefficients (in x's dtype, as the CPU rounds them).
//   3. An elementwise kernel: y = max(x * scale + shift, lo) (lo = 0 with the fused ReLU, else
//      -inf), or gx = g * k + x * b + d.
// Eval mode skips launch 1 and reads the running statistics.
// LayerNorm: rows of (R, D). Forward: a group of G threads per row (G = 32..256 by D) sums the
// row's shifted moments in double (fixed tree), then writes the row. Backward: the same per-row
// sums of g = gy * w and g * (x - mean) give gx; the weight/bias gradients are column sums done in
// two deterministic stages (per chunk of rows in double, then the chunks in order). No atomics.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/tensor.h"
#include "ops/norm.h"

namespace nb360 {
namespace cuda {
namespace {

// Grid-stride loop bounds for 1-D launches.
__device__ inline int64_t GlobalThread() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t GridThreads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// max(v, lo) with std::max's NaN behaviour (NaN stays NaN).
template <class T>
__device__ inline T ClampBelow(T v, T lo) {
  return v < lo ? lo : v;
}

// Whether a grid-stride loop over [0, n) can run in uint32_t (index + grid size stays below 2^32).
bool FitsUint32(int64_t n) { return n < (int64_t{1} << 31); }

template <class T>
const T* DataOrNull(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
T* MutableDataOrNull(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// ------------------------------------------------------------------------------------ batch norm

// Element k in [0, m) of channel ch, m = N * S: x (N, C, S), or (N, S, C) when channels_last.
struct ChannelLayout {
  int64_t n = 0, c = 0, s = 0;
  bool channels_last = false;

  __host__ __device__ int64_t count() const { return n * s; }
  __device__ int64_t Offset(int64_t ch, int64_t k) const {
    if (channels_last) return k * c + ch;
    const int64_t i = k / s;
    return (i * c + ch) * s + (k - i * s);
  }
  // The channel of linear element offset `off`, in index type I (uint32_t when the tensor is small
  // enough: 32-bit division is several times cheaper).
  template <class I>
  __device__ int64_t ChannelOf(I off) const {
    return channels_last ? static_cast<int64_t>(off % static_cast<I>(c))
                         : static_cast<int64_t>((off / static_cast<I>(s)) % static_cast<I>(c));
  }
};

// Walks the values k, k + step, k + 2 step, ... of one channel without a division per value.
struct ChannelCursor {
  int64_t i = 0, j = 0;            // (N, C, S): batch index and s; channels-last: row = i, j unused
  int64_t step_i = 0, step_j = 0;

  __device__ ChannelCursor(const ChannelLayout& l, int64_t k, int64_t step) {
    if (l.channels_last) {
      i = k;
      step_i = step;
    } else {
      i = k / l.s;
      j = k - i * l.s;
      step_i = step / l.s;
      step_j = step - step_i * l.s;
    }
  }
  __device__ int64_t Offset(const ChannelLayout& l, int64_t ch) const {
    return l.channels_last ? i * l.c + ch : (i * l.c + ch) * l.s + j;
  }
  __device__ void Advance(const ChannelLayout& l) {
    i += step_i;
    j += step_j;
    if (j >= l.s && !l.channels_last) {
      j -= l.s;
      ++i;
    }
  }
};

ChannelLayout MakeLayout(const BatchNormParams& p, const Tensor& x) {
  ChannelLayout l;
  l.n = x.shape()[0];
  l.channels_last = p.channels_last;
  l.c = p.channels_last ? x.shape()[2] : x.shape()[1];
  l.s = p.channels_last ? x.shape()[1] : x.shape()[2];
  return l;
}

// A running statistic (C) of either floating dtype, any stride; p null when undefined.
struct RunningStat {
  void* p = nullptr;
  int64_t stride = 1;
  bool is_double = false;

  __device__ double Read(int64_t i) const {
    return is_double ? static_cast<const double*>(p)[i * stride]
                     : static_cast<double>(static_cast<const float*>(p)[i * stride]);
  }
  __device__ void Write(int64_t i, double v) const {
    if (is_double) {
      static_cast<double*>(p)[i * stride] = v;
    } else {
      static_cast<float*>(p)[i * stride] = static_cast<float>(v);
    }
  }
};

RunningStat MakeRunningStat(const Tensor& t) {
  RunningStat r;
  if (!t.defined()) return r;
  NB_CHECK(t.dtype() == DType::kFloat32 || t.dtype() == DType::kFloat64,
           "BatchNorm (CUDA): running statistics must be float32 or float64, got ", t.Describe());
  r.p = t.raw_data();
  r.stride = t.stride(0);
  r.is_double = t.dtype() == DType::kFloat64;
  return r;
}

// Channels per block of the sums kernel: 1 for (N, C, S), 8 adjacent ones for channels-last.
constexpr int kTileNcs = 1;
constexpr int kTileChannelsLast = 8;

// Chunks each channel's m values are cut into: enough blocks to fill the device, at least 4096
// values per chunk. Depends only on the shape, so the sums are reproducible.
int64_t ChunksFor(int64_t m, int64_t tiles) {
  const int64_t by_size = std::max<int64_t>(1, m / 4096);
  const int64_t by_blocks = std::max<int64_t>(1, 1024 / std::max<int64_t>(1, tiles));
  return std::min<int64_t>({by_size, by_blocks, 1024});
}

// What the sums kernel adds per value: forward (kGrad false) d = x - x[0, c, 0] -> (d, d^2);
// backward g = gy (0 where y <= 0 when y is given) -> (g, g * (x - mean[c])).
template <class T>
struct SumsInputs {
  const T* x = nullptr;
  const T* gy = nullptr;
  const T* y_relu = nullptr;  // the forward output when the ReLU is fused (backward only)
  const T* mean = nullptr;    // (C), backward only
};

// part1, part2 [chunk][C]: the chunk's two sums per channel. Block: kTileC channels x
// (kThreads / kTileC) parts; grid (channel tiles, chunks).
template <class T, int kTileC, bool kGrad>
__global__ void ChannelSumsKernel(ChannelLayout l, int64_t chunk_len, SumsInputs<T> in, double* part1,
                                  double* part2) {
  constexpr int kParts = kThreads / kTileC;
  __shared__ double sh1[kThreads];
  __shared__ double sh2[kThreads];
  const int lane = threadIdx.x % kTileC, part = threadIdx.x / kTileC;
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTileC + lane;
  const int64_t chunk = blockIdx.y;
  const int64_t m = l.count();
  const int64_t k0 = chunk * chunk_len;
  const int64_t k1 = k0 + chunk_len < m ? k0 + chunk_len : m;
  double a = 0.0, b = 0.0;
  if (ch < l.c) {
    const double center = kGrad ? static_cast<double>(in.mean[ch]) : static_cast<double>(in.x[l.Offset(ch, 0)]);
    ChannelCursor cur(l, k0 + part, kParts);
    for (int64_t k = k0 + part; k < k1; k += kParts, cur.Advance(l)) {
      const int64_t off = cur.Offset(l, ch);
      const double xv = static_cast<double>(in.x[off]);
      if (kGrad) {
        T g = in.gy[off];
        if (in.y_relu != nullptr && !(in.y_relu[off] > T(0))) g = T(0);
        const double gd = static_cast<double>(g);
        a += gd;
        b += gd * (xv - center);
      } else {
        const double d = xv - center;
        a += d;
        b += d * d;
      }
    }
  }
  sh1[threadIdx.x] = a;
  sh2[threadIdx.x] = b;
  __syncthreads();
  for (int stride = kParts / 2; stride > 0; stride /= 2) {
    if (part < stride) {
      sh1[threadIdx.x] += sh1[threadIdx.x + stride * kTileC];
      sh2[threadIdx.x] += sh2[threadIdx.x + stride * kTileC];
    }
    __syncthreads();
  }
  if (part == 0 && ch < l.c) {
    part1[chunk * l.c + ch] = sh1[lane];
    part2[chunk * l.c + ch] = sh2[lane];
  }
}

// Launches the sums kernel for layout l: part1, part2 get [chunks][C] partial sums.
template <class T, bool kGrad>
void LaunchChannelSums(const ChannelLayout& l, int64_t chunks, const SumsInputs<T>& in, double* part1,
                       double* part2) {
  const int64_t m = l.count();
  const int64_t chunk_len = (m + chunks - 1) / chunks;
  if (l.channels_last) {
    const dim3 grid(static_cast<unsigned>((l.c + kTileChannelsLast - 1) / kTileChannelsLast),
                    static_cast<unsigned>(chunks));
    ChannelSumsKernel<T, kTileChannelsLast, kGrad><<<grid, kThreads, 0, CurrentStream()>>>(l, chunk_len, in, part1,
                                                                                           part2);
  } else {
    const dim3 grid(static_cast<unsigned>(l.c), static_cast<unsigned>(chunks));
    ChannelSumsKernel<T, kTileNcs, kGrad><<<grid, kThreads, 0, CurrentStream()>>>(l, chunk_len, in, part1, part2);
  }
  CheckLaunch("BatchNorm ChannelSumsKernel");
}

int64_t TilesFor(const ChannelLayout& l) {
  return l.channels_last ? (l.c + kTileChannelsLast - 1) / kTileChannelsLast : l.c;
}

// Sum over chunks, in chunk order, of part[chunk][ch].
__device__ inline double SumChunks(const double* part, int64_t chunks, int64_t c, int64_t ch) {
  double s = 0.0;
  for (int64_t k = 0; k < chunks; ++k) s += part[k * c + ch];
  return s;
}

struct ForwardScalars {
  bool use_batch_stats;
  double momentum, eps, m;
};

// One thread per channel: FinishChannel of ops/cpu/norm_stats.h. Writes mean, invstd (x's dtype),
// the running statistics (batch statistics only) and scale, shift (x's dtype) for the output pass.
template <class T>
__global__ void ForwardFinishKernel(ForwardScalars sc, ChannelLayout l, int64_t chunks, const double* part1,
                                    const double* part2, const T* x, const T* w, const T* b, RunningStat rm,
                                    RunningStat rv, T* mean, T* invstd, T* scale, T* shift) {
  for (int64_t ch = GlobalThread(); ch < l.c; ch += GridThreads()) {
    const double wv = w == nullptr ? 1.0 : static_cast<double>(w[ch]);
    const double bv = b == nullptr ? 0.0 : static_cast<double>(b[ch]);
    double mu, istd;
    if (sc.use_batch_stats) {
      const double pivot = static_cast<double>(x[l.Offset(ch, 0)]);
      const double s1 = SumChunks(part1, chunks, l.c, ch), s2 = SumChunks(part2, chunks, l.c, ch);
      const double dm = s1 / sc.m;
      const double var = fmax(0.0, s2 / sc.m - dm * dm);
      mu = pivot + dm;
      istd = 1.0 / sqrt(var + sc.eps);
      if (rm.p != nullptr) {
        rm.Write(ch, (1.0 - sc.momentum) * rm.Read(ch) + sc.momentum * mu);
        rv.Write(ch, (1.0 - sc.momentum) * rv.Read(ch) + sc.momentum * var * sc.m / (sc.m - 1.0));
      }
    } else {
      mu = rm.Read(ch);
      istd = 1.0 / sqrt(rv.Read(ch) + sc.eps);
    }
    mean[ch] = static_cast<T>(mu);
    invstd[ch] = static_cast<T>(istd);
    scale[ch] = static_cast<T>(wv * istd);
    shift[ch] = static_cast<T>(bv - mu * wv * istd);
  }
}

// y = max(x * scale[c] + shift[c], lo) over all elements.
template <class T, class I>
__global__ void ForwardAffineKernel(ChannelLayout l, I total, const T* x, const T* scale, const T* shift, T lo,
                                    T* y) {
  for (I i = static_cast<I>(GlobalThread()); i < total; i += static_cast<I>(GridThreads())) {
    const int64_t ch = l.ChannelOf(i);
    y[i] = ClampBelow(x[i] * scale[ch] + shift[ch], lo);
  }
}

template <class T>
void BatchNormForwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                       const Tensor& invstd, const Tensor& y) {
  const ChannelLayout l = MakeLayout(p, x);
  if (l.c == 0) return;
  NB_CHECK(p.use_batch_stats || (running_mean.defined() && running_var.defined()),
           "BatchNorm (CUDA): eval mode needs running_mean and running_var");
  const int64_t m = l.count();
  NB_CHECK(!p.use_batch_stats || m > 0, "BatchNorm (CUDA): batch statistics of an empty batch, x ", x.Describe());
  const Device dev = x.device();
  const int64_t chunks = p.use_batch_stats ? ChunksFor(m, TilesFor(l)) : 0;
  const Tensor parts = Tensor::Empty({std::max<int64_t>(1, 2 * chunks * l.c)}, DType::kFloat64, dev);
  double* part1 = parts.data<double>();
  double* part2 = part1 + chunks * l.c;
  if (p.use_batch_stats) {
    SumsInputs<T> in;
    in.x = x.data<T>();
    LaunchChannelSums<T, false>(l, chunks, in, part1, part2);
  }
  const Tensor coef = Tensor::Empty({2 * l.c}, x.dtype(), dev);
  T* scale = coef.data<T>();
  T* shift = scale + l.c;
  const ForwardScalars sc{p.use_batch_stats, p.momentum, p.eps, static_cast<double>(m)};
  ForwardFinishKernel<T><<<BlocksFor(l.c), kThreads, 0, CurrentStream()>>>(
      sc, l, chunks, part1, part2, x.data<T>(), DataOrNull<T>(weight), DataOrNull<T>(bias),
      MakeRunningStat(running_mean), MakeRunningStat(running_var), mean.data<T>(), invstd.data<T>(), scale, shift);
  CheckLaunch("BatchNorm ForwardFinishKernel");
  const int64_t total = x.numel();
  if (total == 0) return;
  const T lo = p.relu ? T(0) : -std::numeric_limits<T>::infinity();
  if (FitsUint32(total)) {
    ForwardAffineKernel<T, uint32_t><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(
        l, static_cast<uint32_t>(total), x.data<T>(), scale, shift, lo, y.data<T>());
  } else {
    ForwardAffineKernel<T, int64_t><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(l, total, x.data<T>(), scale,
                                                                                         shift, lo, y.data<T>());
  }
  CheckLaunch("BatchNorm ForwardAffineKernel");
}

// One thread per channel: gweight = dot * invstd, gbias = sg, and the coefficients of
// gx = k * g + b * x + d (BackwardCoefficients of ops/cpu/norm_stats.h) in x's dtype.
template <class T>
__global__ void BackwardFinishKernel(bool use_batch_stats, double m, int64_t c, int64_t chunks, const double* part1,
                                     const double* part2, const T* w, const T* mean, const T* invstd, T* gw, T* gb,
                                     T* kv, T* bv, T* dv) {
  for (int64_t ch = GlobalThread(); ch < c; ch += GridThreads()) {
    const double sg = SumChunks(part1, chunks, c, ch), dot = SumChunks(part2, chunks, c, ch);
    const double istd = static_cast<double>(invstd[ch]);
    if (gw != nullptr) gw[ch] = static_cast<T>(dot * istd);
    if (gb != nullptr) gb[ch] = static_cast<T>(sg);
    if (kv == nullptr) continue;
    const double wv = w == nullptr ? 1.0 : static_cast<double>(w[ch]);
    const double k = wv * istd;
    double b = 0.0, d = 0.0;
    if (use_batch_stats) {
      b = -k * istd * istd * dot / m;
      d = -k * sg / m - b * static_cast<double>(mean[ch]);
    }
    kv[ch] = static_cast<T>(k);
    bv[ch] = static_cast<T>(b);
    dv[ch] = static_cast<T>(d);
  }
}

// gx = g * k[c] (+ x * b[c]) + d[c], g = gy masked by y > 0 when y_relu is given; x null when the
// statistics were constants.
template <class T, class I>
__global__ void BackwardAffineKernel(ChannelLayout l, I total, const T* gy, const T* y_relu, const T* x,
                                     const T* kv, const T* bv, const T* dv, T* gx) {
  for (I i = static_cast<I>(GlobalThread()); i < total; i += static_cast<I>(GridThreads())) {
    const int64_t ch = l.ChannelOf(i);
    T g = gy[i];
    if (y_relu != nullptr && !(y_relu[i] > T(0))) g = T(0);
    gx[i] = x == nullptr ? g * kv[ch] + dv[ch] : g * kv[ch] + x[i] * bv[ch] + dv[ch];
  }
}

template <class T>
void BatchNormBackwardT(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                        const Tensor& invstd, const Tensor& y, const Tensor& gy, const Tensor& gx,
                        const Tensor& gweight, const Tensor& gbias) {
  const ChannelLayout l = MakeLayout(p, x);
  if (l.c == 0) return;
  const int64_t m = l.count();
  const Device dev = x.device();
  const bool need_sums = gweight.defined() || gbias.defined() || (gx.defined() && p.use_batch_stats);
  const T* y_relu = p.relu ? y.data<T>() : nullptr;
  const int64_t chunks = need_sums && m > 0 ? ChunksFor(m, TilesFor(l)) : 0;
  const Tensor parts = Tensor::Empty({std::max<int64_t>(1, 2 * chunks * l.c)}, DType::kFloat64, dev);
  double* part1 = parts.data<double>();
  double* part2 = part1 + chunks * l.c;
  if (chunks > 0) {
    SumsInputs<T> in;
    in.x = x.data<T>();
    in.gy = gy.data<T>();
    in.y_relu = y_relu;
    in.mean = mean.data<T>();
    LaunchChannelSums<T, true>(l, chunks, in, part1, part2);
  }
  const Tensor coef = Tensor::Empty({3 * l.c}, x.dtype(), dev);
  T* kv = gx.defined() ? coef.data<T>() : nullptr;
  BackwardFinishKernel<T><<<BlocksFor(l.c), kThreads, 0, CurrentStream()>>>(
      p.use_batch_stats, static_cast<double>(m), l.c, chunks, part1, part2, DataOrNull<T>(weight), mean.data<T>(),
      invstd.data<T>(), MutableDataOrNull<T>(gweight), MutableDataOrNull<T>(gbias), kv,
      kv == nullptr ? nullptr : kv + l.c, kv == nullptr ? nullptr : kv + 2 * l.c);
  CheckLaunch("BatchNorm BackwardFinishKernel");
  const int64_t total = x.numel();
  if (!gx.defined() || total == 0) return;
  const T* xb = p.use_batch_stats ? x.data<T>() : nullptr;
  if (FitsUint32(total)) {
    BackwardAffineKernel<T, uint32_t><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(
        l, static_cast<uint32_t>(total), gy.data<T>(), y_relu, xb, kv, kv + l.c, kv + 2 * l.c, gx.data<T>());
  } else {
    BackwardAffineKernel<T, int64_t><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(
        l, total, gy.data<T>(), y_relu, xb, kv, kv + l.c, kv + 2 * l.c, gx.data<T>());
  }
  CheckLaunch("BatchNorm BackwardAffineKernel");
}

void BatchNormForward(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                      const Tensor& invstd, const Tensor& y) {
  DispatchFloating(x.dtype(), "BatchNorm (CUDA)", [&](auto tag) {
    BatchNormForwardT<decltype(tag)>(p, x, weight, bias, running_mean, running_var, mean, invstd, y);
  });
}

void BatchNormBackward(const BatchNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                       const Tensor& invstd, const Tensor& y, const Tensor& gy, const Tensor& gx,
                       const Tensor& gweight, const Tensor& gbias) {
  DispatchFloating(x.dtype(), "BatchNorm backward (CUDA)", [&](auto tag) {
    BatchNormBackwardT<decltype(tag)>(p, x, weight, mean, invstd, y, gy, gx, gweight, gbias);
  });
}

// ------------------------------------------------------------------------------------ layer norm

// Threads per row: the smallest power of two >= D, 32..kThreads. Rows per block: kThreads / that.
int RowGroupFor(int64_t d) {
  int g = 32;
  while (g < kThreads && g < d) g *= 2;
  return g;
}

// Adds sh1/sh2 over each group of g adjacent threads (a fixed tree); the sums end at the group's
// first thread. Every thread of the block must call it.
__device__ inline void GroupTreeSum(double* sh1, double* sh2, int g) {
  const int lane = threadIdx.x % g;
  for (int stride = g / 2; stride > 0; stride /= 2) {
    if (lane < stride) {
      sh1[threadIdx.x] += sh1[threadIdx.x + stride];
      sh2[threadIdx.x] += sh2[threadIdx.x + stride];
    }
    __syncthreads();
  }
}

// One group of g threads per row (grid-stride over row blocks): mean, invstd of the row from its
// moments shifted by the row's first value, then y = (x * a + c) [* w] [+ b], a = invstd,
// c = -mean * invstd (in T, as the CPU).
template <class T>
__global__ void LayerNormForwardKernel(int64_t rows, int64_t d, int g, double eps, const T* x, const T* w, const T* b,
                                       T* mean, T* invstd, T* y) {
  __shared__ double sh1[kThreads];
  __shared__ double sh2[kThreads];
  __shared__ T row_a[kThreads];
  __shared__ T row_c[kThreads];
  const int lane = threadIdx.x % g, grp = threadIdx.x / g, groups = blockDim.x / g;
  for (int64_t r0 = static_cast<int64_t>(blockIdx.x) * groups; r0 < rows; r0 += static_cast<int64_t>(gridDim.x) * groups) {
    const int64_t r = r0 + grp;
    const T* xr = x + r * d;
    double s1 = 0.0, s2 = 0.0;
    if (r < rows) {
      const double pivot = static_cast<double>(xr[0]);
      for (int64_t i = lane; i < d; i += g) {
        const double dv = static_cast<double>(xr[i]) - pivot;
        s1 += dv;
        s2 += dv * dv;
      }
    }
    sh1[threadIdx.x] = s1;
    sh2[threadIdx.x] = s2;
    __syncthreads();
    GroupTreeSum(sh1, sh2, g);
    if (lane == 0 && r < rows) {
      const double dd = static_cast<double>(d);
      const double shift = sh1[threadIdx.x] / dd;
      const double var = fmax(0.0, sh2[threadIdx.x] / dd - shift * shift);
      const double mu = static_cast<double>(xr[0]) + shift;
      const double is = 1.0 / sqrt(var + eps);
      mean[r] = static_cast<T>(mu);
      invstd[r] = static_cast<T>(is);
      row_a[grp] = static_cast<T>(is);
      row_c[grp] = static_cast<T>(-mu * is);
    }
    __syncthreads();
    if (r < rows) {
      const T a = row_a[grp], c = row_c[grp];
      T* yr = y + r * d;
      for (int64_t i = lane; i < d; i += g) {
        T v = xr[i] * a + c;
        if (w != nullptr) v = v * w[i];
        if (b != nullptr) v = v + b[i];
        yr[i] = v;
      }
    }
    __syncthreads();  // shared arrays are reused by the next row block
  }
}

// Row blocks for a row-group kernel: one block per kThreads / g rows, capped (grid-stride).
int RowBlocks(int64_t rows, int g) {
  const int64_t per_block = kThreads / g;
  const int64_t blocks = (rows + per_block - 1) / per_block;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(blocks, 65535LL * 8)));
}

// gx per row: g = gy * w (or gy), sums sg = sum(g), sgx = sum(g * (x - mean)) in double, then
// gx = g * invstd - (x - mean) * a - c with a = invstd^3 * sgx / D, c = invstd * sg / D (in T).
template <class T>
__global__ void LayerNormBackwardRowsKernel(int64_t rows, int64_t d, int g, const T* x, const T* gy, const T* w,
                                            const T* mean, const T* invstd, T* gx) {
  __shared__ double sh1[kThreads];
  __shared__ double sh2[kThreads];
  __shared__ T row_a[kThreads];
  __shared__ T row_c[kThreads];
  const int lane = threadIdx.x % g, grp = threadIdx.x / g, groups = blockDim.x / g;
  for (int64_t r0 = static_cast<int64_t>(blockIdx.x) * groups; r0 < rows; r0 += static_cast<int64_t>(gridDim.x) * groups) {
    const int64_t r = r0 + grp;
    const T* xr = x + r * d;
    const T* gr = gy + r * d;
    double s1 = 0.0, s2 = 0.0;
    T m = T(0), is = T(0);
    if (r < rows) {
      m = mean[r];
      is = invstd[r];
      for (int64_t i = lane; i < d; i += g) {
        const T gv = w != nullptr ? gr[i] * w[i] : gr[i];
        const T xc = xr[i] - m;
        s1 += static_cast<double>(gv);
        s2 += static_cast<double>(gv) * static_cast<double>(xc);
      }
    }
    sh1[threadIdx.x] = s1;
    sh2[threadIdx.x] = s2;
    __syncthreads();
    GroupTreeSum(sh1, sh2, g);
    if (lane == 0 && r < rows) {
      const double isd = static_cast<double>(is), dd = static_cast<double>(d);
      row_a[grp] = static_cast<T>(isd * isd * isd * sh2[threadIdx.x] / dd);
      row_c[grp] = static_cast<T>(isd * sh1[threadIdx.x] / dd);
    }
    __syncthreads();
    if (r < rows) {
      const T a = row_a[grp], c = row_c[grp];
      T* o = gx + r * d;
      for (int64_t i = lane; i < d; i += g) {
        const T gv = w != nullptr ? gr[i] * w[i] : gr[i];
        o[i] = gv * is - (xr[i] - m) * a - c;
      }
    }
    __syncthreads();
  }
}

// Column sums for the weight and bias gradients, stage 1: block (32 columns x 8 row parts), grid
// (column tiles, row chunks); pw, pb [chunk][D] = sums over the chunk's rows of gy * xhat and gy,
// xhat = (x - mean) * invstd (in T, as the CPU), accumulated in double, parts added in a fixed tree.
constexpr int kColTile = 32;
constexpr int kRowParts = kThreads / kColTile;

template <class T>
__global__ void LayerNormParamSumsKernel(int64_t rows, int64_t d, int64_t chunk_rows, const T* x, const T* gy,
                                         const T* mean, const T* invstd, double* pw, double* pb) {
  __shared__ double sh1[kThreads];
  __shared__ double sh2[kThreads];
  const int lane = threadIdx.x % kColTile, part = threadIdx.x / kColTile;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColTile + lane;
  const int64_t chunk = blockIdx.y;
  const int64_t r0 = chunk * chunk_rows;
  const int64_t r1 = r0 + chunk_rows < rows ? r0 + chunk_rows : rows;
  double sw = 0.0, sb = 0.0;
  if (col < d) {
    for (int64_t r = r0 + part; r < r1; r += kRowParts) {
      const T gv = gy[r * d + col];
      const T xhat = (x[r * d + col] - mean[r]) * invstd[r];
      sw += static_cast<double>(gv * xhat);
      sb += static_cast<double>(gv);
    }
  }
  sh1[threadIdx.x] = sw;
  sh2[threadIdx.x] = sb;
  __syncthreads();
  for (int stride = kRowParts / 2; stride > 0; stride /= 2) {
    if (part < stride) {
      sh1[threadIdx.x] += sh1[threadIdx.x + stride * kColTile];
      sh2[threadIdx.x] += sh2[threadIdx.x + stride * kColTile];
    }
    __syncthreads();
  }
  if (part == 0 && col < d) {
    pw[chunk * d + col] = sh1[lane];
    pb[chunk * d + col] = sh2[lane];
  }
}

// Stage 2: gw[i], gb[i] = the chunks' partial sums added in chunk order (either output may be null).
template <class T>
__global__ void LayerNormParamFinishKernel(int64_t d, int64_t chunks, const double* pw, const double* pb, T* gw,
                                           T* gb) {
  for (int64_t i = GlobalThread(); i < d; i += GridThreads()) {
    if (gw != nullptr) gw[i] = static_cast<T>(SumChunks(pw, chunks, d, i));
    if (gb != nullptr) gb[i] = static_cast<T>(SumChunks(pb, chunks, d, i));
  }
}

// Row chunks of the column sums: ~2048 blocks in all, at least 64 rows each (shape-only).
int64_t ColumnChunksFor(int64_t rows, int64_t d) {
  const int64_t tiles = (d + kColTile - 1) / kColTile;
  const int64_t by_rows = std::max<int64_t>(1, rows / 64);
  const int64_t by_blocks = std::max<int64_t>(1, 2048 / tiles);
  return std::min<int64_t>({by_rows, by_blocks, 1024});
}

template <class T>
void LayerNormForwardT(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const Tensor& mean, const Tensor& invstd, const Tensor& y) {
  const int64_t rows = x.shape()[0], d = x.shape()[1];
  if (rows == 0 || d == 0) return;
  const int g = RowGroupFor(d);
  LayerNormForwardKernel<T><<<RowBlocks(rows, g), kThreads, 0, CurrentStream()>>>(
      rows, d, g, p.eps, x.data<T>(), DataOrNull<T>(weight), DataOrNull<T>(bias), mean.data<T>(), invstd.data<T>(),
      y.data<T>());
  CheckLaunch("LayerNormForwardKernel");
}

template <class T>
void LayerNormParamGrads(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& gy,
                         const Tensor& gweight, const Tensor& gbias) {
  const int64_t rows = x.shape()[0], d = x.shape()[1];
  const int64_t chunks = rows == 0 ? 0 : ColumnChunksFor(rows, d);
  const Tensor parts = Tensor::Empty({std::max<int64_t>(1, 2 * chunks * d)}, DType::kFloat64, x.device());
  double* pw = parts.data<double>();
  double* pb = pw + chunks * d;
  if (chunks > 0) {
    const int64_t chunk_rows = (rows + chunks - 1) / chunks;
    const dim3 grid(static_cast<unsigned>((d + kColTile - 1) / kColTile), static_cast<unsigned>(chunks));
    LayerNormParamSumsKernel<T><<<grid, kThreads, 0, CurrentStream()>>>(
        rows, d, chunk_rows, x.data<T>(), gy.data<T>(), mean.data<T>(), invstd.data<T>(), pw, pb);
    CheckLaunch("LayerNormParamSumsKernel");
  }
  LayerNormParamFinishKernel<T><<<BlocksFor(d), kThreads, 0, CurrentStream()>>>(
      d, chunks, pw, pb, MutableDataOrNull<T>(gweight), MutableDataOrNull<T>(gbias));
  CheckLaunch("LayerNormParamFinishKernel");
}

template <class T>
void LayerNormBackwardT(const LayerNormParams&, const Tensor& x, const Tensor& weight, const Tensor& mean,
                        const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                        const Tensor& gbias) {
  const int64_t rows = x.shape()[0], d = x.shape()[1];
  if (d == 0) return;
  if (gweight.defined() || gbias.defined()) LayerNormParamGrads<T>(x, mean, invstd, gy, gweight, gbias);
  if (!gx.defined() || rows == 0) return;
  const int g = RowGroupFor(d);
  LayerNormBackwardRowsKernel<T><<<RowBlocks(rows, g), kThreads, 0, CurrentStream()>>>(
      rows, d, g, x.data<T>(), gy.data<T>(), DataOrNull<T>(weight), mean.data<T>(), invstd.data<T>(), gx.data<T>());
  CheckLaunch("LayerNormBackwardRowsKernel");
}

void LayerNormForward(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& mean, const Tensor& invstd, const Tensor& y) {
  DispatchFloating(x.dtype(), "LayerNorm (CUDA)", [&](auto tag) {
    LayerNormForwardT<decltype(tag)>(p, x, weight, bias, mean, invstd, y);
  });
}

void LayerNormBackward(const LayerNormParams& p, const Tensor& x, const Tensor& weight, const Tensor& mean,
                       const Tensor& invstd, const Tensor& gy, const Tensor& gx, const Tensor& gweight,
                       const Tensor& gbias) {
  DispatchFloating(x.dtype(), "LayerNorm backward (CUDA)", [&](auto tag) {
    LayerNormBackwardT<decltype(tag)>(p, x, weight, mean, invstd, gy, gx, gweight, gbias);
  });
}

}  // namespace

const BatchNormKernels kBatchNorm = {BatchNormForward, BatchNormBackward};
const LayerNormKernels kLayerNorm = {LayerNormForward, LayerNormBackward};

}  // namespace cuda
}  // namespace nb360
