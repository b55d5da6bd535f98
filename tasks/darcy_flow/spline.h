// tasks/darcy_flow/spline.h: cubic-spline grid transfer with MATLAB interp2(..., 'spline') semantics.
//
// MATLAB's 'spline' method on gridded data is the tensor product of 1-D cubic interpolating splines
// with not-a-knot end conditions (third derivative continuous at the second and the second-to-last
// sample), and it extrapolates with the end polynomial pieces (interp2 returns extrapolated values,
// not NaN, for 'spline'). With 3 samples the spline is the parabola through them, with 2 the line.
// This equals scipy.interpolate.CubicSpline(bc_type='not-a-knot') applied along each axis.
//
// solve_gwf.m uses it to move the K×K cell-centred inputs (points (2i−1)/(2K), i = 1..K) to the K×K
// node grid {0, 1/(K−1), …, 1} (extrapolating at the two end nodes) and the node solution back.
//
// Leaves out: other end conditions, non-gridded (scattered) queries, 1 sample.
#ifndef NB360_TASKS_DARCY_FLOW_SPLINE_H_
#define NB360_TASKS_DARCY_FLOW_SPLINE_H_

#include <cstdint>
#include <vector>

#include "tasks/darcy_flow/field.h"

namespace nb360::tasks::darcy {

// The linear map "values at x → spline values at xq" for fixed abscissae, applied to many lines.
class SplineInterpolator1D {
 public:
  // x: n >= 2 strictly increasing sample points; xq: query points (anywhere; outside [x0, x_{n-1}]
  // the end pieces are extended).
  SplineInterpolator1D(std::vector<double> x, std::vector<double> xq);

  int64_t num_points() const { return static_cast<int64_t>(x_.size()); }
  int64_t num_queries() const { return static_cast<int64_t>(xq_.size()); }

  // data (n, batch) row-major, every column one line → out (nq, batch).
  void Apply(const double* data, int64_t batch, double* out) const;

  // The 1-D convenience form: y (n) → (nq).
  std::vector<double> Apply(const std::vector<double>& y) const;

 private:
  // Slopes s (n, batch) of the spline through the lines of `data`.
  void Slopes(const double* data, int64_t batch, double* s) const;

  std::vector<double> x_, xq_, h_;
  // Tridiagonal system for the slopes after eliminating the not-a-knot rows' third entries:
  // lower_[i] s_{i-1} + diag_[i] s_i + upper_[i] s_{i+1} = rhs_i, factored for the Thomas sweep.
  std::vector<double> lower_, diag_, upper_;
  double elim_first_ = 0.0, elim_last_ = 0.0;  // row 0 -= elim_first_ * row 1 (and the mirror)
  std::vector<double> pivot_;                   // Thomas pivots
  // Per query: segment index and Hermite weights on (y_k, y_{k+1}, s_k, s_{k+1}).
  std::vector<int64_t> seg_;
  std::vector<double> wy0_, wy1_, ws0_, ws1_;
};

// MATLAB interp2(X, Y, v, Xq, Yq, 'spline') for meshgrid-style grids: v(i, j) sits at (x[j], y[i]);
// returns w(i, j) at (xq[j], yq[i]).
Field SplineInterp2(const Field& v, const std::vector<double>& y, const std::vector<double>& x,
                    const std::vector<double>& yq, const std::vector<double>& xq);

// (2i − 1)/(2K), i = 1..K: the cell centres of solve_gwf.m's input arrays.
std::vector<double> CellCentres(int64_t k);
// 0, 1/(K−1), …, 1: solve_gwf.m's node grid.
std::vector<double> NodePoints(int64_t k);

}  // namespace nb360::tasks::darcy

#endif  // NB360_TASKS_DARCY_FLOW_SPLINE_H_
