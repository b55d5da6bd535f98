// Tests for tasks/darcy_flow/grf: MATLAB idct2 normalisation (scipy golden), GRF statistics, determinism.
#include "tasks/darcy_flow/grf.h"

#include <cmath>
#include <vector>

#include "engine/rng.h"
#include "gtest/gtest.h"
#include "tests/tasks/darcy_flow/testdata/darcy_golden.h"

namespace nb360::tasks::darcy {
namespace {

void CheckDct(const std::vector<double>& in, const std::vector<double>& want, int64_t r, int64_t c) {
  Field x(r, c);
  x.v = in;
  const Field u = InverseDct2(x);
  ASSERT_EQ(u.rows, r);
  ASSERT_EQ(u.cols, c);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(u.v[i], want[i], 1e-12) << i;
}

TEST(InverseDct2, MatchesScipyIdctnType2Ortho) {
  CheckDct(golden::kDctIn5x6, golden::kDctOut5x6, 5, 6);
  CheckDct(golden::kDctIn7x7, golden::kDctOut7x7, 7, 7);
  CheckDct(golden::kDctIn1x4, golden::kDctOut1x4, 1, 4);
}

TEST(InverseDct2, ConstantModeAndParseval) {
  // Only L(0,0) = 1: a constant field 1/sqrt(r c) (orthonormal DCT-III).
  Field x(4, 6);
  x(0, 0) = 1.0;
  const Field u = InverseDct2(x);
  for (double v : u.v) EXPECT_NEAR(v, 1.0 / std::sqrt(24.0), 1e-15);
  // Orthonormal: the Frobenius norm is kept.
  Generator gen(3);
  const Field l = GrfCoefficients(GrfParams{}, 33, gen);
  const Field w = InverseDct2(l);
  double a = 0.0, b = 0.0;
  for (double v : l.v) a += v * v;
  for (double v : w.v) b += v * v;
  EXPECT_NEAR(a, b, 1e-10 * a);
}

TEST(Grf, ZeroMeanModeAndAmplitude) {
  const GrfParams p{2.0, 3.0};
  const int64_t s = 64;
  Generator gen(11);
  const Field l = GrfCoefficients(p, s, gen);
  EXPECT_EQ(l(0, 0), 0.0);
  // L / (s c) must be standard normal: check mean and variance over the s² − 1 modes.
  double sum = 0.0, sum2 = 0.0;
  for (int64_t k1 = 0; k1 < s; ++k1) {
    for (int64_t k2 = 0; k2 < s; ++k2) {
      if (k1 == 0 && k2 == 0) continue;
      const double c = std::pow(p.tau, p.alpha - 1.0) *
                       std::pow(M_PI * M_PI * (k1 * k1 + k2 * k2) + p.tau * p.tau, -p.alpha / 2.0);
      const double xi = l(k1, k2) / (static_cast<double>(s) * c);
      sum += xi;
      sum2 += xi * xi;
    }
  }
  const double n = static_cast<double>(s * s - 1);
  EXPECT_NEAR(sum / n, 0.0, 4.0 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n, 1.0, 4.0 * std::sqrt(2.0 / n));
  // The field has zero mean over the grid (the constant mode is removed).
  Generator gen2(12);
  const Field u = SampleGrf(p, s, gen2);
  double mean = 0.0, scale = 0.0;
  for (double v : u.v) {
    mean += v;
    scale += std::abs(v);
  }
  EXPECT_NEAR(mean / scale, 0.0, 1e-12);
}

TEST(Grf, PointwiseVarianceMatchesSpectrum) {
  // Var U(x) = Σ_k (s c_k)² φ_k(x)²; at the centre of the grid average over many draws.
  const GrfParams p{2.0, 3.0};
  const int64_t s = 16;
  double expected_total = 0.0;  // Σ_x Var U(x) = Σ_k (s c_k)² (orthonormal basis)
  for (int64_t k1 = 0; k1 < s; ++k1)
    for (int64_t k2 = 0; k2 < s; ++k2) {
      if (k1 == 0 && k2 == 0) continue;
      const double c = std::pow(p.tau, p.alpha - 1.0) *
                       std::pow(M_PI * M_PI * (k1 * k1 + k2 * k2) + p.tau * p.tau, -p.alpha / 2.0);
      expected_total += static_cast<double>(s * s) * c * c;
    }
  Generator gen(5);
  const int draws = 400;
  double total = 0.0;
  for (int d = 0; d < draws; ++d) {
    const Field u = SampleGrf(p, s, gen);
    for (double v : u.v) total += v * v;
  }
  EXPECT_NEAR(total / draws, expected_total, 0.1 * expected_total);
}

TEST(Grf, DeterministicAndForkDependent) {
  Generator a = Generator(7).Fork("darcy/train"), b = Generator(7).Fork("darcy/train");
  Generator c = Generator(7).Fork("darcy/test");
  const Field ua = SampleGrf(GrfParams{}, 21, a), ub = SampleGrf(GrfParams{}, 21, b);
  const Field uc = SampleGrf(GrfParams{}, 21, c);
  EXPECT_EQ(ua.v, ub.v);
  EXPECT_NE(ua.v, uc.v);
}

TEST(Threshold, MapsSigns) {
  Field u(1, 4);
  u.v = {-1.0, 0.0, 2.0, -1e-300};
  const Field a = ThresholdField(u, 12.0, 3.0);
  EXPECT_EQ(a.v, (std::vector<double>{3.0, 12.0, 12.0, 3.0}));
}

}  // namespace
}  // namespace nb360::tasks::darcy
