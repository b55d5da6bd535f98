// ops/cuda/fft.cu: CUDA kernels for Rfft2 / Irfft2 and their adjoints, and the FNO spectral
// convolution (the contracts of ops/fft.h, the semantics of ops/cpu/fft.cc and
// ops/cpu/spectral_conv.cc), float32 (cuFFT R2C / C2R / C2C) and float64 (D2Z / Z2D / Z2Z).
//
// Every transform is separable and goes through two per-image building blocks:
//   ForwardModes:  images (B, H, W) real -> modes (B, m2, H) complex, the rfft2 of each image at
//                  columns k2 < m2 and every row k1 ([b][k2][k1]): a batched 1-D R2C over the rows,
//                  a tiled transpose of the m2 kept columns, a batched 1-D C2C over them.
//   InverseModes:  modes (B, m2, H) -> images (B, H, W): y = sum_k c(k2) Re(F[k] e^{+i theta}),
//                  c(k2) the column multiplicity (1 for k2 = 0 and the Nyquist column, else 2):
//                  a batched 1-D inverse C2C over the columns, a transpose back to rows that zero-
//                  fills columns k2 >= m2 and zeroes the imaginary parts of the k2 = 0 and Nyquist
//                  columns, a batched 1-D C2R over the rows.
// The explicit column-then-row order, and the zeroing after the column transform, is what ops/fft.h
// defines; cuFFT's multi-dimensional C2R treats a non-Hermitian input in its own (undocumented)
// way, so it is not used. Only the kept columns are column-transformed (m2 of W/2+1 for the
// spectral convolution). Plans: ops/cuda/cufft_util.h, bound to CurrentStream(). Length-1 axes skip
// cuFFT (the DFT of length 1 is the identity). The FftAlgorithm argument is a CPU choice; cuFFT
// is always used here.
// Callers fold their scale into the modes: Irfft2 puts X / (H W) (C2R's c(k2) makes it c(k2) / (H W)),
// the adjoint of Rfft2 puts gX / c(k2); the adjoint of Irfft2 and the spectral gradient scale the
// forward modes by c(k2) / (H W).
// SpectralConv2d: modes of x at the 2 m1 kept rows (r < m1: row r; else H - 2 m1 + r) and m2
// columns, mode m = r * m2 + k2; the channel mixing Y[m][n][o] = sum_i X[m][n][i] W[m][i][o] and its
// adjoints gW = X^H gY, gX = gY W^H are one thread per output complex number, summed in a fixed
// order in double (deterministic; the weights are first regrouped per mode, [m][i][o]).
#include <algorithm>
#include <cstdint>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/tensor.h"
#include "ops/cuda/cufft_util.h"
#include "ops/fft.h"

namespace nb360 {
namespace cuda {
namespace {

__device__ inline int64_t GlobalThread() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t GridThreads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Blocks for a grid-stride loop over `blocks` work items (capped like BlocksFor).
int GridFor(int64_t blocks) { return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(blocks, 65535LL * 8))); }

// ------------------------------------------------------------------------------------ cuFFT types

template <class T>
struct Cufft;

template <>
struct Cufft<float> {
  using Complex = cufftComplex;
  static constexpr cufftType kR2C = CUFFT_R2C;
  static constexpr cufftType kC2R = CUFFT_C2R;
  static constexpr cufftType kC2C = CUFFT_C2C;
  static cufftResult R2C(cufftHandle p, float* in, Complex* out) { return cufftExecR2C(p, in, out); }
  static cufftResult C2R(cufftHandle p, Complex* in, float* out) { return cufftExecC2R(p, in, out); }
  static cufftResult C2C(cufftHandle p, Complex* in, Complex* out, int dir) { return cufftExecC2C(p, in, out, dir); }
};

template <>
struct Cufft<double> {
  using Complex = cufftDoubleComplex;
  static constexpr cufftType kR2C = CUFFT_D2Z;
  static constexpr cufftType kC2R = CUFFT_Z2D;
  static constexpr cufftType kC2C = CUFFT_Z2Z;
  static cufftResult R2C(cufftHandle p, double* in, Complex* out) { return cufftExecD2Z(p, in, out); }
  static cufftResult C2R(cufftHandle p, Complex* in, double* out) { return cufftExecZ2D(p, in, out); }
  static cufftResult C2C(cufftHandle p, Complex* in, Complex* out, int dir) { return cufftExecZ2Z(p, in, out, dir); }
};

// A device buffer of n complex numbers (interleaved re, im) in T; contiguous and aligned.
template <class T>
Tensor ComplexScratch(int64_t n, Device device) {
  return Tensor::Empty({std::max<int64_t>(1, 2 * n)}, DTypeOf<T>::value, device);
}

template <class T>
typename Cufft<T>::Complex* AsComplex(T* p) {
  return reinterpret_cast<typename Cufft<T>::Complex*>(p);
}

// Whether p is aligned for cuFFT's complex type (cuFFT wants its buffers so aligned).
template <class T>
bool Aligned(const T* p) {
  return reinterpret_cast<uintptr_t>(p) % (2 * sizeof(T)) == 0;
}

// ------------------------------------------------------------------------------------ transposes

// c(k2): how many times column k2 of a half spectrum counts in a length-w real signal.
__host__ __device__ inline int ColumnMultiplicity(int64_t k2, int64_t w) {
  return (k2 == 0 || (w % 2 == 0 && k2 == w / 2)) ? 1 : 2;
}

enum class ColumnWeight { kNone, kTimesMultiplicity, kOverMultiplicity };

// The factor of column k2: base, times or over c(k2) where asked.
template <class T>
struct ColumnScale {
  T base = T(1);
  ColumnWeight weight = ColumnWeight::kNone;
  int64_t w = 1;  // the real signal length that c(k2) refers to

  __device__ T At(int64_t k2) const {
    if (weight == ColumnWeight::kTimesMultiplicity) return base * static_cast<T>(ColumnMultiplicity(k2, w));
    if (weight == ColumnWeight::kOverMultiplicity) return base / static_cast<T>(ColumnMultiplicity(k2, w));
    return base;
  }
};

constexpr int kTile = 32;
constexpr int kTileRows = kThreads / kTile;  // 8 rows of a tile per pass

// Tiles of a (rows, cols) plane per image and in all.
struct TileGrid {
  int64_t tiles_r, tiles_c, batch;
  __host__ __device__ int64_t count() const { return tiles_r * tiles_c * batch; }
};

TileGrid MakeTileGrid(int64_t batch, int64_t rows, int64_t cols) {
  return {(rows + kTile - 1) / kTile, (cols + kTile - 1) / kTile, batch};
}

// cols[b][k2][n1] (n1 < h, k2 < m2) = src[b][n1][k2] * scale(k2) where n1 < hs and k2 < ws, else 0;
// src (B, hs, ws) and cols (B, m2, h) complex, interleaved. Tiled through shared memory so that
// both sides are read and written along their contiguous dimension.
template <class T>
__global__ void RowsToColumnsKernel(const T* src, int64_t hs, int64_t ws, int64_t h, int64_t m2, ColumnScale<T> sc,
                                    TileGrid tg, T* cols) {
  __shared__ T re[kTile][kTile + 1];
  __shared__ T im[kTile][kTile + 1];
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  for (int64_t t = blockIdx.x; t < tg.count(); t += gridDim.x) {
    const int64_t b = t / (tg.tiles_r * tg.tiles_c);
    const int64_t n0 = (t / tg.tiles_c) % tg.tiles_r * kTile, k0 = t % tg.tiles_c * kTile;
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t n1 = n0 + r, k2 = k0 + tx;
      T vr = T(0), vi = T(0);
      if (n1 < hs && k2 < ws && n1 < h && k2 < m2) {
        const T* p = src + ((b * hs + n1) * ws + k2) * 2;
        const T s = sc.At(k2);
        vr = p[0] * s;
        vi = p[1] * s;
      }
      re[r][tx] = vr;
      im[r][tx] = vi;
    }
    __syncthreads();
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t k2 = k0 + r, n1 = n0 + tx;
      if (k2 < m2 && n1 < h) {
        T* p = cols + ((b * m2 + k2) * h + n1) * 2;
        p[0] = re[tx][r];
        p[1] = im[tx][r];
      }
    }
    __syncthreads();
  }
}

// dst[b][n1][k2] (n1 < hd, k2 < wd) = cols[b][k2][n1] * scale(k2) where n1 < h and k2 < m2, else 0;
// with `hermitian`, the imaginary parts of column 0 and of the Nyquist column (even scale.w) are
// zeroed (what a C2R transform must see). cols (B, m2, h), dst (B, hd, wd) complex, interleaved.
template <class T>
__global__ void ColumnsToRowsKernel(const T* cols, int64_t h, int64_t m2, int64_t hd, int64_t wd, ColumnScale<T> sc,
                                    bool hermitian, TileGrid tg, T* dst) {
  __shared__ T re[kTile][kTile + 1];
  __shared__ T im[kTile][kTile + 1];
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  for (int64_t t = blockIdx.x; t < tg.count(); t += gridDim.x) {
    const int64_t b = t / (tg.tiles_r * tg.tiles_c);
    const int64_t n0 = (t / tg.tiles_c) % tg.tiles_r * kTile, k0 = t % tg.tiles_c * kTile;
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t k2 = k0 + r, n1 = n0 + tx;
      T vr = T(0), vi = T(0);
      if (k2 < m2 && n1 < h && k2 < wd && n1 < hd) {
        const T* p = cols + ((b * m2 + k2) * h + n1) * 2;
        vr = p[0];
        vi = p[1];
      }
      re[tx][r] = vr;
      im[tx][r] = vi;
    }
    __syncthreads();
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t n1 = n0 + r, k2 = k0 + tx;
      if (n1 < hd && k2 < wd) {
        const T s = sc.At(k2);
        const bool real_column = hermitian && ColumnMultiplicity(k2, sc.w) == 1;
        T* p = dst + ((b * hd + n1) * wd + k2) * 2;
        p[0] = re[r][tx] * s;
        p[1] = real_column ? T(0) : im[r][tx] * s;
      }
    }
    __syncthreads();
  }
}

// W = 1: the length-1 row transforms are the identity. cols[b][0][n1] = (x[b][n1], 0).
template <class T>
__global__ void RealToColumnKernel(const T* x, int64_t n, T* cols) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) {
    cols[2 * i] = x[i];
    cols[2 * i + 1] = T(0);
  }
}

// W = 1: y[b][n1] = Re cols[b][0][n1].
template <class T>
__global__ void ColumnToRealKernel(const T* cols, int64_t n, T* y) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) y[i] = cols[2 * i];
}

template <class T>
void LaunchRowsToColumns(const T* src, int64_t batch, int64_t hs, int64_t ws, int64_t h, int64_t m2,
                         const ColumnScale<T>& sc, T* cols) {
  const TileGrid tg = MakeTileGrid(batch, h, m2);
  if (tg.count() == 0) return;
  RowsToColumnsKernel<T><<<GridFor(tg.count()), kThreads, 0, CurrentStream()>>>(src, hs, ws, h, m2, sc, tg, cols);
  CheckLaunch("RowsToColumnsKernel");
}

template <class T>
void LaunchColumnsToRows(const T* cols, int64_t batch, int64_t h, int64_t m2, int64_t hd, int64_t wd,
                         const ColumnScale<T>& sc, bool hermitian, T* dst) {
  const TileGrid tg = MakeTileGrid(batch, hd, wd);
  if (tg.count() == 0) return;
  ColumnsToRowsKernel<T><<<GridFor(tg.count()), kThreads, 0, CurrentStream()>>>(cols, h, m2, hd, wd, sc, hermitian,
                                                                                tg, dst);
  CheckLaunch("ColumnsToRowsKernel");
}

// ------------------------------------------------------------------------------------ mode transforms

// In-place batched C2C over the (B, m2, h) columns (contiguous length-h transforms); h = 1 is the
// identity.
template <class T>
void ColumnTransform(T* cols, int64_t batch, int64_t h, int64_t m2, int direction, Device device) {
  if (h == 1 || batch * m2 == 0) return;
  auto* c = AsComplex(cols);
  CufftPlanCache::Get().Run({Cufft<T>::kC2C, h, batch * m2}, device, "cufftExec C2C (columns)",
                            [&](cufftHandle p) { return Cufft<T>::C2C(p, c, c, direction); });
}

// modes (B, m2, h) = the rfft2 of images (B, h, w) at columns k2 < m2, all rows.
template <class T>
void ForwardModes(const T* images, int64_t batch, int64_t h, int64_t w, int64_t m2, T* modes, Device device) {
  const int64_t wc = w / 2 + 1;
  if (w == 1) {
    RealToColumnKernel<T><<<BlocksFor(batch * h), kThreads, 0, CurrentStream()>>>(images, batch * h, modes);
    CheckLaunch("RealToColumnKernel");
  } else {
    Tensor staged;
    const T* in = images;
    if (!Aligned(images)) {  // copy to an aligned buffer for cuFFT
      staged = Tensor::Empty({batch * h * w}, DTypeOf<T>::value, device);
      CudaCheck(cudaMemcpyAsync(staged.raw_data(), images, sizeof(T) * batch * h * w, cudaMemcpyDeviceToDevice,
                                CurrentStream()),
                "cudaMemcpyAsync(fft input)");
      in = staged.data<T>();
    }
    const Tensor rows = ComplexScratch<T>(batch * h * wc, device);
    T* rp = rows.data<T>();
    // Out-of-place R2C leaves its input unchanged (only C2R overwrites its input).
    CufftPlanCache::Get().Run({Cufft<T>::kR2C, w, batch * h}, device, "cufftExec R2C (rows)",
                              [&](cufftHandle p) { return Cufft<T>::R2C(p, const_cast<T*>(in), AsComplex(rp)); });
    LaunchRowsToColumns<T>(rp, batch, h, wc, h, m2, ColumnScale<T>{}, modes);
  }
  ColumnTransform(modes, batch, h, m2, CUFFT_FORWARD, device);
}

// images (B, h, w) = sum over the modes (B, m2, h) of c(k2) Re(F e^{+i theta}); modes are overwritten.
template <class T>
void InverseModes(T* modes, int64_t batch, int64_t h, int64_t w, int64_t m2, T* images, Device device) {
  ColumnTransform(modes, batch, h, m2, CUFFT_INVERSE, device);
  if (w == 1) {
    ColumnToRealKernel<T><<<BlocksFor(batch * h), kThreads, 0, CurrentStream()>>>(modes, batch * h, images);
    CheckLaunch("ColumnToRealKernel");
    return;
  }
  const int64_t wc = w / 2 + 1;
  const Tensor rows = ComplexScratch<T>(batch * h * wc, device);
  T* rp = rows.data<T>();
  ColumnScale<T> sc;
  sc.w = w;
  LaunchColumnsToRows<T>(modes, batch, h, m2, h, wc, sc, /*hermitian=*/true, rp);
  Tensor staged;
  T* out = images;
  if (!Aligned(images)) {
    staged = Tensor::Empty({batch * h * w}, DTypeOf<T>::value, device);
    out = staged.data<T>();
  }
  CufftPlanCache::Get().Run({Cufft<T>::kC2R, w, batch * h}, device, "cufftExec C2R (rows)",
                            [&](cufftHandle p) { return Cufft<T>::C2R(p, AsComplex(rp), out); });
  if (out != images) {
    CudaCheck(cudaMemcpyAsync(images, out, sizeof(T) * batch * h * w, cudaMemcpyDeviceToDevice, CurrentStream()),
              "cudaMemcpyAsync(fft output)");
  }
}

// ------------------------------------------------------------------------------------ rfft2 / irfft2

// X (B, h, w/2+1, 2) = rfft2(x), x (B, h, w).
template <class T>
void Rfft2ForwardT(const Tensor& x, const Tensor& X) {
  const int64_t batch = x.size(0), h = x.size(1), w = x.size(2), wc = w / 2 + 1;
  if (batch * h * w == 0) return;
  const Tensor modes = ComplexScratch<T>(batch * wc * h, x.device());
  ForwardModes<T>(x.data<T>(), batch, h, w, wc, modes.data<T>(), x.device());
  LaunchColumnsToRows<T>(modes.data<T>(), batch, h, wc, h, wc, ColumnScale<T>{}, /*hermitian=*/false, X.data<T>());
}

// gx = sum_k Re(gX[k] e^{+i theta}) (each half-spectrum entry once): modes gX / c(k2).
template <class T>
void Rfft2BackwardT(const Tensor& gX, const Tensor& gx) {
  const int64_t batch = gx.size(0), h = gx.size(1), w = gx.size(2), wc = w / 2 + 1;
  if (batch * h * w == 0) return;
  const Tensor modes = ComplexScratch<T>(batch * wc * h, gx.device());
  ColumnScale<T> sc;
  sc.weight = ColumnWeight::kOverMultiplicity;
  sc.w = w;
  LaunchRowsToColumns<T>(gX.data<T>(), batch, h, wc, h, wc, sc, modes.data<T>());
  InverseModes<T>(modes.data<T>(), batch, h, w, wc, gx.data<T>(), gx.device());
}

// x (B, h, w) = 1/(h w) sum_k c(k2) Re(X[k] e^{+i theta}), X (B, hin, win, 2) cropped / zero-padded.
template <class T>
void Irfft2ForwardT(const Tensor& X, const Tensor& x) {
  const int64_t batch = x.size(0), h = x.size(1), w = x.size(2);
  const int64_t hin = X.size(1), win = X.size(2);
  if (batch * h * w == 0) return;
  const int64_t m2 = std::min(win, w / 2 + 1);
  const Tensor modes = ComplexScratch<T>(batch * m2 * h, x.device());
  ColumnScale<T> sc;
  sc.base = T(1) / static_cast<T>(h * w);
  LaunchRowsToColumns<T>(X.data<T>(), batch, hin, win, h, m2, sc, modes.data<T>());
  InverseModes<T>(modes.data<T>(), batch, h, w, m2, x.data<T>(), x.device());
}

// gX (B, hin, win, 2) = c(k2) / (h w) rfft2(gx) inside the (h, w/2+1) window, 0 outside it.
template <class T>
void Irfft2BackwardT(const Tensor& gx, const Tensor& gX) {
  const int64_t batch = gx.size(0), h = gx.size(1), w = gx.size(2);
  const int64_t hin = gX.size(1), win = gX.size(2);
  if (batch * hin * win == 0) return;
  const int64_t m2 = std::min(win, w / 2 + 1);
  const Tensor modes = ComplexScratch<T>(batch * m2 * h, gx.device());
  ForwardModes<T>(gx.data<T>(), batch, h, w, m2, modes.data<T>(), gx.device());
  ColumnScale<T> sc;
  sc.base = T(1) / static_cast<T>(h * w);
  sc.weight = ColumnWeight::kTimesMultiplicity;
  sc.w = w;
  LaunchColumnsToRows<T>(modes.data<T>(), batch, h, m2, hin, win, sc, /*hermitian=*/false, gX.data<T>());
}

void Rfft2Forward(FftAlgorithm, const Tensor& x, const Tensor& X) {
  DispatchFloating(x.dtype(), "rfft2 (CUDA)", [&](auto tag) { Rfft2ForwardT<decltype(tag)>(x, X); });
}
void Rfft2Backward(FftAlgorithm, const Tensor& gX, const Tensor& gx) {
  DispatchFloating(gX.dtype(), "rfft2 backward (CUDA)", [&](auto tag) { Rfft2BackwardT<decltype(tag)>(gX, gx); });
}
void Irfft2Forward(FftAlgorithm, const Tensor& X, const Tensor& x) {
  DispatchFloating(X.dtype(), "irfft2 (CUDA)", [&](auto tag) { Irfft2ForwardT<decltype(tag)>(X, x); });
}
void Irfft2Backward(FftAlgorithm, const Tensor& gx, const Tensor& gX) {
  DispatchFloating(gx.dtype(), "irfft2 backward (CUDA)", [&](auto tag) { Irfft2BackwardT<decltype(tag)>(gx, gX); });
}

// ------------------------------------------------------------------------------------ spectral conv

// The kept modes: rows r < 2 m1 (spectrum row r, or H - 2 m1 + r for r >= m1), columns k2 < m2;
// mode m = r * m2 + k2.
struct SpectralModes {
  int64_t h, m1, m2;
  __host__ __device__ int64_t count() const { return 2 * m1 * m2; }
  __device__ int64_t Row(int64_t m) const {
    const int64_t r = m / m2;
    return r < m1 ? r : h - 2 * m1 + r;
  }
  __device__ int64_t Column(int64_t m) const { return m % m2; }
};

// out[m][b] = cols[b][k2][row(m)] * scale(k2) for the kept modes; cols (B, m2, h), out (modes, B).
template <class T>
__global__ void ExtractModesKernel(const T* cols, int64_t batch, SpectralModes sm, ColumnScale<T> sc, T* out) {
  const int64_t total = sm.count() * batch;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t b = e % batch, m = e / batch;
    const int64_t k2 = sm.Column(m);
    const T* p = cols + ((b * sm.m2 + k2) * sm.h + sm.Row(m)) * 2;
    const T s = sc.At(k2);
    out[2 * e] = p[0] * s;
    out[2 * e + 1] = p[1] * s;
  }
}

// wm[m][i][o] = w1[i][o][r][k2] for r < m1, else w2[i][o][r - m1][k2] (m = r * m2 + k2).
template <class T>
__global__ void WeightsByModeKernel(const T* w1, const T* w2, int64_t io, SpectralModes sm, T* wm) {
  const int64_t half = sm.m1 * sm.m2;
  const int64_t total = sm.count() * io;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t j = e % io, m = e / io;
    const T* src = m < half ? w1 + (j * half + m) * 2 : w2 + (j * half + (m - half)) * 2;
    wm[2 * e] = src[0];
    wm[2 * e + 1] = src[1];
  }
}

// Complex multiply-accumulate in double: acc += a * b, or a * conj(b), or conj(a) * b.
__device__ inline void Cmac(double& re, double& im, double ar, double ai, double br, double bi) {
  re += ar * br - ai * bi;
  im += ar * bi + ai * br;
}

// Y[m][n][o] = sum_i X[m][n][i] W[m][i][o], written (times 1 / (H W)) into the column buffer
// F (N * Co, m2, H) at [n * Co + o][k2][row(m)]; F's other entries are zero.
template <class T>
__global__ void MixForwardKernel(const T* xm, const T* wm, int64_t n, int64_t ci, int64_t co, SpectralModes sm,
                                 T scale, T* f) {
  const int64_t total = sm.count() * n * co;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t o = e % co;
    const int64_t t = e / co;
    const int64_t b = t % n, m = t / n;
    const T* x = xm + (m * n + b) * ci * 2;
    const T* w = wm + m * ci * co * 2 + o * 2;
    double re = 0.0, im = 0.0;
    for (int64_t i = 0; i < ci; ++i) Cmac(re, im, x[2 * i], x[2 * i + 1], w[i * co * 2], w[i * co * 2 + 1]);
    T* p = f + (((b * co + o) * sm.m2 + sm.Column(m)) * sm.h + sm.Row(m)) * 2;
    p[0] = static_cast<T>(re) * scale;
    p[1] = static_cast<T>(im) * scale;
  }
}

// gW[m][i][o] = sum_n conj(X[m][n][i]) gY[m][n][o], written to gw1 / gw2 (Ci, Co, m1, m2, 2) (a null
// one is skipped).
template <class T>
__global__ void WeightGradKernel(const T* xm, const T* gym, int64_t n, int64_t ci, int64_t co, SpectralModes sm,
                                 T* gw1, T* gw2) {
  const int64_t half = sm.m1 * sm.m2;
  const int64_t total = sm.count() * ci * co;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t o = e % co;
    const int64_t t = e / co;
    const int64_t i = t % ci, m = t / ci;
    T* dst = m < half ? gw1 : gw2;
    if (dst == nullptr) continue;
    double re = 0.0, im = 0.0;
    for (int64_t b = 0; b < n; ++b) {
      const T* x = xm + ((m * n + b) * ci + i) * 2;
      const T* g = gym + ((m * n + b) * co + o) * 2;
      Cmac(re, im, x[0], -x[1], g[0], g[1]);
    }
    T* p = dst + ((i * co + o) * half + (m < half ? m : m - half)) * 2;
    p[0] = static_cast<T>(re);
    p[1] = static_cast<T>(im);
  }
}

// gX[m][n][i] = sum_o gY[m][n][o] conj(W[m][i][o]), written (over c(k2): InverseModes counts
// column k2 c(k2) times, the adjoint of rfft2 once) into F (N * Ci, m2, H) at [n * Ci + i][k2][row(m)].
template <class T>
__global__ void InputGradKernel(const T* gym, const T* wm, int64_t n, int64_t ci, int64_t co, SpectralModes sm,
                                int64_t w, T* f) {
  const int64_t total = sm.count() * n * ci;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t i = e % ci;
    const int64_t t = e / ci;
    const int64_t b = t % n, m = t / n;
    const T* g = gym + (m * n + b) * co * 2;
    const T* wr = wm + (m * ci + i) * co * 2;
    double re = 0.0, im = 0.0;
    for (int64_t o = 0; o < co; ++o) Cmac(re, im, g[2 * o], g[2 * o + 1], wr[2 * o], -wr[2 * o + 1]);
    const int64_t k2 = sm.Column(m);
    const T s = T(1) / static_cast<T>(ColumnMultiplicity(k2, w));
    T* p = f + (((b * ci + i) * sm.m2 + k2) * sm.h + sm.Row(m)) * 2;
    p[0] = static_cast<T>(re) * s;
    p[1] = static_cast<T>(im) * s;
  }
}

// A zeroed column buffer of `count` complex numbers.
template <class T>
Tensor ZeroComplex(int64_t count, Device device) {
  Tensor t = ComplexScratch<T>(count, device);
  CudaCheck(cudaMemsetAsync(t.raw_data(), 0, sizeof(T) * t.numel(), CurrentStream()), "cudaMemsetAsync");
  return t;
}

template <class T>
Tensor WeightsByMode(const Tensor& w1, const Tensor& w2, const SpectralModes& sm) {
  const int64_t io = w1.size(0) * w1.size(1);
  Tensor wm = ComplexScratch<T>(sm.count() * io, w1.device());
  WeightsByModeKernel<T><<<BlocksFor(sm.count() * io), kThreads, 0, CurrentStream()>>>(w1.data<T>(), w2.data<T>(),
                                                                                       io, sm, wm.data<T>());
  CheckLaunch("WeightsByModeKernel");
  return wm;
}

template <class T>
void SpectralForwardT(const SpectralConvParams& prm, const Tensor& x, const Tensor& w1, const Tensor& w2,
                      const Tensor& y, const Tensor& x_modes) {
  const int64_t n = x.size(0), ci = x.size(1), h = x.size(2), w = x.size(3), co = w1.size(1);
  if (n == 0) return;
  const Device dev = x.device();
  const SpectralModes sm{h, prm.modes1, prm.modes2};
  // x_modes [m][n][i] from the modes of every input image.
  const Tensor cols = ComplexScratch<T>(n * ci * sm.m2 * h, dev);
  ForwardModes<T>(x.data<T>(), n * ci, h, w, sm.m2, cols.data<T>(), dev);
  ExtractModesKernel<T><<<BlocksFor(sm.count() * n * ci), kThreads, 0, CurrentStream()>>>(
      cols.data<T>(), n * ci, sm, ColumnScale<T>{}, x_modes.data<T>());
  CheckLaunch("ExtractModesKernel");
  // Y = X W per mode, into the output images' columns, then back to images.
  const Tensor wm = WeightsByMode<T>(w1, w2, sm);
  const Tensor f = ZeroComplex<T>(n * co * sm.m2 * h, dev);
  MixForwardKernel<T><<<BlocksFor(sm.count() * n * co), kThreads, 0, CurrentStream()>>>(
      x_modes.data<T>(), wm.data<T>(), n, ci, co, sm, T(1) / static_cast<T>(h * w), f.data<T>());
  CheckLaunch("MixForwardKernel");
  InverseModes<T>(f.data<T>(), n * co, h, w, sm.m2, y.data<T>(), dev);
}

template <class T>
void SpectralBackwardT(const SpectralConvParams& prm, const Tensor& x_modes, const Tensor& w1, const Tensor& w2,
                       const Tensor& gy, const Tensor& gx, const Tensor& gw1, const Tensor& gw2) {
  const int64_t n = gy.size(0), co = gy.size(1), h = gy.size(2), w = gy.size(3), ci = w1.size(0);
  if (n == 0) {  // an empty batch: zero weight gradients, nothing else to write
    for (const Tensor* g : {&gw1, &gw2}) {
      if (g->defined() && g->numel() > 0) {
        CudaCheck(cudaMemsetAsync(g->raw_data(), 0, sizeof(T) * g->numel(), CurrentStream()), "cudaMemsetAsync");
      }
    }
    return;
  }
  const Device dev = gy.device();
  const SpectralModes sm{h, prm.modes1, prm.modes2};
  // gY = c(k2) / (H W) rfft2(gy) on the kept modes: the adjoint of the weighted inverse transform.
  const Tensor cols = ComplexScratch<T>(n * co * sm.m2 * h, dev);
  ForwardModes<T>(gy.data<T>(), n * co, h, w, sm.m2, cols.data<T>(), dev);
  const Tensor gym = ComplexScratch<T>(sm.count() * n * co, dev);
  ColumnScale<T> sc;
  sc.base = T(1) / static_cast<T>(h * w);
  sc.weight = ColumnWeight::kTimesMultiplicity;
  sc.w = w;
  ExtractModesKernel<T><<<BlocksFor(sm.count() * n * co), kThreads, 0, CurrentStream()>>>(cols.data<T>(), n * co, sm,
                                                                                         sc, gym.data<T>());
  CheckLaunch("ExtractModesKernel");
  if (gw1.defined() || gw2.defined()) {  // gW = X^H gY
    WeightGradKernel<T><<<BlocksFor(sm.count() * ci * co), kThreads, 0, CurrentStream()>>>(
        x_modes.data<T>(), gym.data<T>(), n, ci, co, sm, gw1.defined() ? gw1.data<T>() : nullptr,
        gw2.defined() ? gw2.data<T>() : nullptr);
    CheckLaunch("WeightGradKernel");
  }
  if (!gx.defined()) return;
  // gX = gY W^H; gx = sum over the kept modes of Re(gX e^{+i theta}).
  const Tensor wm = WeightsByMode<T>(w1, w2, sm);
  const Tensor f = ZeroComplex<T>(n * ci * sm.m2 * h, dev);
  InputGradKernel<T><<<BlocksFor(sm.count() * n * ci), kThreads, 0, CurrentStream()>>>(
      gym.data<T>(), wm.data<T>(), n, ci, co, sm, w, f.data<T>());
  CheckLaunch("InputGradKernel");
  InverseModes<T>(f.data<T>(), n * ci, h, w, sm.m2, gx.data<T>(), dev);
}

void SpectralForward(const SpectralConvParams& p, const Tensor& x, const Tensor& w1, const Tensor& w2,
                     const Tensor& y, const Tensor& x_modes) {
  NB_CHECK(p.modes1 >= 1 && p.modes2 >= 1 && 2 * p.modes1 <= x.size(2) && p.modes2 <= x.size(3) / 2 + 1,
           "spectral_conv2d (CUDA): modes (", p.modes1, ", ", p.modes2, ") do not fit x ", x.Describe());
  DispatchFloating(x.dtype(), "spectral_conv2d (CUDA)",
                   [&](auto tag) { SpectralForwardT<decltype(tag)>(p, x, w1, w2, y, x_modes); });
}

void SpectralBackward(const SpectralConvParams& p, const Tensor& x_modes, const Tensor& w1, const Tensor& w2,
                      const Tensor& gy, const Tensor& gx, const Tensor& gw1, const Tensor& gw2) {
  DispatchFloating(gy.dtype(), "spectral_conv2d backward (CUDA)", [&](auto tag) {
    SpectralBackwardT<decltype(tag)>(p, x_modes, w1, w2, gy, gx, gw1, gw2);
  });
}

}  // namespace

const Fft2Kernels kFft2 = {Rfft2Forward, Rfft2Backward, Irfft2Forward, Irfft2Backward};
const SpectralConv2dKernels kSpectralConv2d = {SpectralForward, SpectralBackward};

}  // namespace cuda
}  // namespace nb360
