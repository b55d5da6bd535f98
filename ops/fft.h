// ops/fft.h: real 2-D FFTs and the FNO spectral convolution, complex numbers as (re, im) pairs.
//
// There is no complex dtype: a complex tensor is a real tensor whose last dimension has size 2
// (real, imag). The transforms act on the last two (real) dimensions; leading dimensions are a batch.
//
// Semantics (these are torch.fft's, norm="backward"):
//   Rfft2:  X[k1, k2] = sum_n x[n1, n2] e^{-2 pi i (k1 n1 / H + k2 n2 / W)},  k2 < W/2+1.
//   Irfft2: x[n1, n2] = 1/(h w) sum_{k1 < h, k2 < w/2+1} c(k2) Re(X[k1, k2] e^{+2 pi i (...)}),
//           c(0) = 1, c(w/2) = 1 for even w, c = 2 otherwise: a column inverse FFT followed by a
//           complex-to-real row transform that ignores the imaginary parts of the k2 = 0 and Nyquist
//           columns *after* the column transform. X is cropped or zero-padded to (h, w/2+1) first.
// All three ops are primitives with exact adjoint backward passes. Note that the gradient of Irfft2
// with respect to Im X[k1, 0] is zero only where k1 is self-conjugate (0, or h/2 for even h); the
// other rows of the k2 = 0 column have a gradient because the column transform mixes them.
//
// The CPU kernels transform each image either by FFTW (rows r2c, then c2c over only the columns
// needed) or by a truncated DFT done as matrix products (FftAlgorithm); kAuto picks by a fixed cost
// model, so the choice is deterministic. The DFT wins where the sizes have large prime factors (the
// FNO's 94 = 2*47 and 137 grids: 5-25x for the spectral convolution's 12x12 modes) or few modes are
// kept; FFTW wins for smooth sizes with many modes.
//
// Left out: complex-to-complex and 1-D transforms, other normalisations, transforms over arbitrary
// axes, and spectral convolutions whose two mode blocks overlap (2 * modes1 > H).
#ifndef NB360_OPS_FFT_H_
#define NB360_OPS_FFT_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {

// How the CPU kernels transform; all give the same result up to rounding.
enum class FftAlgorithm {
  kAuto,  // cost model: the cheaper of the two for the shape and the modes kept
  kFft,   // FFTW: r2c over all rows, c2c over the kept columns; the inverse mirrors it
  kDft,   // truncated DFT: per image two matrix products each way against cos/sin tables
};

struct Fft2Kernels {
  // X (B, H, W/2+1, 2) = rfft2(x), x (B, H, W).
  void (*rfft2_forward)(FftAlgorithm a, const Tensor& x, const Tensor& X);
  // gx (B, H, W) = adjoint of rfft2 applied to gX (B, H, W/2+1, 2).
  void (*rfft2_backward)(FftAlgorithm a, const Tensor& gX, const Tensor& gx);
  // x (B, h, w) = irfft2(X, s=(h, w)), X (B, Hin, Win, 2) cropped or zero-padded to (h, w/2+1).
  void (*irfft2_forward)(FftAlgorithm a, const Tensor& X, const Tensor& x);
  // gX (B, Hin, Win, 2) = adjoint of irfft2 applied to gx (B, h, w).
  void (*irfft2_backward)(FftAlgorithm a, const Tensor& gx, const Tensor& gX);
};

struct SpectralConvParams {
  int64_t modes1 = 0;  // rows k1 < modes1 (weight w1) and k1 >= H - modes1 (weight w2)
  int64_t modes2 = 0;  // columns k2 < modes2
  FftAlgorithm algorithm = FftAlgorithm::kAuto;
  bool operator==(const SpectralConvParams& o) const {
    return modes1 == o.modes1 && modes2 == o.modes2 && algorithm == o.algorithm;
  }
};

struct SpectralConv2dKernels {
  // y (N, Co, H, W) from x (N, Ci, H, W) and w1, w2 (Ci, Co, m1, m2, 2). Also writes the retained
  // modes of rfft2(x) into x_modes (2 * m1 * m2, N, Ci, 2), mode m = r * m2 + k2 with spectrum row r
  // (r < m1) or H - 2 m1 + r; saved for backward.
  void (*forward)(const SpectralConvParams& p, const Tensor& x, const Tensor& w1, const Tensor& w2,
                  const Tensor& y, const Tensor& x_modes);
  // From gy (N, Co, H, W): gx (N, Ci, H, W), gw1, gw2 (Ci, Co, m1, m2, 2); each output may be
  // undefined (not wanted). x_modes as written by forward.
  void (*backward)(const SpectralConvParams& p, const Tensor& x_modes, const Tensor& w1,
                   const Tensor& w2, const Tensor& gy, const Tensor& gx, const Tensor& gw1,
                   const Tensor& gw2);
};

namespace cpu {
extern const Fft2Kernels kFft2;
extern const SpectralConv2dKernels kSpectralConv2d;
}  // namespace cpu
namespace cuda {
extern const Fft2Kernels kFft2;
extern const SpectralConv2dKernels kSpectralConv2d;
}  // namespace cuda

// x (..., H, W) real -> (..., H, W/2+1, 2): unnormalised forward transform over the last two dims
// (torch.fft.rfft2, norm="backward").
Tensor Rfft2(const Tensor& x, FftAlgorithm algorithm = FftAlgorithm::kAuto);

// X (..., H, W/2+1, 2) -> (..., h, w) real, scaled 1/(h*w) (torch.fft.irfft2 with s=(h, w)); the C2R
// step ignores the imaginary parts of the k2 = 0 column (and of the Nyquist column for even w).
Tensor Irfft2(const Tensor& X, int64_t h, int64_t w, FftAlgorithm algorithm = FftAlgorithm::kAuto);

// The Fourier layer of the FNO: x (N, Ci, H, W); w1, w2 (Ci, Co, m1, m2, 2) -> (N, Co, H, W).
// X = rfft2(x); Y[b,o,k1,k2] = sum_i X[b,i,k1,k2] w1[i,o,k1,k2] for k1 < m1, k2 < m2, and
// sum_i X[b,i,H-m1+k1,k2] w2[i,o,k1,k2] on the negative rows; other modes zero; y = irfft2(Y, H, W).
// Needs 2 * modes1 <= H and modes2 <= W/2+1.
Tensor SpectralConv2d(const Tensor& x, const Tensor& w1, const Tensor& w2, int64_t modes1,
                      int64_t modes2, FftAlgorithm algorithm = FftAlgorithm::kAuto);

}  // namespace nb360

#endif  // NB360_OPS_FFT_H_
