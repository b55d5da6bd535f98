// ops/cpu/spectral_conv.cc: the FNO Fourier layer (SpectralConv2d) forward and backward kernels.
//
// Work per call: transform every input image to its kept modes (2*m1 rows x m2 columns), mix the
// channels per mode (a small complex matrix product), transform every output image back; backward
// is the same three steps with the adjoints. Only the kept modes are ever computed, by the
// per-image mode transforms of ops/cpu/mode_transform.h (FFTW or truncated DFT; the DFT is 5-25x
// faster than FFTW at the FNO's 94 and 137 point grids). The mixing is one complex GEMM per mode
// (OpenBLAS cgemm / zgemm). Images run in parallel (ParallelFor, one transform workspace per
// chunk), as do modes for the mixing; the GEMMs called there are single-threaded (oneDNN inside an
// OpenMP region, OpenBLAS by SingleThreadedBlas). Left out: overlapping mode blocks.
#include <cblas.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/mode_transform.h"
#include "ops/fft.h"

namespace nb360 {
namespace cpu {
namespace {

// The kept modes: rows [0, m1) and [H - m1, H), columns [0, m2).
ModeLayout SpectralLayout(int64_t h, int64_t w, const SpectralConvParams& p) {
  return {h, w, p.modes1, p.modes1, p.modes2};
}

// Mode tensors: [mode][image][re/im], image = n * C + c over `count` images, i.e. per mode an
// (N, C) complex matrix. scale(k2) = c(k2) / (H W) where asked (the adjoint of the inverse
// transform's column weighting), else 1.
template <class T>
void ImagesToModes(const ModeTransformFactory<T>& f, const ModeLayout& l, const T* images,
                   int64_t count, bool weight_columns, T* out) {
  const T inv_hw = T(1) / static_cast<T>(l.h * l.w);
  const SingleThreadedBlas single_threaded_blas;
  ParallelFor(0, count, ImageGrain(l.h * l.w), [&](int64_t lo, int64_t hi) {
    std::unique_ptr<ModeTransform<T>> tr = f.Make();
    std::vector<T> modes(l.buffer_size());
    for (int64_t img = lo; img < hi; ++img) {
      tr->Forward(images + img * l.h * l.w, modes.data());
      for (int64_t r = 0; r < l.rows(); ++r) {
        for (int64_t k2 = 0; k2 < l.m2; ++k2) {
          const T s = weight_columns ? inv_hw * ColumnMultiplicity(k2, l.w) : T(1);
          T* d = out + ((r * l.m2 + k2) * count + img) * 2;
          d[0] = modes[l.at(k2, 0, r)] * s;
          d[1] = modes[l.at(k2, 1, r)] * s;
        }
      }
    }
  });
}

template <class T>
void ModesToImages(const ModeTransformFactory<T>& f, const ModeLayout& l, const T* in, int64_t count,
                   bool weight_columns, T* images) {
  const T inv_hw = T(1) / static_cast<T>(l.h * l.w);
  const SingleThreadedBlas single_threaded_blas;
  ParallelFor(0, count, ImageGrain(l.h * l.w), [&](int64_t lo, int64_t hi) {
    std::unique_ptr<ModeTransform<T>> tr = f.Make();
    std::vector<T> modes(l.buffer_size());
    for (int64_t img = lo; img < hi; ++img) {
      for (int64_t r = 0; r < l.rows(); ++r) {
        for (int64_t k2 = 0; k2 < l.m2; ++k2) {
          const T s = weight_columns ? inv_hw * ColumnMultiplicity(k2, l.w) : T(1);
          const T* src = in + ((r * l.m2 + k2) * count + img) * 2;
          modes[l.at(k2, 0, r)] = src[0] * s;
          modes[l.at(k2, 1, r)] = src[1] * s;
        }
      }
      tr->Inverse(modes.data(), images + img * l.h * l.w);
    }
  });
}

// ---------------------------------------------------------------- channel mixing per mode

// Complex row-major C (M, N) = op(A) op(B), op = transpose / conjugate transpose where asked.
void ComplexGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  const float one[2] = {1, 0}, zero[2] = {0, 0};
  cblas_cgemm(CblasRowMajor, ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
              one, a, static_cast<int>(lda), b, static_cast<int>(ldb), zero, c, static_cast<int>(ldc));
}

void ComplexGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const double* a, int64_t lda, const double* b, int64_t ldb, double* c, int64_t ldc) {
  const double one[2] = {1, 0}, zero[2] = {0, 0};
  cblas_zgemm(CblasRowMajor, ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
              one, a, static_cast<int>(lda), b, static_cast<int>(ldb), zero, c, static_cast<int>(ldc));
}

// Transposes a rows x cols matrix of complex pairs (row stride src_ld pairs) into dst (row stride
// dst_ld pairs), in cache-friendly tiles.
template <class T>
void TransposeComplex(const T* src, int64_t rows, int64_t cols, int64_t src_ld, T* dst,
                      int64_t dst_ld) {
  constexpr int64_t kTile = 16;
  const int64_t tiles_c = (cols + kTile - 1) / kTile;
  const int64_t tiles = ((rows + kTile - 1) / kTile) * tiles_c;
  ParallelFor(0, tiles, kParallelGrain / (kTile * kTile), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = (t / tiles_c) * kTile, c0 = (t % tiles_c) * kTile;
      for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c) {
        for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r) {
          dst[(c * dst_ld + r) * 2] = src[(r * src_ld + c) * 2];
          dst[(c * dst_ld + r) * 2 + 1] = src[(r * src_ld + c) * 2 + 1];
        }
      }
    }
  });
}

// w1, w2 (Ci, Co, m1, m2, 2) -> per mode (Ci, Co) complex: out [mode][i][o][2].
template <class T>
std::vector<T> WeightsByMode(const ModeLayout& l, const T* w1, const T* w2, int64_t io) {
  std::vector<T> out(l.count() * io * 2);
  const int64_t half = l.lo * l.m2;  // modes of w1, then of w2
  TransposeComplex(w1, io, half, half, out.data(), io);
  TransposeComplex(w2, io, half, half, out.data() + half * io * 2, io);
  return out;
}

// The inverse of WeightsByMode for gradients: g [mode][i][o][2] -> gw1, gw2 (either may be null).
template <class T>
void WeightGradsToNatural(const ModeLayout& l, const T* g, int64_t io, T* gw1, T* gw2) {
  const int64_t half = l.lo * l.m2;  // modes of w1, then of w2
  if (gw1 != nullptr) TransposeComplex(g, half, io, io, gw1, half);
  if (gw2 != nullptr) TransposeComplex(g + half * io * 2, half, io, io, gw2, half);
}

// Runs fn(mode) for every mode, in parallel when a mode's (a, b, c) complex product is big enough.
template <class Fn>
void ForEachMode(const ModeLayout& l, int64_t a, int64_t b, int64_t c, const Fn& fn) {
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 4 * a * b * c));
  const SingleThreadedBlas single_threaded_blas;
  ParallelFor(0, l.count(), grain, [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) fn(m);
  });
}

// ---------------------------------------------------------------- kernels

template <class T>
void ForwardT(const SpectralConvParams& prm, const Tensor& x, const Tensor& w1, const Tensor& w2,
              const Tensor& y, const Tensor& x_modes) {
  const int64_t n = x.size(0), ci = x.size(1), co = w1.size(1);
  if (n == 0) return;
  const ModeLayout l = SpectralLayout(x.size(2), x.size(3), prm);
  const ModeTransformFactory<T> f(l, prm.algorithm);
  T* xm = x_modes.data<T>();
  ImagesToModes<T>(f, l, x.data<T>(), n * ci, false, xm);
  const std::vector<T> wm = WeightsByMode<T>(l, w1.data<T>(), w2.data<T>(), ci * co);
  std::vector<T> ym(l.count() * n * co * 2);
  ForEachMode(l, n, ci, co, [&](int64_t m) {  // Y = X W
    ComplexGemm(CblasNoTrans, CblasNoTrans, n, co, ci, xm + m * n * ci * 2, ci,
                wm.data() + m * ci * co * 2, co, ym.data() + m * n * co * 2, co);
  });
  ModesToImages<T>(f, l, ym.data(), n * co, true, y.data<T>());
}

template <class T>
void BackwardT(const SpectralConvParams& prm, const Tensor& x_modes, const Tensor& w1,
               const Tensor& w2, const Tensor& gy, const Tensor& gx, const Tensor& gw1,
               const Tensor& gw2) {
  const int64_t n = gy.size(0), co = gy.size(1), ci = w1.size(0);
  if (n == 0) {  // an empty batch: zero weight gradients, nothing else to write
    for (const Tensor* g : {&gw1, &gw2}) {
      if (g->defined()) g->Fill(0.0);
    }
    return;
  }
  const ModeLayout l = SpectralLayout(gy.size(2), gy.size(3), prm);
  const ModeTransformFactory<T> f(l, prm.algorithm);
  // gY = c(k2) / (H W) rfft2(gy) on the kept modes: the adjoint of the weighted inverse transform.
  std::vector<T> gym(l.count() * n * co * 2);
  ImagesToModes<T>(f, l, gy.data<T>(), n * co, true, gym.data());
  if (gw1.defined() || gw2.defined()) {  // gW = X^H gY
    const T* xm = x_modes.data<T>();
    std::vector<T> gwm(l.count() * ci * co * 2);
    ForEachMode(l, n, ci, co, [&](int64_t m) {
      ComplexGemm(CblasConjTrans, CblasNoTrans, ci, co, n, xm + m * n * ci * 2, ci,
                  gym.data() + m * n * co * 2, co, gwm.data() + m * ci * co * 2, co);
    });
    WeightGradsToNatural<T>(l, gwm.data(), ci * co, gw1.defined() ? gw1.data<T>() : nullptr,
                            gw2.defined() ? gw2.data<T>() : nullptr);
  }
  if (!gx.defined()) return;
  // gX = gY W^H; gx = sum_modes Re(gX e^{+i theta}), the adjoint of rfft2 on the kept modes.
  const std::vector<T> wm = WeightsByMode<T>(l, w1.data<T>(), w2.data<T>(), ci * co);
  std::vector<T> gxm(l.count() * n * ci * 2);
  ForEachMode(l, n, ci, co, [&](int64_t m) {
    ComplexGemm(CblasNoTrans, CblasConjTrans, n, ci, co, gym.data() + m * n * co * 2, co,
                wm.data() + m * ci * co * 2, co, gxm.data() + m * n * ci * 2, ci);
  });
  ModesToImages<T>(f, l, gxm.data(), n * ci, false, gx.data<T>());
}

void Forward(const SpectralConvParams& p, const Tensor& x, const Tensor& w1, const Tensor& w2,
             const Tensor& y, const Tensor& x_modes) {
  DispatchFloating(x.dtype(), "spectral_conv2d",
                   [&](auto tag) { ForwardT<decltype(tag)>(p, x, w1, w2, y, x_modes); });
}

void Backward(const SpectralConvParams& p, const Tensor& x_modes, const Tensor& w1, const Tensor& w2,
              const Tensor& gy, const Tensor& gx, const Tensor& gw1, const Tensor& gw2) {
  DispatchFloating(gy.dtype(), "spectral_conv2d backward", [&](auto tag) {
    BackwardT<decltype(tag)>(p, x_modes, w1, w2, gy, gx, gw1, gw2);
  });
}

}  // namespace

const SpectralConv2dKernels kSpectralConv2d = {Forward, Backward};

}  // namespace cpu
}  // namespace nb360
