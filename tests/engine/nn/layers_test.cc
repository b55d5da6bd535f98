// Layer behaviour: shapes, BatchNorm running statistics and modes, Dropout streams, attention,
// Sequential, small modules.
#include <cmath>
#include <memory>
#include <vector>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace nb360 {
namespace nn {
namespace {

Tensor Randn(const Shape& shape, uint64_t seed, double mean = 0.0, double stddev = 1.0) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t, mean, stddev);
  return t;
}

TEST(LinearTest, ComputesXWtPlusB) {
  Generator gen(0);
  Linear lin(2, 3, gen);
  lin.weight().CopyFrom(Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {3, 2}));
  lin.bias().CopyFrom(Tensor::FromVector<float>({0.5f, -1, 0}, {3}));
  const Tensor y = lin.Forward(Tensor::FromVector<float>({1, 1, 2, -1}, {2, 2}));
  EXPECT_EQ(y.ToVector<float>(), (std::vector<float>{3.5f, 6, 11, 0.5f, 1, 4}));
  EXPECT_EQ(lin.Forward(Tensor::Zeros({4, 5, 2})).shape(), (Shape{4, 5, 3}));
  Linear nobias(2, 3, gen, false);
  EXPECT_EQ(nobias.NamedParameters().size(), 1u);
}

TEST(ConvLayersTest, OutputShapes) {
  Generator gen(0);
  Conv2d conv(3, 8, 3, gen, Conv2dOptions(2, 1));
  EXPECT_EQ(conv.Forward(Tensor::Zeros({2, 3, 9, 9})).shape(), (Shape{2, 8, 5, 5}));
  Conv2d rect(3, 4, 1, 3, gen);
  EXPECT_EQ(rect.weight().shape(), (Shape{4, 3, 1, 3}));
  Conv1dParams p1;
  p1.padding = 2;
  p1.dilation = 2;
  Conv1d conv1(4, 6, 3, gen, p1);
  EXPECT_EQ(conv1.Forward(Tensor::Zeros({2, 4, 10})).shape(), (Shape{2, 6, 10}));
  ConvTranspose2dParams pt;
  pt.stride_h = pt.stride_w = 2;
  pt.pad_h = pt.pad_w = 1;
  pt.output_pad_h = pt.output_pad_w = 1;
  ConvTranspose2d up(8, 4, 3, gen, pt);
  EXPECT_EQ(up.weight().shape(), (Shape{8, 4, 3, 3}));
  EXPECT_EQ(up.Forward(Tensor::Zeros({1, 8, 5, 5})).shape(), (Shape{1, 4, 10, 10}));
  EXPECT_THROW(Conv2d(3, 4, 3, gen, Conv2dOptions(1, 0, 1, 2)), Error);  // 3 % 2 != 0
}

TEST(BatchNormTest, TrainUpdatesRunningStatsEvalUsesThem) {
  BatchNorm2d bn(3);
  const Tensor x = Randn({8, 3, 4, 4}, 1, 2.0, 3.0);
  Tensor y = bn.Forward(x);
  EXPECT_EQ(bn.Buffer("num_batches_tracked").item(), 1.0);
  // Training output is normalised per channel.
  const Tensor m = Mean(y, {0, 2, 3});
  for (float v : m.ToVector<float>()) EXPECT_NEAR(v, 0.0, 1e-5);
  // running_mean = 0.9 * 0 + 0.1 * batch mean.
  const auto batch_mean = Mean(x, {0, 2, 3}).ToVector<float>();
  const auto rm = bn.Buffer("running_mean").ToVector<float>();
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(rm[c], 0.1 * batch_mean[c], 1e-5);

  bn.eval();
  const auto before = bn.Buffer("running_mean").ToVector<float>();
  y = bn.Forward(x);
  EXPECT_EQ(bn.Buffer("num_batches_tracked").item(), 1.0);
  EXPECT_EQ(bn.Buffer("running_mean").ToVector<float>(), before);
  // Eval: (x - running_mean) / sqrt(running_var + eps).
  const auto rv = bn.Buffer("running_var").ToVector<float>();
  const auto xv = x.ToVector<float>(), yv = y.ToVector<float>();
  for (int64_t i = 0; i < x.numel(); i += 17) {
    const int c = static_cast<int>((i / 16) % 3);
    EXPECT_NEAR(yv[i], (xv[i] - rm[c]) / std::sqrt(rv[c] + 1e-5), 1e-4);
  }
  bn.ResetRunningStats();
  EXPECT_EQ(bn.Buffer("num_batches_tracked").item(), 0.0);
}

TEST(BatchNormTest, CumulativeAverageWhenMomentumUnset) {
  BatchNormOptions o;
  o.momentum = std::nullopt;
  BatchNorm1d bn(2, o);
  const Tensor a = Randn({16, 2}, 1, 1.0), b = Randn({16, 2}, 2, -3.0);
  bn.Forward(a);
  bn.Forward(b);
  const auto ma = Mean(a, {0}).ToVector<float>(), mb = Mean(b, {0}).ToVector<float>();
  const auto rm = bn.Buffer("running_mean").ToVector<float>();
  for (int c = 0; c < 2; ++c) EXPECT_NEAR(rm[c], (ma[c] + mb[c]) / 2.0, 1e-5);
  EXPECT_EQ(bn.Buffer("num_batches_tracked").item(), 2.0);
}

TEST(BatchNormTest, WithoutRunningStatsAlwaysUsesBatchStats) {
  BatchNormOptions o;
  o.track_running_stats = false;
  o.affine = false;
  BatchNorm1d bn(4, o);
  EXPECT_TRUE(bn.StateDict().empty());
  bn.eval();
  const Tensor y = bn.Forward(Randn({10, 4, 6}, 3, 5.0));
  for (float v : Mean(y, {0, 2}).ToVector<float>()) EXPECT_NEAR(v, 0.0, 1e-5);
  EXPECT_THROW(bn.Forward(Tensor::Zeros({2, 4, 3, 3})), Error);
  BatchNorm2d bn2(4);
  EXPECT_THROW(bn2.Forward(Tensor::Zeros({2, 4, 3})), Error);
  EXPECT_THROW(bn2.Forward(Tensor::Zeros({2, 5, 3, 3})), Error);
}

TEST(BatchNormTest, GradientsReachAffineParameters) {
  BatchNorm2d bn(2);
  Tensor x = Randn({4, 2, 3, 3}, 4).set_requires_grad(true);
  Sum(bn.Forward(x) * Randn({4, 2, 3, 3}, 5)).Backward();
  EXPECT_TRUE(bn.Parameter("weight").grad().defined());
  EXPECT_TRUE(bn.Parameter("bias").grad().defined());
  EXPECT_TRUE(x.grad().defined());
}

TEST(LayerNormTest, NormalisesTrailingDims) {
  LayerNorm ln({4});
  const Tensor y = ln.Forward(Randn({3, 5, 4}, 6, 2.0, 4.0));
  EXPECT_EQ(y.shape(), (Shape{3, 5, 4}));
  for (float v : Mean(y, {-1}).ToVector<float>()) EXPECT_NEAR(v, 0.0, 1e-5);
  LayerNorm plain({4}, 1e-5, false);
  EXPECT_EQ(plain.NumParameters(), 0);
}

TEST(DropoutTest, DeterministicStreamsAndModes) {
  const Tensor x = Tensor::Ones({1000});
  Dropout a(0.25, 11), b(0.25, 11), c(0.25, 12);
  const auto ya = a.Forward(x).ToVector<float>();
  EXPECT_EQ(ya, b.Forward(x).ToVector<float>());
  EXPECT_NE(ya, c.Forward(x).ToVector<float>());
  // The stream advances: a second call differs from the first.
  EXPECT_NE(ya, a.Forward(x).ToVector<float>());
  int zeros = 0;
  for (float v : ya) {
    if (v == 0.0f) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(v, 1.0f / 0.75f);
    }
  }
  EXPECT_NEAR(zeros, 250, 60);
  a.eval();
  EXPECT_EQ(a.Forward(x).ToVector<float>(), x.ToVector<float>());
  // Two modules from one generator get different streams; the same generator seed repeats them.
  Generator g1(5), g2(5);
  Dropout d1(0.5, g1), d2(0.5, g1), e1(0.5, g2);
  const auto m1 = d1.Forward(x).ToVector<float>();
  EXPECT_NE(m1, d2.Forward(x).ToVector<float>());
  EXPECT_EQ(m1, e1.Forward(x).ToVector<float>());
  EXPECT_THROW(Dropout(1.5, 0), Error);
  EXPECT_TRUE(Dropout(0.3, 1).StateDict().empty());
}

TEST(MultiheadAttentionTest, ParametersAndShapes) {
  Generator gen(0);
  MultiheadAttention mha(8, 2, gen);
  const NamedTensors p = mha.NamedParameters();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].first, "in_proj_weight");
  EXPECT_EQ(p[0].second.shape(), (Shape{24, 8}));
  EXPECT_EQ(p[1].first, "in_proj_bias");
  EXPECT_EQ(p[2].first, "out_proj.weight");
  EXPECT_EQ(p[3].first, "out_proj.bias");
  const Tensor q = Randn({2, 5, 8}, 1), kv = Randn({2, 7, 8}, 2);
  EXPECT_EQ(mha.Forward(q, kv, kv).shape(), (Shape{2, 5, 8}));
  EXPECT_EQ(mha.Forward(q).ToVector<float>(), mha.Forward(q, q, q).ToVector<float>());
  EXPECT_THROW(MultiheadAttention(10, 3, gen), Error);
  MultiheadAttention nobias(8, 2, gen, false);
  EXPECT_EQ(nobias.NamedParameters().size(), 2u);
}

TEST(SmallModulesTest, ActivationsFlattenIdentitySequential) {
  const Tensor x = Tensor::FromVector<float>({-1, 2, -3, 4}, {1, 2, 2});
  EXPECT_EQ(ReLU().Forward(x).ToVector<float>(), (std::vector<float>{0, 2, 0, 4}));
  EXPECT_NEAR(GELU().Forward(x).ToVector<float>()[1], 2.0 * 0.5 * (1.0 + std::erf(2.0 / std::sqrt(2.0))), 1e-6);
  EXPECT_TRUE(Identity().Forward(x).SameImpl(x));
  EXPECT_EQ(Flatten().Forward(Tensor::Zeros({2, 3, 4, 5})).shape(), (Shape{2, 60}));
  EXPECT_EQ(Flatten(0, 1).Forward(Tensor::Zeros({2, 3, 4})).shape(), (Shape{6, 4}));

  Generator gen(0);
  Sequential seq;
  auto l1 = seq.Add(std::make_shared<Linear>(4, 3, gen));
  seq.Add(std::make_shared<ReLU>());
  seq.Add(std::make_shared<Linear>(3, 2, gen));
  EXPECT_EQ(seq.size(), 3);
  EXPECT_EQ(seq[0], l1);
  EXPECT_EQ(seq[-1]->type_name(), "Linear");
  EXPECT_THROW(seq[3], Error);
  EXPECT_EQ(seq.Forward(Tensor::Zeros({5, 4})).shape(), (Shape{5, 2}));
  std::vector<std::string> names;
  for (const auto& [n, t] : seq.NamedParameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
}

}  // namespace
}  // namespace nn
}  // namespace nb360
