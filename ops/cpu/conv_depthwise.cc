// ops/cpu/conv_depthwise.cc: depthwise convolution on nchw planes (see conv_depthwise.h).
//
// Every pass first copies the plane it reads into a zero-padded scratch plane (L1/L2-resident), so
// the inner loops have no bounds tests, and then runs unit-stride, vectorised loops:
//   forward          y[r][q] = b + sum_ij k[i][j] * xpad[r*sh + i*dh][q*sw + j*dw]; a column stride
//                    sw > 1 computes the full-resolution row and keeps every sw-th column
//   backward data    gx = the padded, zero-upsampled gy correlated with the flipped kernel
//   backward weight  gw[i][j] = sum over images and (r, q) of gy[r][q] * xpad[r*sh + i*dh][q*sw + j*dw],
//                    with gy's columns zero-upsampled when sw > 1
// 3x3 and 5x5 kernels are compile-time sizes, so their taps unroll and a vector of outputs shares
// registers; the vectors are 16 floats on CPUs with AVX-512 (chosen at run time), else 8.
// Forward and backward-data parallelise over (image, channel) planes, backward-weight over channels
// (float lanes within an image, double across images).
#include "ops/cpu/conv_depthwise.h"

#include <algorithm>
#include <array>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/conv_geometry.h"

namespace nb360 {
namespace cpu {
namespace {

// A (rows, cols) scratch plane holding src (h, w) with element (r, c) at (top + r * row_step,
// left + c * col_step) and zeros elsewhere; top / left may be negative (src is then cropped). The
// zeros are written only when the layout changes: the planes of one call share it.
class PaddedPlane {
 public:
  void Fill(const float* src, int64_t h, int64_t w, int64_t top, int64_t left, int64_t row_step,
            int64_t col_step, int64_t rows, int64_t cols) {
    const std::array<int64_t, 8> layout = {h, w, top, left, row_step, col_step, rows, cols};
    if (layout != layout_) {
      layout_ = layout;
      data_.assign(rows * cols, 0.0f);
    }
    cols_ = cols;
    // Source rows / columns that land inside the plane.
    const int64_t r0 = top >= 0 ? 0 : (-top + row_step - 1) / row_step;
    const int64_t c0 = left >= 0 ? 0 : (-left + col_step - 1) / col_step;
    const int64_t r1 = std::min(h, rows - top <= 0 ? 0 : (rows - 1 - top) / row_step + 1);
    const int64_t c1 = std::min(w, cols - left <= 0 ? 0 : (cols - 1 - left) / col_step + 1);
    for (int64_t r = r0; r < r1; ++r) {
      const float* s = src + r * w;
      float* d = data_.data() + (top + r * row_step) * cols + left;
      if (col_step == 1) {
        if (c0 < c1) std::copy(s + c0, s + c1, d + c0);
      } else {
        for (int64_t c = c0; c < c1; ++c) d[c * col_step] = s[c];
      }
    }
  }
  const float* data() const { return data_.data(); }
  int64_t cols() const { return cols_; }

 private:
  std::vector<float> data_;
  std::array<int64_t, 8> layout_ = {-1, -1, -1, -1, -1, -1, -1, -1};
  int64_t cols_ = 0;
};

// Vectors of 8 (AVX2) and 16 (AVX-512) floats, and unaligned loads / stores of them (GCC / Clang
// vector extensions). The kernels below are templates on the vector type, always inlined into one
// entry point per instruction set; the AVX-512 ones are compiled for it with a target attribute and
// chosen at run time on CPUs that have it.
typedef float V8 __attribute__((vector_size(32)));
typedef float V16 __attribute__((vector_size(64)));
template <class V>
struct Unaligned;
template <>
struct Unaligned<V8> {
  typedef float type __attribute__((vector_size(32), aligned(4), may_alias));
};
template <>
struct Unaligned<V16> {
  typedef float type __attribute__((vector_size(64), aligned(4), may_alias));
};
template <class V>
constexpr int kLanes = sizeof(V) / sizeof(float);

// The vector at p, as an lvalue (references keep vectors out of function signatures, whose ABI
// would depend on the instruction set).
template <class V>
inline typename Unaligned<V>::type& At(float* p) {
  return *reinterpret_cast<typename Unaligned<V>::type*>(p);
}
template <class V>
inline const typename Unaligned<V>::type& At(const float* p) {
  return *reinterpret_cast<const typename Unaligned<V>::type*>(p);
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

// Spatial attributes of one correlation over a padded plane.
struct Walk {
  int64_t out_h, out_w;  // output size
  int64_t sh, sw, dh, dw;
  int64_t kh, kw;
};

// out[q] = bias + sum_ij k[i][j] * in[i*dh*ld + q + j*dw] for q from `q` while a whole vector V
// fits below n, with the sums in registers; returns the first q not done. KH, KW > 0 fix the kernel
// size at compile time (the taps unroll); 0 reads it from kh, kw.
template <class V, int KH, int KW>
inline __attribute__((always_inline)) int64_t CorrelateVectors(const float* in, int64_t ld, const float* k,
                                                               float bias, int64_t dh, int64_t dw, int64_t kh,
                                                               int64_t kw, int64_t q, int64_t n, float* out) {
  if (KH > 0) kh = KH;
  if (KW > 0) kw = KW;
  for (; q + kLanes<V> <= n; q += kLanes<V>) {
    V acc = V{} + bias;
#pragma GCC unroll 8
    for (int64_t i = 0; i < kh; ++i) {
      const float* row = in + i * dh * ld + q;
#pragma GCC unroll 8
      for (int64_t j = 0; j < kw; ++j) acc += k[i * kw + j] * At<V>(row + j * dw);
    }
    At<V>(out + q) = acc;
  }
  return q;
}

// The same for every q < n: vectors V, then (for 16-float V) one 8-float vector, then scalars.
template <class V, int KH, int KW>
inline __attribute__((always_inline)) void CorrelateRow(const float* in, int64_t ld, const float* k,
                                                        float bias, int64_t dh, int64_t dw, int64_t kh,
                                                        int64_t kw, int64_t n, float* out) {
  int64_t q = CorrelateVectors<V, KH, KW>(in, ld, k, bias, dh, dw, kh, kw, 0, n, out);
  if (kLanes < V >> 8) q = CorrelateVectors<V8, KH, KW>(in, ld, k, bias, dh, dw, kh, kw, q, n, out);
  for (; q < n; ++q) {
    float acc = bias;
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) acc += k[i * kw + j] * in[i * dh * ld + q + j * dw];
    out[q] = acc;
  }
}

// out[r][q] = bias + sum_ij k[i][j] * in[(r*sh + i*dh) * ld + q*sw + j*dw]. A column stride sw > 1
// computes the full-resolution row into `row` and keeps every sw-th column.
template <class V, int KH, int KW>
inline __attribute__((always_inline)) void Correlate(const float* in, int64_t ld, const float* k, float bias,
                                                     const Walk& w, float* out, std::vector<float>* row) {
  const int64_t full = (w.out_w - 1) * w.sw + 1;
  if (w.sw != 1) row->resize(full);
  for (int64_t r = 0; r < w.out_h; ++r) {
    const float* base = in + r * w.sh * ld;
    float* o = out + r * w.out_w;
    if (w.sw == 1) {
      CorrelateRow<V, KH, KW>(base, ld, k, bias, w.dh, w.dw, w.kh, w.kw, w.out_w, o);
    } else {
      CorrelateRow<V, KH, KW>(base, ld, k, bias, w.dh, w.dw, w.kh, w.kw, full, row->data());
      for (int64_t q = 0; q < w.out_w; ++q) o[q] = (*row)[q * w.sw];
    }
  }
}

template <class V>
inline __attribute__((always_inline)) void CorrelateSized(const float* in, int64_t ld, const float* k,
                                                          float bias, const Walk& w, float* out,
                                                          std::vector<float>* row) {
  if (w.kh == 3 && w.kw == 3) return Correlate<V, 3, 3>(in, ld, k, bias, w, out, row);
  if (w.kh == 5 && w.kw == 5) return Correlate<V, 5, 5>(in, ld, k, bias, w, out, row);
  Correlate<V, 0, 0>(in, ld, k, bias, w, out, row);
}

void CorrelateAvx2(const float* in, int64_t ld, const float* k, float bias, const Walk& w, float* out,
                   std::vector<float>* row) {
  CorrelateSized<V8>(in, ld, k, bias, w, out, row);
}

__attribute__((target("avx512f"))) void CorrelateAvx512(const float* in, int64_t ld, const float* k,
                                                        float bias, const Walk& w, float* out,
                                                        std::vector<float>* row) {
  CorrelateSized<V16>(in, ld, k, bias, w, out, row);
}

void CorrelateAny(const float* in, int64_t ld, const float* k, float bias, const Walk& w, float* out,
                  std::vector<float>* row) {
  if (HasAvx512()) return CorrelateAvx512(in, ld, k, bias, w, out, row);
  CorrelateAvx2(in, ld, k, bias, w, out, row);
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
      for (; q + 8 <= cols; q += 8) lanes += At<V8>(ar + q) * At<V8>(br + q);
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
  for (; q + 8 <= n; q += 8) lanes += At<V8>(a + q);
  double s = 0;
  for (; q < n; ++q) s += a[q];
  for (int l = 0; l < 8; ++l) s += lanes[l];
  return s;
}

// out[j] += PlaneDot(a, lda, b + j * dj, ldb, 1, rows, cols) for j < KW, reading each a once:
// vectors V, then (for 16-float V) one 8-float vector, then scalars per row.
template <class V, int KW>
inline __attribute__((always_inline)) void TapDots(const float* a, int64_t lda, const float* b, int64_t ldb,
                                                   int64_t dj, int64_t rows, int64_t cols, double* out) {
  V lanes[KW] = {};
  V8 half[KW] = {};
  float tail[KW] = {};
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * lda;
    const float* br = b + r * ldb;
    int64_t q = 0;
    for (; q + kLanes<V> <= cols; q += kLanes<V>) {
      const V g = At<V>(ar + q);
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j) lanes[j] += g * At<V>(br + q + j * dj);
    }
    if (kLanes < V >> 8 && q + 8 <= cols) {
      const V8 g = At<V8>(ar + q);
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j) half[j] += g * At<V8>(br + q + j * dj);
      q += 8;
    }
    for (; q < cols; ++q) {
      for (int j = 0; j < KW; ++j) tail[j] += ar[q] * br[q + j * dj];
    }
  }
  for (int j = 0; j < KW; ++j) {
    double s = tail[j];
    for (int l = 0; l < kLanes<V>; ++l) s += lanes[j][l];
    for (int l = 0; l < 8; ++l) s += half[j][l];
    out[j] += s;
  }
}

template <class V>
inline __attribute__((always_inline)) bool TapDotsSized(const float* a, int64_t lda, const float* b,
                                                        int64_t ldb, int64_t dj, int64_t kw, int64_t rows,
                                                        int64_t cols, double* out) {
  if (kw == 3) return TapDots<V, 3>(a, lda, b, ldb, dj, rows, cols, out), true;
  if (kw == 5) return TapDots<V, 5>(a, lda, b, ldb, dj, rows, cols, out), true;
  return false;
}

bool TapDotsAvx2(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t dj, int64_t kw,
                 int64_t rows, int64_t cols, double* out) {
  return TapDotsSized<V8>(a, lda, b, ldb, dj, kw, rows, cols, out);
}

__attribute__((target("avx512f"))) bool TapDotsAvx512(const float* a, int64_t lda, const float* b,
                                                      int64_t ldb, int64_t dj, int64_t kw, int64_t rows,
                                                      int64_t cols, double* out) {
  return TapDotsSized<V16>(a, lda, b, ldb, dj, kw, rows, cols, out);
}

// One kernel row of weight gradients: out[j] += sum of a * b shifted by j * dj, for j < kw.
void RowOfTapDots(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t sb, int64_t dj,
                  int64_t kw, int64_t rows, int64_t cols, double* out) {
  if (sb == 1 && (HasAvx512() ? TapDotsAvx512(a, lda, b, ldb, dj, kw, rows, cols, out)
                              : TapDotsAvx2(a, lda, b, ldb, dj, kw, rows, cols, out))) {
    return;
  }
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
  const int64_t rows = Needed(g.oh, p.stride_h, g.kh, p.dilation_h);
  const int64_t cols = Needed(g.ow, p.stride_w, g.kw, p.dilation_w);
  ParallelFor(0, g.n * g.c, PlaneGrain(g), [&](int64_t begin, int64_t end) {
    PaddedPlane pad;
    std::vector<float> row;
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % g.c;
      pad.Fill(xp + plane * g.h * g.w, g.h, g.w, p.pad_h, p.pad_w, 1, 1, rows, cols);
      CorrelateAny(pad.data(), pad.cols(), wp + c * g.kh * g.kw, bp ? bp[c] : 0.0f, walk,
                   yp + plane * g.oh * g.ow, &row);
    }
  });
}

void DepthwiseBackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const ConvGeometry g = GeometryOf(p, gx.shape(), w.shape(), gy.shape());
  const float* gyp = gy.data<float>();
  const float* wp = w.data<float>();
  float* gxp = gx.data<float>();
  const int64_t taps = g.kh * g.kw;
  // gy, upsampled by the strides, sits at offset span - 1 - pad in the plane read by the flipped kernel.
  const int64_t top = (g.kh - 1) * p.dilation_h - p.pad_h, left = (g.kw - 1) * p.dilation_w - p.pad_w;
  const int64_t rows = Needed(g.h, 1, g.kh, p.dilation_h), cols = Needed(g.w, 1, g.kw, p.dilation_w);
  const Walk walk{g.h, g.w, 1, 1, p.dilation_h, p.dilation_w, g.kh, g.kw};
  ParallelFor(0, g.n * g.c, PlaneGrain(g), [&](int64_t begin, int64_t end) {
    PaddedPlane pad;
    std::vector<float> flipped(taps), row;
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* k = wp + (plane % g.c) * taps;
      for (int64_t t = 0; t < taps; ++t) flipped[t] = k[taps - 1 - t];
      pad.Fill(gyp + plane * g.oh * g.ow, g.oh, g.ow, top, left, p.stride_h, p.stride_w, rows, cols);
      CorrelateAny(pad.data(), pad.cols(), flipped.data(), 0.0f, walk, gxp + plane * g.h * g.w, &row);
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
  // With a column stride, gy's columns are zero-upsampled into a plane whose width is rounded up to
  // whole vectors (the extra zeros add nothing); the padded x plane is widened to match.
  const int64_t up_cols = p.stride_w == 1 ? g.ow : ((g.ow - 1) * p.stride_w + 1 + 7) / 8 * 8;
  const int64_t rows = Needed(g.oh, p.stride_h, g.kh, p.dilation_h);
  const int64_t cols =
      std::max(Needed(g.ow, p.stride_w, g.kw, p.dilation_w), up_cols + (g.kw - 1) * p.dilation_w);
  ParallelFor(0, g.c, 1, [&](int64_t begin, int64_t end) {
    PaddedPlane pad, up;
    std::vector<double> acc(taps);
    for (int64_t c = begin; c < end; ++c) {
      std::fill(acc.begin(), acc.end(), 0.0);
      double bias_sum = 0;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* grad = gyp + (n * g.c + c) * g.oh * g.ow;
        int64_t ld_grad = g.ow;
        if (p.stride_w != 1) {
          up.Fill(grad, g.oh, g.ow, 0, 0, 1, p.stride_w, g.oh, up_cols);
          grad = up.data();
          ld_grad = up_cols;
        }
        pad.Fill(xp + (n * g.c + c) * g.h * g.w, g.h, g.w, p.pad_h, p.pad_w, 1, 1, rows, cols);
        for (int64_t i = 0; i < g.kh; ++i) {
          RowOfTapDots(grad, ld_grad, pad.data() + i * p.dilation_h * pad.cols(), p.stride_h * pad.cols(), 1,
                       p.dilation_w, g.kw, g.oh, up_cols, acc.data() + i * g.kw);
        }
        if (gbp) bias_sum += SumOf(gyp + (n * g.c + c) * g.oh * g.ow, g.oh * g.ow);
      }
      for (int64_t t = 0; t < taps; ++t) gwp[c * taps + t] = static_cast<float>(acc[t]);
      if (gbp) gbp[c] = static_cast<float>(bias_sum);
    }
  });
}

}  // namespace cpu
}  // namespace nb360
