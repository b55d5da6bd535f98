// Tests for tasks/darcy_flow/spline: not-a-knot splines against scipy CubicSpline golden values.
#include "tasks/darcy_flow/spline.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "tests/tasks/darcy_flow/testdata/darcy_golden.h"

namespace nb360::tasks::darcy {
namespace {

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1.0 + std::abs(want[i]))) << i;
}

TEST(Spline1D, MatchesScipyNotAKnot) {
  const struct {
    const std::vector<double>& x;
    const std::vector<double>& y;
    const std::vector<double>& xq;
    const std::vector<double>& want;
  } cases[] = {
      {golden::kSpline1dX2, golden::kSpline1dY2, golden::kSpline1dXq2, golden::kSpline1dOut2},
      {golden::kSpline1dX3, golden::kSpline1dY3, golden::kSpline1dXq3, golden::kSpline1dOut3},
      {golden::kSpline1dX4, golden::kSpline1dY4, golden::kSpline1dXq4, golden::kSpline1dOut4},
      {golden::kSpline1dX6, golden::kSpline1dY6, golden::kSpline1dXq6, golden::kSpline1dOut6},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.x.size());
    ExpectNear(SplineInterpolator1D(c.x, c.xq).Apply(c.y), c.want, 1e-12);
  }
}

TEST(Spline1D, ReproducesCubicsExactly) {
  std::vector<double> x = {0.0, 0.3, 0.5, 1.1, 1.4, 2.0, 2.2};
  auto p = [](double t) { return 1.5 - 2.0 * t + 0.7 * t * t - 0.4 * t * t * t; };
  std::vector<double> y, xq, want;
  for (double t : x) y.push_back(p(t));
  for (double t = -0.5; t < 2.8; t += 0.13) {
    xq.push_back(t);
    want.push_back(p(t));
  }
  ExpectNear(SplineInterpolator1D(x, xq).Apply(y), want, 1e-12);
}

TEST(Spline1D, BatchedLinesEqualSingleLines) {
  const std::vector<double> x = CellCentres(9), xq = NodePoints(9);
  const SplineInterpolator1D s(x, xq);
  std::vector<double> data(9 * 3), out(9 * 3);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::sin(1.7 * static_cast<double>(i));
  s.Apply(data.data(), 3, out.data());
  for (int b = 0; b < 3; ++b) {
    std::vector<double> line(9);
    for (int i = 0; i < 9; ++i) line[i] = data[i * 3 + b];
    const std::vector<double> one = s.Apply(line);
    for (int j = 0; j < 9; ++j) EXPECT_DOUBLE_EQ(out[j * 3 + b], one[j]);
  }
}

Field FromVector(const std::vector<double>& v, int64_t k) {
  Field f(k, k);
  f.v = v;
  return f;
}

TEST(SplineInterp2, SolveGwfTransferMatchesScipy) {
  const int64_t K = 7;
  const std::vector<double> cells = CellCentres(K), nodes = NodePoints(K);
  const Field in = FromVector(golden::kSpline2dIn, K);
  ExpectNear(SplineInterp2(in, cells, cells, nodes, nodes).v, golden::kSpline2dToNodes, 1e-12);
  ExpectNear(SplineInterp2(in, nodes, nodes, cells, cells).v, golden::kSpline2dBack, 1e-12);
  const Field step = FromVector(golden::kSpline2dStepIn, K);
  ExpectNear(SplineInterp2(step, cells, cells, nodes, nodes).v, golden::kSpline2dStepToNodes, 1e-12);
}

TEST(SplineInterp2, TransposeCommutes) {
  const int64_t K = 11;
  Field v(K, K);
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j) v(i, j) = std::cos(0.9 * i) + std::sin(1.3 * j * i) + 0.1 * j;
  const std::vector<double> cells = CellCentres(K), nodes = NodePoints(K);
  const Field a = Transposed(SplineInterp2(v, cells, cells, nodes, nodes));
  const Field b = SplineInterp2(Transposed(v), cells, cells, nodes, nodes);
  for (size_t i = 0; i < a.v.size(); ++i) EXPECT_NEAR(a.v[i], b.v[i], 1e-12);
}

TEST(SplineGrids, CellCentresAndNodes) {
  const std::vector<double> c = CellCentres(4), n = NodePoints(5);
  EXPECT_DOUBLE_EQ(c[0], 1.0 / 8.0);
  EXPECT_DOUBLE_EQ(c[3], 7.0 / 8.0);
  EXPECT_DOUBLE_EQ(n[0], 0.0);
  EXPECT_DOUBLE_EQ(n[2], 0.5);
  EXPECT_DOUBLE_EQ(n[4], 1.0);
}

}  // namespace
}  // namespace nb360::tasks::darcy
