// tasks/darcy_flow/spline.cc: not-a-knot cubic splines in slope (Hermite) form.
//
// The spline is written as a piecewise cubic Hermite interpolant with unknown node slopes s_i.
// C² continuity at each interior node i gives
//   h_i s_{i−1} + 2(h_{i−1} + h_i) s_i + h_{i−1} s_{i+1} = 3(h_i δ_{i−1} + h_{i−1} δ_i),
// (h_i = x_{i+1} − x_i, δ_i = (y_{i+1} − y_i)/h_i); not-a-knot asks the third derivative
// 6(s_k + s_{k+1} − 2δ_k)/h_k² to agree on both sides of x_1 and of x_{n−2}. Those two rows have a
// third unknown (s_2, s_{n−3}), removed with the neighbouring C² row, leaving a tridiagonal system.
#include "tasks/darcy_flow/spline.h"

#include <algorithm>
#include <utility>

#include "engine/check.h"

namespace nb360::tasks::darcy {

SplineInterpolator1D::SplineInterpolator1D(std::vector<double> x, std::vector<double> xq)
    : x_(std::move(x)), xq_(std::move(xq)) {
  const int64_t n = num_points();
  NB_CHECK(n >= 2, "SplineInterpolator1D: needs at least 2 points, got ", n);
  h_.resize(n - 1);
  for (int64_t i = 0; i + 1 < n; ++i) {
    h_[i] = x_[i + 1] - x_[i];
    NB_CHECK(h_[i] > 0.0, "SplineInterpolator1D: points must increase strictly (x[", i, "] = ", x_[i],
             ", x[", i + 1, "] = ", x_[i + 1], ")");
  }
  if (n >= 4) {
    lower_.assign(n, 0.0);
    diag_.assign(n, 0.0);
    upper_.assign(n, 0.0);
    for (int64_t i = 1; i + 1 < n; ++i) {
      lower_[i] = h_[i];
      diag_[i] = 2.0 * (h_[i - 1] + h_[i]);
      upper_[i] = h_[i - 1];
    }
    // Row 0 (scaled by h_1²): r s_0 + (r − 1) s_1 − s_2, r = h_1²/h_0²; minus elim_first_ · row 1.
    const double r = (h_[1] * h_[1]) / (h_[0] * h_[0]);
    elim_first_ = -1.0 / upper_[1];
    diag_[0] = r - elim_first_ * lower_[1];
    upper_[0] = (r - 1.0) - elim_first_ * diag_[1];
    // Row n−1 (scaled by h_{n−3}²): −s_{n−3} + (q − 1) s_{n−2} + q s_{n−1}, q = h_{n−3}²/h_{n−2}².
    const double q = (h_[n - 3] * h_[n - 3]) / (h_[n - 2] * h_[n - 2]);
    elim_last_ = -1.0 / lower_[n - 2];
    lower_[n - 1] = (q - 1.0) - elim_last_ * diag_[n - 2];
    diag_[n - 1] = q - elim_last_ * upper_[n - 2];
    pivot_.assign(n, 0.0);
    pivot_[0] = diag_[0];
    for (int64_t i = 1; i < n; ++i) {
      NB_CHECK(pivot_[i - 1] != 0.0, "SplineInterpolator1D: zero pivot at row ", i - 1);
      pivot_[i] = diag_[i] - lower_[i] / pivot_[i - 1] * upper_[i - 1];
    }
  }
  const int64_t nq = num_queries();
  seg_.resize(nq);
  wy0_.resize(nq);
  wy1_.resize(nq);
  ws0_.resize(nq);
  ws1_.resize(nq);
  for (int64_t j = 0; j < nq; ++j) {
    const double t = xq_[j];
    int64_t k = std::upper_bound(x_.begin(), x_.end(), t) - x_.begin() - 1;
    k = std::clamp<int64_t>(k, 0, n - 2);
    const double h = h_[k], u = (t - x_[k]) / h;  // u outside [0, 1] extrapolates the end piece
    const double u2 = u * u, u3 = u2 * u;
    seg_[j] = k;
    wy0_[j] = 1.0 - 3.0 * u2 + 2.0 * u3;
    wy1_[j] = 3.0 * u2 - 2.0 * u3;
    ws0_[j] = h * (u - 2.0 * u2 + u3);
    ws1_[j] = h * (u3 - u2);
  }
}

void SplineInterpolator1D::Slopes(const double* y, int64_t batch, double* s) const {
  const int64_t n = num_points();
  auto delta = [&](int64_t i, int64_t b) { return (y[(i + 1) * batch + b] - y[i * batch + b]) / h_[i]; };
  if (n == 2) {
    for (int64_t b = 0; b < batch; ++b) s[b] = s[batch + b] = delta(0, b);
    return;
  }
  if (n == 3) {  // the parabola through the three points
    for (int64_t b = 0; b < batch; ++b) {
      const double d0 = delta(0, b), d1 = delta(1, b);
      const double c = (d1 - d0) / (h_[0] + h_[1]);
      s[b] = d0 - c * h_[0];
      s[batch + b] = d0 + c * h_[0];
      s[2 * batch + b] = d0 + c * (h_[0] + 2.0 * h_[1]);
    }
    return;
  }
  // Right-hand sides (into s), then the Thomas sweep in place.
  for (int64_t i = 1; i + 1 < n; ++i)
    for (int64_t b = 0; b < batch; ++b)
      s[i * batch + b] = 3.0 * (h_[i] * delta(i - 1, b) + h_[i - 1] * delta(i, b));
  const double r = (h_[1] * h_[1]) / (h_[0] * h_[0]);
  const double q = (h_[n - 3] * h_[n - 3]) / (h_[n - 2] * h_[n - 2]);
  for (int64_t b = 0; b < batch; ++b) {
    s[b] = 2.0 * (r * delta(0, b) - delta(1, b)) - elim_first_ * s[batch + b];
    s[(n - 1) * batch + b] =
        2.0 * (q * delta(n - 2, b) - delta(n - 3, b)) - elim_last_ * s[(n - 2) * batch + b];
  }
  for (int64_t i = 1; i < n; ++i) {
    const double m = lower_[i] / pivot_[i - 1];
    double* si = s + i * batch;
    const double* sp = s + (i - 1) * batch;
    for (int64_t b = 0; b < batch; ++b) si[b] -= m * sp[b];
  }
  for (int64_t b = 0; b < batch; ++b) s[(n - 1) * batch + b] /= pivot_[n - 1];
  for (int64_t i = n - 2; i >= 0; --i) {
    double* si = s + i * batch;
    const double* sn = s + (i + 1) * batch;
    const double up = upper_[i], inv = 1.0 / pivot_[i];
    for (int64_t b = 0; b < batch; ++b) si[b] = (si[b] - up * sn[b]) * inv;
  }
}

void SplineInterpolator1D::Apply(const double* y, int64_t batch, double* out) const {
  std::vector<double> s(static_cast<size_t>(num_points() * batch));
  Slopes(y, batch, s.data());
  for (int64_t j = 0; j < num_queries(); ++j) {
    const int64_t k = seg_[j];
    const double a = wy0_[j], c = wy1_[j], d = ws0_[j], e = ws1_[j];
    const double* y0 = y + k * batch;
    const double* y1 = y0 + batch;
    const double* s0 = s.data() + k * batch;
    const double* s1 = s0 + batch;
    double* o = out + j * batch;
    for (int64_t b = 0; b < batch; ++b) o[b] = a * y0[b] + c * y1[b] + d * s0[b] + e * s1[b];
  }
}

std::vector<double> SplineInterpolator1D::Apply(const std::vector<double>& y) const {
  NB_CHECK(static_cast<int64_t>(y.size()) == num_points(), "SplineInterpolator1D::Apply: got ", y.size(),
           " values for ", num_points(), " points");
  std::vector<double> out(num_queries());
  Apply(y.data(), 1, out.data());
  return out;
}

Field SplineInterp2(const Field& v, const std::vector<double>& y, const std::vector<double>& x,
                    const std::vector<double>& yq, const std::vector<double>& xq) {
  NB_CHECK(v.rows == static_cast<int64_t>(y.size()) && v.cols == static_cast<int64_t>(x.size()),
           "SplineInterp2: values are ", v.rows, "x", v.cols, " but the grid is ", y.size(), "x", x.size());
  const SplineInterpolator1D along_y(y, yq), along_x(x, xq);
  Field tmp(static_cast<int64_t>(yq.size()), v.cols);  // (nyq, nx)
  along_y.Apply(v.data(), v.cols, tmp.data());
  const Field tmp_t = Transposed(tmp);  // (nx, nyq)
  Field out_t(static_cast<int64_t>(xq.size()), tmp.rows);
  along_x.Apply(tmp_t.data(), tmp_t.cols, out_t.data());
  return Transposed(out_t);
}

std::vector<double> CellCentres(int64_t k) {
  std::vector<double> c(k);
  for (int64_t i = 0; i < k; ++i) c[i] = (2.0 * static_cast<double>(i) + 1.0) / (2.0 * static_cast<double>(k));
  return c;
}

std::vector<double> NodePoints(int64_t k) {
  NB_CHECK(k >= 2, "NodePoints: need at least 2 nodes, got ", k);
  std::vector<double> p(k);
  for (int64_t i = 0; i < k; ++i) p[i] = static_cast<double>(i) / static_cast<double>(k - 1);
  return p;
}

}  // namespace nb360::tasks::darcy
