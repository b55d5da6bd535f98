// Tests for tasks/darcy_flow/solver: second-order convergence, agreement with the dense direct solve,
// symmetry, the maximum principle, and the MINRES fallback for an indefinite system.
#include "tasks/darcy_flow/solver.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/rng.h"
#include "gtest/gtest.h"
#include "tasks/darcy_flow/grf.h"

namespace nb360::tasks::darcy {
namespace {

double MaxAbs(const Field& f) {
  double m = 0.0;
  for (double v : f.v) m = std::max(m, std::abs(v));
  return m;
}

double MaxDiff(const Field& a, const Field& b) {
  double m = 0.0;
  for (size_t i = 0; i < a.v.size(); ++i) m = std::max(m, std::abs(a.v[i] - b.v[i]));
  return m;
}

// A 12/3 thresholded GRF on K×K nodes.
Field PiecewiseCoefficient(int64_t K, uint64_t seed) {
  Generator gen(seed);
  return ThresholdField(SampleGrf(GrfParams{}, K, gen), 12.0, 3.0);
}

TEST(Solver, SecondOrderOnManufacturedPoisson) {
  // a ≡ 1, u = sin(πx) sin(πy), f = 2π² sin(πx) sin(πy).
  std::vector<double> errors;
  for (int64_t K : {17, 33, 65, 129}) {
    Field a(K, K, 1.0), f(K, K), exact(K, K);
    const double h = 1.0 / static_cast<double>(K - 1);
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < K; ++j) {
        const double s = std::sin(M_PI * i * h) * std::sin(M_PI * j * h);
        exact(i, j) = s;
        f(i, j) = 2.0 * M_PI * M_PI * s;
      }
    SolverOptions o;
    o.rel_tol = 1e-12;
    SolveStats st;
    const Field u = SolveDarcyNodes(a, f, o, &st);
    ASSERT_TRUE(st.converged) << st.failure;
    errors.push_back(MaxDiff(u, exact));
  }
  for (size_t i = 1; i < errors.size(); ++i) {
    const double order = std::log2(errors[i - 1] / errors[i]);
    std::printf("max error %.3e -> %.3e: observed order %.4f\n", errors[i - 1], errors[i], order);
    EXPECT_GE(order, 1.8) << "level " << i;
    EXPECT_LE(order, 2.2) << "level " << i;
  }
}

TEST(Solver, MultigridMatchesDenseDirectSolve) {
  for (int64_t K : {9, 12, 17, 33}) {  // 12: K − 1 odd (one level, banded Cholesky)
    SCOPED_TRACE(K);
    const Field a = PiecewiseCoefficient(K, 100 + K);
    Field f(K, K);
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < K; ++j) f(i, j) = 1.0 + 0.5 * std::sin(3.0 * i + j);
    SolverOptions o;
    o.rel_tol = 1e-13;
    o.direct_max_side = 3;  // force a deep hierarchy even on small grids
    SolveStats st;
    const Field u = SolveDarcyNodes(a, f, o, &st);
    ASSERT_TRUE(st.converged) << st.failure;
    const Field ref = SolveDarcyNodesDense(a, f);
    EXPECT_LE(MaxDiff(u, ref), 1e-9 * MaxAbs(ref));
    if (K == 33) {
      EXPECT_EQ(st.method, "pcg");
      EXPECT_EQ(st.levels, 4);  // 32 → 16 → 8 → 4 intervals
      EXPECT_LE(st.iterations, 20);
    }
  }
}

TEST(Solver, IndefiniteSystemFallsBackToMinres) {
  // A strongly negative boundary node makes the diagonal of a corner unknown negative: not SPD.
  const int64_t K = 17;
  Field a = PiecewiseCoefficient(K, 7);
  a(0, 1) = -40.0;
  a(1, 0) = -40.0;
  const Field f(K, K, 1.0);
  SolveStats st;
  SolverOptions o;
  o.rel_tol = 1e-12;
  o.direct_max_side = 3;
  const Field u = SolveDarcyNodes(a, f, o, &st);
  ASSERT_TRUE(st.converged) << st.failure;
  EXPECT_EQ(st.method, "minres");
  const Field ref = SolveDarcyNodesDense(a, f);
  EXPECT_LE(MaxDiff(u, ref), 1e-8 * MaxAbs(ref));
}

TEST(Solver, SymmetricCoefficientGivesSymmetricSolution) {
  const int64_t K = 65;
  const Field g = PiecewiseCoefficient(K, 21);
  Field a(K, K), r(K, K);
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j) {
      a(i, j) = std::max(g(i, j), g(j, i));          // a = aᵀ
      r(i, j) = std::max(g(i, j), g(K - 1 - i, j));  // mirror-symmetric in the row index
    }
  const Field f(K, K, 1.0);
  SolverOptions o;
  o.rel_tol = 1e-12;
  const Field u = SolveDarcyNodes(a, f, o);
  EXPECT_LE(MaxDiff(u, Transposed(u)), 1e-10 * MaxAbs(u));
  const Field v = SolveDarcyNodes(r, f, o);
  double m = 0.0;
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j) m = std::max(m, std::abs(v(i, j) - v(K - 1 - i, j)));
  EXPECT_LE(m, 1e-10 * MaxAbs(v));
}

TEST(Solver, MaximumPrinciplePositiveForUnitForcing) {
  const int64_t K = 129;
  const Field a = PiecewiseCoefficient(K, 5);
  SolveStats st;
  const Field u = SolveDarcyNodes(a, Field(K, K, 1.0), SolverOptions{}, &st);
  ASSERT_TRUE(st.converged) << st.failure;
  EXPECT_EQ(st.method, "pcg");
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j) {
      if (i == 0 || j == 0 || i == K - 1 || j == K - 1) {
        EXPECT_EQ(u(i, j), 0.0);
      } else {
        EXPECT_GT(u(i, j), 0.0) << i << "," << j;
      }
    }
  // Compliance Σ f u decreases as a grows (u = argmax 2(f,v) − vᵀA v), so it lies between the
  // constant-coefficient values for a ≡ 12 and a ≡ 3 (pointwise bounds would not hold).
  auto compliance = [](const Field& v) {
    double s = 0.0;
    for (double x : v.v) s += x;
    return s;
  };
  const double hi = compliance(SolveDarcyNodes(Field(K, K, 3.0), Field(K, K, 1.0)));
  const double lo = compliance(SolveDarcyNodes(Field(K, K, 12.0), Field(K, K, 1.0)));
  EXPECT_LT(compliance(u), hi);
  EXPECT_GT(compliance(u), lo);
  EXPECT_NEAR(hi, 4.0 * lo, 1e-8 * hi);  // u scales as 1/a
}

TEST(Solver, ZeroForcingGivesZero) {
  const Field u = SolveDarcyNodes(Field(9, 9, 2.0), Field(9, 9, 0.0));
  EXPECT_EQ(MaxAbs(u), 0.0);
}

}  // namespace
}  // namespace nb360::tasks::darcy
