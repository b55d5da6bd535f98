// tests/nas/darts/eg_optimizer_test.cc: GAEA's exponentiated-gradient update (spec
// nas_darts_densenas.md §A.5, §D): simplex invariants per alpha row and over the whole beta, the
// first step from ones, a hand-computed float64 update, skipped tensors, lr changes and the
// checkpoint state.
#include <cmath>
#include <vector>

#include "engine/optim/optimizer.h"
#include "gtest/gtest.h"
#include "nas/darts/eg_optimizer.h"

namespace nb360::nas::darts {
namespace {

Tensor Leaf(const std::vector<double>& v, const Shape& shape) {
  Tensor t = Tensor::FromVector(v, shape);
  t.set_requires_grad(true);
  return t;
}

std::vector<double> Ramp(int n, double scale, double shift) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = scale * std::sin(0.7 * i + shift);
  return v;
}

TEST(EgOptimizerTest, RowsAndBetaStayOnTheSimplex) {
  Tensor alpha = Leaf(std::vector<double>(112, 1.0), {14, 8});
  Tensor beta = Leaf(std::vector<double>(14, 1.0), {14});
  EG eg({alpha, beta}, 0.1);
  for (int step = 0; step < 5; ++step) {
    alpha.set_grad(Tensor::FromVector(Ramp(112, 3.0, step), {14, 8}));
    beta.set_grad(Tensor::FromVector(Ramp(14, 5.0, -step), {14}));
    eg.Step();
    const std::vector<double> a = alpha.ToVector<double>();
    for (int r = 0; r < 14; ++r) {
      double sum = 0;
      for (int o = 0; o < 8; ++o) {
        EXPECT_GT(a[r * 8 + o], 0.0);
        sum += a[r * 8 + o];
      }
      EXPECT_NEAR(sum, 1.0, 1e-12) << "row " << r;
    }
    double sum = 0;
    for (double v : beta.ToVector<double>()) {
      EXPECT_GT(v, 0.0);
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);  // beta is normalised jointly over its 14 entries
  }
  EXPECT_EQ(eg.step_count(), 5);
}

TEST(EgOptimizerTest, FirstStepFromOnesWithZeroGradientIsUniform) {
  Tensor alpha = Leaf(std::vector<double>(112, 1.0), {14, 8});
  Tensor beta = Leaf(std::vector<double>(14, 1.0), {14});
  alpha.set_grad(Tensor::Zeros({14, 8}, DType::kFloat64));
  beta.set_grad(Tensor::Zeros({14}, DType::kFloat64));
  EG eg({alpha, beta});
  eg.Step();
  for (double v : alpha.ToVector<double>()) EXPECT_DOUBLE_EQ(v, 0.125);
  for (double v : beta.ToVector<double>()) EXPECT_DOUBLE_EQ(v, 1.0 / 14);
}

TEST(EgOptimizerTest, HandComputedUpdate) {
  // Row (0.5, 0.25, 0.25), g = (1, -2, 0), lr 0.1: p * exp(-0.1 g) = (0.5 e^-0.1, 0.25 e^0.2, 0.25),
  // divided by its sum. Second row (1, 3, 4) with g = (0, 0, 10): (1, 3, 4 e^-1) / (4 + 4 e^-1).
  Tensor p = Leaf({0.5, 0.25, 0.25, 1.0, 3.0, 4.0}, {2, 3});
  p.set_grad(Tensor::FromVector<double>({1, -2, 0, 0, 0, 10}, {2, 3}));
  EG eg({p});
  eg.Step();
  const double a0 = 0.5 * std::exp(-0.1), a1 = 0.25 * std::exp(0.2), a2 = 0.25;
  const double s0 = a0 + a1 + a2;
  const double s1 = 4.0 + 4.0 * std::exp(-1.0);
  const std::vector<double> want = {a0 / s0, a1 / s0, a2 / s0, 1.0 / s1, 3.0 / s1, 4.0 * std::exp(-1.0) / s1};
  const std::vector<double> got = p.ToVector<double>();
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
  // A different lr takes effect: row (1, 1) with g = (0, 1), lr 2: (1, e^-2) / (1 + e^-2).
  Tensor q = Leaf({1.0, 1.0}, {2});
  q.set_grad(Tensor::FromVector<double>({0, 1}, {2}));
  EG eg2({q}, 0.5);
  eg2.SetLearningRate(2.0);
  eg2.Step();
  EXPECT_NEAR(q.ToVector<double>()[0], 1.0 / (1.0 + std::exp(-2.0)), 1e-12);
}

TEST(EgOptimizerTest, TensorsWithoutGradientAreUntouched) {
  Tensor alpha = Leaf(std::vector<double>(112, 1.0), {14, 8});
  Tensor beta = Leaf(std::vector<double>(14, 1.0), {14});
  beta.set_grad(Tensor::FromVector(Ramp(14, 1.0, 0.3), {14}));
  EG eg({alpha, beta});
  eg.Step();
  for (double v : alpha.ToVector<double>()) EXPECT_EQ(v, 1.0);  // no .grad: skipped, still ones
  double sum = 0;
  for (double v : beta.ToVector<double>()) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST(EgOptimizerTest, Float32AndCheckpointState) {
  Tensor a = Tensor::Ones({3, 4});
  a.set_requires_grad(true);
  a.set_grad(Tensor::FromVector<float>({1, 2, 3, 4, 0, 0, 0, 0, -1, 1, -1, 1}, {3, 4}));
  EG eg({a}, 0.1);
  eg.Step();
  const std::vector<float> v = a.ToVector<float>();
  for (int r = 0; r < 3; ++r) EXPECT_NEAR(v[r * 4] + v[r * 4 + 1] + v[r * 4 + 2] + v[r * 4 + 3], 1.0f, 1e-6f);
  EXPECT_FLOAT_EQ(v[4], 0.25f);
  // The state is the engine's: lr and step count, restorable into a fresh EG.
  eg.SetLearningRate(0.03);
  const optim::OptimizerState st = eg.StateDict();
  EXPECT_TRUE(st.tensors.empty());
  Tensor b = Tensor::Ones({3, 4});
  b.set_requires_grad(true);
  EG restored({b}, 0.1);
  ASSERT_TRUE(restored.LoadStateDict(optim::StateFromTensors(optim::StateToTensors(st))).ok());
  EXPECT_DOUBLE_EQ(restored.param_groups()[0].lr, 0.03);
  EXPECT_EQ(restored.step_count(), 1);
}

}  // namespace
}  // namespace nb360::nas::darts
