// nn::init: PyTorch's default bounds and gains, sample statistics, and determinism from the seed.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "engine/nn/nn.h"
#include "gtest/gtest.h"

namespace nb360 {
namespace nn {
namespace {

struct Stats {
  double min, max, mean, var;
};

Stats StatsOf(const Tensor& t) {
  const auto v = t.ToVector<double>();
  Stats s{v[0], v[0], 0.0, 0.0};
  for (double x : v) {
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
    s.mean += x;
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.var += (x - s.mean) * (x - s.mean);
  s.var /= static_cast<double>(v.size());
  return s;
}

// U(-b, b): inside the bound, reaching close to it, mean ~0, variance ~b^2/3.
void ExpectUniform(const Tensor& t, double bound, const char* what) {
  const Stats s = StatsOf(t);
  const double n = static_cast<double>(t.numel());
  EXPECT_GE(s.min, -bound) << what;
  EXPECT_LE(s.max, bound) << what;
  EXPECT_GT(s.max, bound * (1.0 - 20.0 / n)) << what;
  EXPECT_LT(s.min, -bound * (1.0 - 20.0 / n)) << what;
  EXPECT_NEAR(s.mean, 0.0, 5.0 * bound / std::sqrt(3.0 * n)) << what;
  // The sample variance's relative spread is ~0.9 / sqrt(n); allow 5 of those (at least 5%).
  EXPECT_NEAR(s.var, bound * bound / 3.0, std::max(0.05, 4.5 / std::sqrt(n)) * bound * bound / 3.0) << what;
}

void ExpectNormal(const Tensor& t, double stddev, const char* what) {
  const Stats s = StatsOf(t);
  const double n = static_cast<double>(t.numel());
  EXPECT_NEAR(s.mean, 0.0, 5.0 * stddev / std::sqrt(n)) << what;
  EXPECT_NEAR(std::sqrt(s.var), stddev, std::max(0.03, 4.0 / std::sqrt(n)) * stddev) << what;
}

TEST(InitTest, GainsAndFans) {
  using init::Nonlinearity;
  EXPECT_EQ(init::CalculateGain(Nonlinearity::kLinear), 1.0);
  EXPECT_EQ(init::CalculateGain(Nonlinearity::kSigmoid), 1.0);
  EXPECT_DOUBLE_EQ(init::CalculateGain(Nonlinearity::kTanh), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(init::CalculateGain(Nonlinearity::kRelu), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::CalculateGain(Nonlinearity::kLeakyRelu, std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
  EXPECT_DOUBLE_EQ(init::CalculateGain(Nonlinearity::kSelu), 0.75);
  EXPECT_EQ(init::CalculateFanInAndFanOut(Tensor::Empty({32, 16, 3, 3})), (std::make_pair<int64_t, int64_t>(144, 288)));
  EXPECT_EQ(init::CalculateFanInAndFanOut(Tensor::Empty({10, 7})), (std::make_pair<int64_t, int64_t>(7, 10)));
  EXPECT_THROW(init::CalculateFanInAndFanOut(Tensor::Empty({5})), Error);
}

TEST(InitTest, LinearDefaultIsKaimingUniformSqrt5) {
  Generator gen(0);
  Linear lin(400, 300, gen);
  // kaiming_uniform_(a=sqrt(5)): bound = sqrt(1/3) * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
  ExpectUniform(lin.weight(), 1.0 / std::sqrt(400.0), "Linear.weight");
  ExpectUniform(lin.bias(), 1.0 / std::sqrt(400.0), "Linear.bias");
}

TEST(InitTest, ConvDefaults) {
  Generator gen(0);
  Conv2d conv(64, 96, 3, gen);
  ExpectUniform(conv.weight(), 1.0 / std::sqrt(64.0 * 9.0), "Conv2d.weight");
  ExpectUniform(conv.bias(), 1.0 / std::sqrt(64.0 * 9.0), "Conv2d.bias");
  Conv2dParams grouped;
  grouped.groups = 4;
  Conv2d gconv(64, 512, 3, gen, grouped);
  ExpectUniform(gconv.weight(), 1.0 / std::sqrt(16.0 * 9.0), "grouped Conv2d.weight");
  Conv1d conv1(32, 300, 5, gen);
  ExpectUniform(conv1.weight(), 1.0 / std::sqrt(32.0 * 5.0), "Conv1d.weight");
  // Transposed: weight (in, out, k, k); torch's fan_in is size(1) * k * k = out * k * k.
  ConvTranspose2d up(256, 40, 4, gen);
  ExpectUniform(up.weight(), 1.0 / std::sqrt(40.0 * 16.0), "ConvTranspose2d.weight");
  ExpectUniform(up.bias(), 1.0 / std::sqrt(40.0 * 16.0), "ConvTranspose2d.bias");
  Conv2d nobias(4, 4, 3, gen, {}, false);
  EXPECT_FALSE(nobias.bias().defined());
  EXPECT_FALSE(nobias.HasParameter("bias"));
}

TEST(InitTest, NormAndAttentionDefaults) {
  Generator gen(0);
  BatchNorm2d bn(6);
  EXPECT_EQ(bn.Parameter("weight").ToVector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(bn.Parameter("bias").ToVector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(bn.Buffer("running_mean").ToVector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(bn.Buffer("running_var").ToVector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(bn.Buffer("num_batches_tracked").item(), 0.0);
  LayerNorm ln({3, 4});
  EXPECT_EQ(ln.Parameter("weight").shape(), (Shape{3, 4}));
  EXPECT_EQ(ln.Parameter("weight").ToVector<float>(), std::vector<float>(12, 1.0f));
  EXPECT_EQ(ln.Parameter("bias").ToVector<float>(), std::vector<float>(12, 0.0f));
  MultiheadAttention mha(128, 4, gen);
  // xavier_uniform_ on (3E, E): bound sqrt(6 / (E + 3E)).
  ExpectUniform(mha.Parameter("in_proj_weight"), std::sqrt(6.0 / (4.0 * 128.0)), "in_proj_weight");
  EXPECT_EQ(mha.Parameter("in_proj_bias").ToVector<float>(), std::vector<float>(384, 0.0f));
  EXPECT_EQ(mha.out_proj()->bias().ToVector<float>(), std::vector<float>(128, 0.0f));
  ExpectUniform(mha.out_proj()->weight(), 1.0 / std::sqrt(128.0), "out_proj.weight");
}

TEST(InitTest, ExplicitInitialisers) {
  Generator gen(7);
  Tensor w = Tensor::Empty({200, 150, 3});  // fan_in 450, fan_out 600
  init::KaimingUniform(w, gen);              // leaky_relu a=0 -> gain sqrt(2)
  ExpectUniform(w, std::sqrt(2.0) * std::sqrt(3.0 / 450.0), "KaimingUniform");
  init::KaimingNormal(w, gen, 0.0, init::FanMode::kFanOut, init::Nonlinearity::kRelu);
  ExpectNormal(w, std::sqrt(2.0) / std::sqrt(600.0), "KaimingNormal fan_out");
  init::KaimingNormal(w, gen, 0.0, init::FanMode::kFanIn, init::Nonlinearity::kTanh);
  ExpectNormal(w, (5.0 / 3.0) / std::sqrt(450.0), "KaimingNormal tanh");
  init::XavierUniform(w, gen, 2.0);
  ExpectUniform(w, 2.0 * std::sqrt(6.0 / 1050.0), "XavierUniform");
  init::XavierNormal(w, gen);
  ExpectNormal(w, std::sqrt(2.0 / 1050.0), "XavierNormal");
  init::Normal(w, 0.0, 0.02, gen);
  ExpectNormal(w, 0.02, "Normal");
  init::Uniform(w, -3.0, 3.0, gen);
  ExpectUniform(w, 3.0, "Uniform");
  init::Constant(w, 0.25);
  EXPECT_EQ(StatsOf(w).min, 0.25);
  EXPECT_EQ(StatsOf(w).max, 0.25);
  init::Ones(w);
  EXPECT_EQ(StatsOf(w).mean, 1.0);
  init::Zeros(w);
  EXPECT_EQ(StatsOf(w).max, 0.0);
  Tensor d = Tensor::Empty({64, 64}, DType::kFloat64);
  init::XavierUniform(d, gen);
  ExpectUniform(d, std::sqrt(6.0 / 128.0), "XavierUniform float64");
  EXPECT_THROW(init::Uniform(Tensor::Empty({4}, DType::kInt64), 0, 1, gen), Error);
  EXPECT_THROW(init::Uniform(Tensor::Empty({4, 4}).Transpose(0, 1), 0, 1, gen), Error);
}

TEST(InitTest, SameSeedSameWeightsDifferentSeedDifferentWeights) {
  auto build = [](uint64_t seed) {
    Generator gen(seed);
    auto net = std::make_shared<Sequential>();
    net->Add(std::make_shared<Conv2d>(3, 8, 3, gen));
    net->Add(std::make_shared<BatchNorm2d>(8));
    net->Add(std::make_shared<Flatten>());
    net->Add(std::make_shared<Linear>(8, 4, gen));
    net->Add(std::make_shared<MultiheadAttention>(4, 2, gen));
    return net;
  };
  auto a = build(42), b = build(42), c = build(43);
  const NamedTensors sa = a->StateDict(), sb = b->StateDict(), sc = c->StateDict();
  ASSERT_EQ(sa.size(), sb.size());
  bool any_differs = false;
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].second.ToString(100000), sb[i].second.ToString(100000)) << sa[i].first;
    if (IsFloating(sa[i].second.dtype()) &&
        sa[i].second.ToVector<float>() != sc[i].second.ToVector<float>()) {
      any_differs = true;
    }
  }
  EXPECT_TRUE(any_differs);
  // Bitwise, not just printed digits.
  EXPECT_EQ(sa[0].second.ToVector<float>(), sb[0].second.ToVector<float>());
  EXPECT_NE(sa[0].second.ToVector<float>(), sc[0].second.ToVector<float>());
}

}  // namespace
}  // namespace nn
}  // namespace nb360
