// ops/cpu/conv_depthwise.cc: depthwise convolution on nchw planes (see conv_depthwise.h).
//
// Every pass first copies the plane it reads into a zero-padded scratch plane (L1/L2-resident), so
// the inner loops have no bounds tests:
//   forward          y[r][q] = b + sum_ij k[i][j] * xpad[r*sh + i*dh][q*sw + j*dw]
//   backward data    stride 1: the same correlation of the padded gy with the flipped kernel;
//                    otherwise a scatter into a padded gx plane, then cropped
//   backward weight  gw[i][j] = sum over images and (r, q) of gy[r][q] * xpad[r*sh + i*dh][q*sw + j*dw]
// 3x3 and 5x5 kernels are compile-time sizes, so their taps unroll and the output row vectorises.
// Forward and backward-data parallelise over (image, channel) planes, backward-weight over channels
// (float lanes within an image, double across images).
#include "ops/cpu/conv_depthwise.h"

#include <algorithm>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/conv_geometry.h"

namespace nb360 {
namespace cpu {
namespace {

// A zero-padded copy of one plane, with room for at least `min_rows` x `min_cols`. The borders
// are zeroed only when the layout changes: the planes of one call share it.
struct PaddedPlane {
  std::vector<float> data;
  int64_t rows = -1, cols = -1, h = -1, w = -1, top = -1, left = -1;

  // Copies src (h, w) with `top` / `left` zeros before it.
  void Fill(const float* src, int64_t src_h, int64_t src_w, int64_t pad_top, int64_t pad_left,
            int64_t min_rows, int64_t min_cols) {
    const int64_t new_rows = std::max(min_rows, src_h + pad_top);
    const int64_t new_cols = std::max(min_cols, src_w + pad_left);
    if (new_rows != rows || new_cols != cols || src_h != h || src_w != w || pad_top != top ||
        pad_left != left) {
      rows = new_rows, cols = new_cols, h = src_h, w = src_w, top = pad_top, left = pad_left;
      data.assign(rows * cols, 0.0f);
    }
    for (int64_t r = 0; r < h; ++r)
      std::copy(src + r * w, src + (r + 1) * w, data.data() + (r + top) * cols + left);
  }
};

// Eight floats, and unaligned loads / stores of them (GCC / Clang vector extensions).
typedef float V8 __attribute__((vector_size(32)));
typedef float V8Unaligned __attribute__((vector_size(32), aligned(4), may_alias));
inline V8 Load(const float* p) { return *reinterpret_cast<const V8Unaligned*>(p); }
inline void Store(float* p, V8 v) { *reinterpret_cast<V8Unaligned*>(p) = v; }

// Spatial attributes of one correlation over a padded plane.
struct Walk {
  int64_t out_h, out_w;  // output size
  int64_t sh, sw, dh, dw;
  int64_t kh, kw;
};

// out[r][q] = bias + sum_ij k[i][j] * in[(r*sh + i*dh) * ld + q*sw + j*dw]. KH, KW > 0 fix the
// kernel size at compile time (the taps unroll); 0 reads it from the walk. Unit column strides
// run eight outputs at a time with the sums in registers.
template <int KH, int KW>
void Correlate(const float* in, int64_t ld, const float* k, float bias, const Walk& w, float* out) {
  const int64_t kh = KH > 0 ? KH : w.kh, kw = KW > 0 ? KW : w.kw;
  for (int64_t r = 0; r < w.out_h; ++r) {
    const float* base = in + r * w.sh * ld;
    float* o = out + r * w.out_w;
    int64_t q = 0;
    if (w.sw == 1) {
      for (; q + 8 <= w.out_w; q += 8) {
        V8 acc = V8{} + bias;
#pragma GCC unroll 8
        for (int64_t i = 0; i < kh; ++i) {
          const float* row = base + i * w.dh * ld + q;
#pragma GCC unroll 8
          for (int64_t j = 0; j < kw; ++j) acc += k[i * kw + j] * Load(row + j * w.dw);
        }
        Store(o + q, acc);
      }
    }
    for (; q < w.out_w; ++q) {
      float acc = bias;
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) acc += k[i * kw + j] * base[i * w.dh * ld + q * w.sw + j * w.dw];
      o[q] = acc;
    }
  }
}

void CorrelateAny(const float* in, int64_t ld, const float* k, float bias, const Walk& w, float* out) {
  if (w.kh == 3 && w.kw == 3) return Correlate<3, 3>(in, ld, k, bias, w, out);
  if (w.kh == 5 && w.kw == 5) return Correlate<5, 5>(in, ld, k, bias, w, out);
  Correlate<0, 0>(in, ld, k, bias, w, out);
}

// sum over r < rows, q < cols of a[r * lda + q] * b[r * ldb + q * sb]: float lanes, double total.
double PlaneDot(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t sb, int64_t rows,
                int64_t cols) {
  V8 lanes{};
  float tail = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * lda;
    const float* br = b + r * ldb;
    int64_t q = 0;
    if (sb == 1) {
      for (; q + 8 <= cols; q += 8) lanes += Load(ar + q) * Load(br + q);
    }
    for (; q < cols; ++q) tail += ar[q] * br[q * sb];
  }
  double s = tail;
  for (int l = 0; l < 8; ++l) s += lanes[l];
  return s;
}

// sum of a[0, n): float lanes, double total.
double SumOf(const float* a, int64_t n) {
  V8 lanes{};
  int64_t q = 0;
  for (; q + 8 <= n; q += 8) lanes += Load(a + q);
  double s = 0;
  for (; q < n; ++q) s += a[q];
  for (int l = 0; l < 8; ++l) s += lanes[l];
  return s;
}

// out[j] += PlaneDot(a, lda, b + j * dj, ldb, 1, rows, cols) for j < KW, reading each a once.
template <int KW>
void TapDots(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t dj, int64_t rows, int64_t cols,
             double* out) {
  V8 lanes[KW] = {};
  float tail[KW] = {};
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * lda;
    const float* br = b + r * ldb;
    int64_t q = 0;
    for (; q + 8 <= cols; q += 8) {
      const V8 g = Load(ar + q);
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j) lanes[j] += g * Load(br + q + j * dj);
    }
    for (; q < cols; ++q) {
      for (int j = 0; j < KW; ++j) tail[j] += ar[q] * br[q + j * dj];
    }
  }
  for (int j = 0; j < KW; ++j) {
    double s = tail[j];
    for (int l = 0; l < 8; ++l) s += lanes[j][l];
    out[j] += s;
  }
}

// One kernel row of weight gradients: out[j] += sum of a * b shifted by j * dj, for j < kw.
void RowOfTapDots(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t sb, int64_t dj,
                  int64_t kw, int64_t rows, int64_t cols, double* out) {
  if (sb == 1 && kw == 3) return TapDots<3>(a, lda, b, ldb, dj, rows, cols, out);
  if (sb == 1 && kw == 5) return TapDots<5>(a, lda, b, ldb, dj, rows, cols, out);
  for (int64_t j = 0; j < kw; ++j) out[j] += PlaneDot(a, lda, b + j * dj, ldb, sb, rows, cols);
}

// Planes per parallel chunk: enough work (~32K multiply-adds) to be worth a thread.
int64_t PlaneGrain(const ConvGeometry& g) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(g.oh * g.ow * g.kh * g.kw, 1));
}

// Rows (or columns) a padded input needs so that every output reads inside it.
int64_t Needed(int64_t out, int64_t stride, int64_t kernel, int64_t dilation) {
  return (out - 1) * stride + dilation * (kernel - 1) + 1;
}

}  // namespace

bool IsDepthwise(const Conv2dParams& p, const Shape& x, const Shape& w) {
  return p.groups > 1 && p.groups == x[1] && w[0] == x[1] && w[1] == 1;
}

void DepthwiseForward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                      const Tensor& y) {
  const ConvGeometry g = GeometryOf(p, x.shape(), w.shape(), y.shape());
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  const float* bp = b.defined() ? b.data<float>() : nullptr;
  float* yp = y.data<float>();
  const Walk walk{g.oh, g.ow, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, g.kh, g.kw};
  ParallelFor(0, g.n * g.c, PlaneGrain(g), [&](int64_t begin, int64_t end) {
    PaddedPlane pad;
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % g.c;
      pad.Fill(xp + plane * g.h * g.w, g.h, g.w, p.pad_h, p.pad_w,
               Needed(g.oh, p.stride_h, g.kh, p.dilation_h), Needed(g.ow, p.stride_w, g.kw, p.dilation_w));
      CorrelateAny(pad.data.data(), pad.cols, wp + c * g.kh * g.kw, bp ? bp[c] : 0.0f, walk,
                   yp + plane * g.oh * g.ow);
    }
  });
}

void DepthwiseBackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const ConvGeometry g = GeometryOf(p, gx.shape(), w.shape(), gy.shape());
  const float* gyp = gy.data<float>();
  const float* wp = w.data<float>();
  float* gxp = gx.data<float>();
  const int64_t taps = g.kh * g.kw;
  // With unit strides, gx is gy correlated with the flipped kernel at padding span - 1 - pad.
  const int64_t flip_h = (g.kh - 1) * p.dilation_h - p.pad_h, flip_w = (g.kw - 1) * p.dilation_w - p.pad_w;
  const bool gather = p.stride_h == 1 && p.stride_w == 1 && flip_h >= 0 && flip_w >= 0;
  const Walk walk{g.h, g.w, 1, 1, p.dilation_h, p.dilation_w, g.kh, g.kw};
  // Scatter target: gx padded by `pad` on the top / left, large enough for every tap.
  const int64_t scatter_rows = std::max(g.h + p.pad_h, Needed(g.oh, p.stride_h, g.kh, p.dilation_h));
  const int64_t scatter_cols = std::max(g.w + p.pad_w, Needed(g.ow, p.stride_w, g.kw, p.dilation_w));
  ParallelFor(0, g.n * g.c, PlaneGrain(g), [&](int64_t begin, int64_t end) {
    PaddedPlane pad;
    std::vector<float> flipped(taps);
    std::vector<float> acc;
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % g.c;
      const float* grad = gyp + plane * g.oh * g.ow;
      const float* k = wp + c * taps;
      float* out = gxp + plane * g.h * g.w;
      if (gather) {
        for (int64_t t = 0; t < taps; ++t) flipped[t] = k[taps - 1 - t];
        pad.Fill(grad, g.oh, g.ow, flip_h, flip_w, Needed(g.h, 1, g.kh, p.dilation_h),
                 Needed(g.w, 1, g.kw, p.dilation_w));
        CorrelateAny(pad.data.data(), pad.cols, flipped.data(), 0.0f, walk, out);
        continue;
      }
      acc.assign(scatter_rows * scatter_cols, 0.0f);
      for (int64_t r = 0; r < g.oh; ++r) {
        const float* gr = grad + r * g.ow;
        for (int64_t i = 0; i < g.kh; ++i) {
          for (int64_t j = 0; j < g.kw; ++j) {
            float* dst = acc.data() + (r * p.stride_h + i * p.dilation_h) * scatter_cols + j * p.dilation_w;
            const float kv = k[i * g.kw + j];
            for (int64_t q = 0; q < g.ow; ++q) dst[q * p.stride_w] += kv * gr[q];
          }
        }
      }
      for (int64_t r = 0; r < g.h; ++r) {
        const float* src = acc.data() + (r + p.pad_h) * scatter_cols + p.pad_w;
        std::copy(src, src + g.w, out + r * g.w);
      }
    }
  });
}

void DepthwiseBackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                             const Tensor& gb) {
  const ConvGeometry g = GeometryOf(p, x.shape(), gw.shape(), gy.shape());
  const float* xp = x.data<float>();
  const float* gyp = gy.data<float>();
  float* gwp = gw.data<float>();
  float* gbp = gb.defined() ? gb.data<float>() : nullptr;
  const int64_t taps = g.kh * g.kw;
  ParallelFor(0, g.c, 1, [&](int64_t begin, int64_t end) {
    PaddedPlane pad;
    std::vector<double> acc(taps);
    for (int64_t c = begin; c < end; ++c) {
      std::fill(acc.begin(), acc.end(), 0.0);
      double bias_sum = 0;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* grad = gyp + (n * g.c + c) * g.oh * g.ow;
        pad.Fill(xp + (n * g.c + c) * g.h * g.w, g.h, g.w, p.pad_h, p.pad_w,
                 Needed(g.oh, p.stride_h, g.kh, p.dilation_h), Needed(g.ow, p.stride_w, g.kw, p.dilation_w));
        for (int64_t i = 0; i < g.kh; ++i) {
          RowOfTapDots(grad, g.ow, pad.data.data() + i * p.dilation_h * pad.cols, p.stride_h * pad.cols,
                       p.stride_w, p.dilation_w, g.kw, g.oh, g.ow, acc.data() + i * g.kw);
        }
        if (gbp) bias_sum += SumOf(grad, g.oh * g.ow);
      }
      for (int64_t t = 0; t < taps; ++t) gwp[c * taps + t] = static_cast<float>(acc[t]);
      if (gbp) gbp[c] = static_cast<float>(bias_sum);
    }
  });
}

}  // namespace cpu
}  // namespace nb360
