// tasks/darcy_flow/grf.h: the Gaussian random field and threshold map behind the piecewise-constant
// Darcy coefficients (FNO data generation, spec §12.1-12.2).
//
// A sample on an s×s grid: ξ_{k1,k2} ~ N(0,1) i.i.d. (row k1, column k2, drawn in row-major order from
// the caller's Generator), amplitude c = τ^(α−1) (π²(k1² + k2²) + τ²)^(−α/2), cosine coefficients
// L = s·c·ξ with L(0,0) = 0, and U = idct2(L). This samples N(0, C) with C ∝ (−Δ + τ²)^(−α), Δ the
// Neumann Laplacian on [0,1]², and U has zero mean over the grid.
//
// idct2 has MATLAB's semantics: MATLAB's idct is the orthonormal DCT-III,
//   x(n) = Σ_{k=0}^{N−1} w(k) X(k) cos(π (2n+1) k / (2N)),  w(0) = √(1/N), w(k≥1) = √(2/N),
// the exact inverse of MATLAB's (orthonormal) dct; idct2 applies it along both axes. This equals
// scipy.fft.idctn(X, type=2, norm='ortho'). It is computed with FFTW's REDFT01
// (Y(n) = X(0) + 2 Σ_{k≥1} X(k) cos(π k (2n+1) / (2N))) after scaling X(0) by 1/√N and X(k≥1) by
// 1/√(2N) along each axis.
//
// Leaves out: the log-normal variant exp(U) of the demo (not used for the "piececonst" files).
#ifndef NB360_TASKS_DARCY_FLOW_GRF_H_
#define NB360_TASKS_DARCY_FLOW_GRF_H_

#include <cstdint>

#include "engine/rng.h"
#include "tasks/darcy_flow/field.h"

namespace nb360::tasks::darcy {

struct GrfParams {
  double alpha = 2.0;  // smoothness exponent (must exceed d/2 = 1)
  double tau = 3.0;    // inverse length scale
};

// The (s, s) cosine coefficients L = s·c·ξ with L(0,0) = 0; consumes s² normals from `gen`.
Field GrfCoefficients(const GrfParams& params, int64_t s, Generator& gen);

// MATLAB idct2: orthonormal DCT-III along both axes of a (rows, cols) array (FFTW REDFT01).
// Thread-safe (plans are created under a mutex and cached per shape).
Field InverseDct2(const Field& coeffs);

// One GRF sample U = idct2(GrfCoefficients(...)) on an s×s grid.
Field SampleGrf(const GrfParams& params, int64_t s, Generator& gen);

// The piecewise-constant coefficient: a_pos where u >= 0, a_neg where u < 0.
Field ThresholdField(const Field& u, double a_pos, double a_neg);

}  // namespace nb360::tasks::darcy

#endif  // NB360_TASKS_DARCY_FLOW_GRF_H_
