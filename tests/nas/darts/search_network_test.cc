// tests/nas/darts/search_network_test.cc: the GAEA PC-DARTS search supernet against spec
// nas_darts_densenas.md §A.1-§A.5 and the §D checks: supernet weight counts per task (CIFAR-100,
// NinaPro, 1-D ECG, dense PDE), 504 weights per normal mixed edge at C=16 (102c + 7c^2 on stride-2
// edges), 252 architecture scalars kept out of the weights, the channel shuffle of the mixed op,
// initial mixing weights, the untouched genotype, output and cell shapes, BN settings, gradients.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "gtest/gtest.h"
#include "nas/darts/search_network.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace nb360::nas::darts {
namespace {

Tensor Randn(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Empty(shape);
  Generator gen(seed);
  gen.Normal(t);
  return t;
}

SearchNetworkConfig Config(SearchNetworkConfig::Kind kind, int in, int classes) {
  SearchNetworkConfig c;
  c.kind = kind;
  c.in_channels = in;
  c.num_classes = classes;
  return c;
}

int64_t Weights(const SearchNetworkConfig& cfg) {
  Generator gen(1);
  return SearchNetwork(cfg, gen).NumParameters();
}

// --- Parameter counts (§D, derived) ---

TEST(SearchNetworkTest, SupernetWeightCounts) {
  EXPECT_EQ(Weights(Config(SearchNetworkConfig::kPoint2d, 3, 100)), 322708);  // CIFAR-100
  EXPECT_EQ(Weights(Config(SearchNetworkConfig::kPoint2d, 1, 18)), 300770);   // NinaPro
  EXPECT_EQ(Weights(Config(SearchNetworkConfig::k1d, 1, 4)), 209524);         // ECG
  EXPECT_EQ(Weights(Config(SearchNetworkConfig::kDense, 3, 1)), 73521);       // Darcy flow
}

TEST(SearchNetworkTest, MixedEdgeWeightCounts) {
  Generator gen(2);
  // c = C/4 = 4: normal 102c + 6c^2 = 504, stride-2 102c + 7c^2 = 520 (FactorizedReduce adds c^2).
  EXPECT_EQ(MixedOp(OpDims::k2d, 16, 1, 4, gen).NumParameters(), 504);
  EXPECT_EQ(MixedOp(OpDims::k2d, 16, 2, 4, gen).NumParameters(), 520);
  // 1-D: k instead of k^2: sep3 2(3c + c^2) + sep5 2(5c + c^2) + dil3 (3c + c^2) + dil5 (5c + c^2).
  EXPECT_EQ(MixedOp(OpDims::k1d, 16, 1, 4, gen).NumParameters(), 2 * 28 + 2 * 36 + 28 + 36);
}

TEST(SearchNetworkTest, ArchitectureParametersAreSeparate) {
  Generator gen(3);
  SearchNetwork net(Config(SearchNetworkConfig::kPoint2d, 3, 100), gen);
  EXPECT_EQ(net.NumArchParameters(), 252);
  const std::vector<Tensor> arch = net.ArchParameters();
  ASSERT_EQ(arch.size(), 4u);
  EXPECT_EQ(arch[0].shape(), (Shape{14, 8}));
  EXPECT_EQ(arch[1].shape(), (Shape{14, 8}));
  EXPECT_EQ(arch[2].shape(), (Shape{14}));
  EXPECT_EQ(arch[3].shape(), (Shape{14}));
  for (const Tensor& a : arch) {
    EXPECT_TRUE(a.requires_grad());
    for (float v : a.ToVector<float>()) EXPECT_EQ(v, 1.0f);
    for (const Tensor& w : net.WeightParameters()) EXPECT_FALSE(w.SameImpl(a));
  }
  EXPECT_EQ(net.NumWeightParameters(), 322708);
  // The architecture tensors are saved with the model (buffers), under the original's names.
  int found = 0;
  for (const auto& [name, t] : net.StateDict()) {
    if (name == "alphas_normal" || name == "alphas_reduce" || name == "betas_normal" ||
        name == "betas_reduce") {
      ++found;
    }
  }
  EXPECT_EQ(found, 4);
  // A state dict carries them into another network (checkpoint round trip).
  Generator gen2(30);
  SearchNetwork other(Config(SearchNetworkConfig::kPoint2d, 3, 100), gen2);
  other.alpha_normal().Fill(0.5);
  other.beta_reduce().Fill(0.25);
  ASSERT_TRUE(net.LoadStateDict(other.StateDict()).ok());
  for (float v : net.alpha_normal().ToVector<float>()) EXPECT_EQ(v, 0.5f);
  for (float v : net.beta_reduce().ToVector<float>()) EXPECT_EQ(v, 0.25f);
  EXPECT_TRUE(net.alpha_normal().requires_grad());
  net.SetArchRequiresGrad(false);
  for (const Tensor& a : net.ArchParameters()) EXPECT_FALSE(a.requires_grad());
}

// --- Mixed op ---

TEST(SearchNetworkTest, ChannelShuffleOfTheMixedOp) {
  // Only skip_connect (identity at stride 1) weighted: the output is the shuffled input, so output
  // position j*4+g holds input channel g*4+j (output 1 = input 4, output 4 = input 1).
  Generator gen(4);
  MixedOp op(OpDims::k2d, 16, 1, 4, gen);
  op.eval();
  const Tensor x = Randn({2, 16, 5, 5}, 7);
  std::vector<float> w(8, 0.0f);
  w[static_cast<int>(Primitive::kSkipConnect)] = 1.0f;
  const Tensor y = op.Forward(x, Tensor::FromVector(w, {8}));
  ASSERT_EQ(y.shape(), x.shape());
  for (int g = 0; g < 4; ++g) {
    for (int j = 0; j < 4; ++j) {
      const std::vector<float> out = y.Narrow(1, j * 4 + g, 1).Contiguous().ToVector<float>();
      const std::vector<float> in = x.Narrow(1, g * 4 + j, 1).Contiguous().ToVector<float>();
      EXPECT_EQ(out, in) << "output " << j * 4 + g << " input " << g * 4 + j;
    }
  }
  const std::vector<float> out1 = y.Narrow(1, 1, 1).Contiguous().ToVector<float>();
  EXPECT_EQ(out1, x.Narrow(1, 4, 1).Contiguous().ToVector<float>());
  const std::vector<float> out4 = y.Narrow(1, 4, 1).Contiguous().ToVector<float>();
  EXPECT_EQ(out4, x.Narrow(1, 1, 1).Contiguous().ToVector<float>());
}

TEST(SearchNetworkTest, StrideTwoEdgeBypassIsMaxPooled) {
  // Zero weights on every op: the op part is 0, the bypass is the 2x2/2 max pool of channels 2..7
  // (1-D: ceil mode, so length 5 -> 3 and the last window holds one sample).
  Generator gen(5);
  MixedOp op(OpDims::k1d, 8, 2, 4, gen);
  const Tensor x = Tensor::FromVector<float>(
      {1, 5, 2, 0, 7,  3, 1, 4, 1, 5,  9, 2, 6, 5, 3,  5, 8, 9, 7, 9,
       3, 2, 3, 8, 4,  6, 2, 6, 4, 3,  3, 8, 3, 2, 7,  9, 5, 0, 2, 8},
      {1, 8, 5});
  const Tensor y = op.Forward(x, Tensor::Zeros({8}));
  ASSERT_EQ(y.shape(), (Shape{1, 8, 3}));
  // Before the shuffle: channels 0-1 zero, channel 2 (input 2) = max pairs of {9,2,6,5,3} = {9,6,3}.
  // Shuffle with 4 groups of 2: output j*4+g = input g*2+j; input 2 (g=1, j=0) -> output 1.
  EXPECT_EQ(y.Narrow(1, 1, 1).Contiguous().ToVector<float>(), (std::vector<float>{9, 6, 3}));
  EXPECT_EQ(y.Narrow(1, 0, 1).Contiguous().ToVector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(y.Narrow(1, 4, 1).Contiguous().ToVector<float>(), (std::vector<float>{0, 0, 0}));
  // Input 7 (g=3, j=1) -> output 7: {9,5,0,2,8} -> {9, 2, 8}.
  EXPECT_EQ(y.Narrow(1, 7, 1).Contiguous().ToVector<float>(), (std::vector<float>{9, 2, 8}));
}

TEST(SearchNetworkTest, SearchBnSettings) {
  Generator gen(6);
  SearchNetwork net(Config(SearchNetworkConfig::kPoint2d, 3, 10), gen);
  int affine = 0, plain = 0;
  for (auto& [name, m] : net.NamedModules()) {
    auto* bn = dynamic_cast<nn::BatchNormBase*>(m);
    if (bn == nullptr) continue;
    if (bn->options().affine) {
      ++affine;
      EXPECT_EQ(name, "stem.1");
    } else {
      ++plain;
      EXPECT_DOUBLE_EQ(*bn->options().momentum, 0.1);
      EXPECT_DOUBLE_EQ(bn->options().eps, 1e-5);
    }
  }
  EXPECT_EQ(affine, 1);
  // Per cell: 2 preprocessing BNs; per edge: 2 pool BNs + sep 2 x 2 + dil 2 = 8, and 1 more on the
  // 8 stride-2 skip edges of the 2 reduction cells (FactorizedReduce).
  EXPECT_EQ(plain, 8 * 2 + 8 * 14 * 8 + 2 * 8);
}

// --- Weights and genotype at initialisation ---

TEST(SearchNetworkTest, InitialMixingWeights) {
  Generator gen(7);
  SearchNetwork net(Config(SearchNetworkConfig::kPoint2d, 3, 10), gen);
  for (bool reduce : {false, true}) {
    for (float v : net.OpWeights(reduce).ToVector<float>()) EXPECT_FLOAT_EQ(v, 0.125f);
    const std::vector<float> e = net.EdgeWeights(reduce).ToVector<float>();
    const int offsets[] = {0, 2, 5, 9, 14};
    for (int node = 0; node < 4; ++node) {
      for (int j = offsets[node]; j < offsets[node + 1]; ++j) EXPECT_FLOAT_EQ(e[j], 1.0f / (node + 2));
    }
  }
  // Segment softmax on a hand-made beta: node 0 gets softmax(0, ln 3) = (1/4, 3/4).
  std::vector<float> b(14, 0.0f);
  b[1] = std::log(3.0f);
  const std::vector<float> s = SegmentSoftmax(Tensor::FromVector(b, {14})).ToVector<float>();
  EXPECT_FLOAT_EQ(s[0], 0.25f);
  EXPECT_FLOAT_EQ(s[1], 0.75f);
  EXPECT_FLOAT_EQ(s[2], 1.0f / 3);
}

TEST(SearchNetworkTest, UntouchedNetworkDiscretisesToMaxPools) {
  Generator gen(8);
  SearchNetwork net(Config(SearchNetworkConfig::kPoint2d, 3, 10), gen);
  const Genotype g = net.genotype();
  ASSERT_EQ(g.normal.size(), 8u);
  ASSERT_EQ(g.reduce.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    const GenotypeEdge want{Primitive::kMaxPool3x3, i % 2};
    EXPECT_EQ(g.normal[i], want) << i;
    EXPECT_EQ(g.reduce[i], want) << i;
  }
  EXPECT_EQ(g.normal_concat, (std::vector<int>{2, 3, 4, 5}));
}

// --- Shapes ---

TEST(SearchNetworkTest, PointShapes) {
  Generator gen(9);
  SearchNetworkConfig cfg = Config(SearchNetworkConfig::kPoint2d, 1, 18);  // NinaPro 16 x 52
  SearchNetwork net(cfg, gen);
  std::vector<Shape> shapes;
  const Tensor f = net.Features(Randn({2, 1, 16, 52}, 1), &shapes);
  ASSERT_EQ(shapes.size(), 8u);
  EXPECT_EQ(shapes[0], (Shape{2, 64, 16, 52}));
  EXPECT_EQ(shapes[2], (Shape{2, 128, 8, 26}));
  EXPECT_EQ(shapes[5], (Shape{2, 256, 4, 13}));
  EXPECT_EQ(shapes[7], (Shape{2, 256, 4, 13}));
  EXPECT_EQ(net.Forward(Randn({2, 1, 16, 52}, 2)).shape(), (Shape{2, 18}));
}

TEST(SearchNetworkTest, OneDimensionalShapes) {
  Generator gen(10);
  SearchNetwork net(Config(SearchNetworkConfig::k1d, 1, 24), gen);  // Satellite: 46 -> 23 -> 12
  std::vector<Shape> shapes;
  net.Features(Randn({2, 1, 46}, 3), &shapes);
  EXPECT_EQ(shapes[1], (Shape{2, 64, 46}));
  EXPECT_EQ(shapes[2], (Shape{2, 128, 23}));
  EXPECT_EQ(shapes[5], (Shape{2, 256, 12}));
  EXPECT_EQ(net.Forward(Randn({2, 1, 46}, 4)).shape(), (Shape{2, 24}));
}

TEST(SearchNetworkTest, DenseShapes) {
  Generator gen(11);
  SearchNetworkConfig cfg = Config(SearchNetworkConfig::kDense, 3, 1);
  cfg.layers = 3;
  SearchNetwork net(cfg, gen);
  std::vector<Shape> shapes;
  net.Features(Randn({2, 3, 9, 7}, 5), &shapes);
  for (const Shape& s : shapes) EXPECT_EQ(s, (Shape{2, 64, 9, 7}));
  EXPECT_EQ(net.Forward(Randn({2, 3, 9, 7}, 6)).shape(), (Shape{2, 1, 9, 7}));
}

// --- Gradients ---

TEST(SearchNetworkTest, GradientsReachArchitectureAndWeights) {
  Generator gen(12);
  SearchNetworkConfig cfg = Config(SearchNetworkConfig::kPoint2d, 3, 5);
  cfg.C = 8;
  cfg.layers = 3;  // reductions at cells 1 and 2
  SearchNetwork net(cfg, gen);
  Sum(Pow(net.Forward(Randn({3, 3, 8, 8}, 8)), 2.0)).Backward();
  for (const Tensor& a : net.ArchParameters()) {
    ASSERT_TRUE(a.grad().defined()) << a.Describe();
    double norm = 0;
    for (float v : a.grad().ToVector<float>()) norm += std::abs(v);
    EXPECT_GT(norm, 0.0) << a.Describe();
  }
  int with_grad = 0;
  for (const Tensor& w : net.WeightParameters()) with_grad += w.grad().defined() ? 1 : 0;
  EXPECT_EQ(with_grad, static_cast<int>(net.WeightParameters().size()));
  // Frozen architecture: no gradient.
  net.ZeroArchGrad();
  net.SetArchRequiresGrad(false);
  Sum(net.Forward(Randn({2, 3, 8, 8}, 9))).Backward();
  for (const Tensor& a : net.ArchParameters()) EXPECT_FALSE(a.grad().defined());
}

TEST(SearchNetworkTest, DenseReduceTensorsGetNoGradient) {
  Generator gen(13);
  SearchNetworkConfig cfg = Config(SearchNetworkConfig::kDense, 3, 1);
  cfg.C = 8;
  cfg.layers = 2;
  SearchNetwork net(cfg, gen);
  Sum(net.Forward(Randn({2, 3, 6, 6}, 10))).Backward();
  EXPECT_TRUE(net.alpha_normal().grad().defined());
  EXPECT_TRUE(net.beta_normal().grad().defined());
  EXPECT_FALSE(net.alpha_reduce().grad().defined());
  EXPECT_FALSE(net.beta_reduce().grad().defined());
}

}  // namespace
}  // namespace nb360::nas::darts
