// tests/nas/darts/eval_network_test.cc: the DARTS retrain ops and evaluation network against spec
// nas_darts_densenas.md §A.1-§A.3, §A.8 and the §D checks: per-op parameter counts (2-D and 1-D),
// whole-network totals (DARTS_V2 on CIFAR-10 with and without the auxiliary head; the §A.7 point,
// 1-D and dense genotypes), spatial sizes per task, output shapes, pooling and FactorizedReduce
// values, drop path, BN settings, names and gradients. The genotypes are written here from the
// spec's tables, and recorded_genotypes is checked to hold the same ones.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "gtest/gtest.h"
#include "nas/darts/eval_network.h"
#include "nas/darts/genotype_check.h"
#include "nas/darts/ops.h"
#include "nas/darts/recorded_genotypes.h"
#include "ops/conv.h"
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

Genotype Parse(const char* normal, const char* reduce) {
  absl::StatusOr<Genotype> g = ParseGenotypeShorthand(normal, reduce);
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *g : Genotype{};
}

Genotype DartsV2() {
  return Parse("sep3<0, sep3<1 | sep3<0, sep3<1 | sep3<1, skip<0 | skip<0, dil3<2",
               "mp<0, mp<1 | skip<2, mp<1 | mp<0, skip<2 | skip<2, mp<1");
}

constexpr const char* kDenseReduce = "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1";

int64_t OpParams(Primitive p, OpDims dims, int64_t c, int64_t stride) {
  Generator gen(3);
  return MakeOp(p, OpConfig{dims, RetrainOpBn()}, c, stride, gen)->NumParameters();
}

// --- Ops ---

TEST(DartsOpsTest, ParameterCounts2d) {
  // §D: sep k 2(k^2 C + C^2) + 4C, dil k k^2 C + C^2 + 2C, stride-2 skip C^2 + 2C.
  EXPECT_EQ(OpParams(Primitive::kSepConv3x3, OpDims::k2d, 36, 1), 3384);
  EXPECT_EQ(OpParams(Primitive::kSepConv5x5, OpDims::k2d, 36, 1), 4536);
  EXPECT_EQ(OpParams(Primitive::kDilConv3x3, OpDims::k2d, 36, 1), 1692);
  EXPECT_EQ(OpParams(Primitive::kDilConv5x5, OpDims::k2d, 36, 2), 2268);
  EXPECT_EQ(OpParams(Primitive::kSkipConnect, OpDims::k2d, 72, 2), 5328);
  for (Primitive p : {Primitive::kNone, Primitive::kMaxPool3x3, Primitive::kAvgPool3x3,
                      Primitive::kSkipConnect}) {
    EXPECT_EQ(OpParams(p, OpDims::k2d, 36, 1), 0) << static_cast<int>(p);
  }
  // Preprocessing: Cin * C + 2C.
  Generator gen(1);
  EXPECT_EQ(ReLUConvBN(OpConfig{OpDims::k2d, RetrainOpBn()}, 108, 36, 1, 1, 0, gen).NumParameters(),
            108 * 36 + 72);
}

TEST(DartsOpsTest, ParameterCounts1d) {
  // k instead of k^2: sep3 2(3*36 + 1296) + 144 = 2952, sep5 3096, dil3 1476, dil5 1548.
  EXPECT_EQ(OpParams(Primitive::kSepConv3x3, OpDims::k1d, 36, 1), 2952);
  EXPECT_EQ(OpParams(Primitive::kSepConv5x5, OpDims::k1d, 36, 2), 3096);
  EXPECT_EQ(OpParams(Primitive::kDilConv3x3, OpDims::k1d, 36, 1), 1476);
  EXPECT_EQ(OpParams(Primitive::kDilConv5x5, OpDims::k1d, 36, 1), 1548);
  EXPECT_EQ(OpParams(Primitive::kSkipConnect, OpDims::k1d, 72, 2), 5328);
  EXPECT_EQ(OpParams(Primitive::kAvgPool3x3, OpDims::k1d, 36, 2), 0);
}

TEST(DartsOpsTest, OutputShapesEveryOpBothStrides) {
  for (int p = 0; p < kNumPrimitives; ++p) {
    for (int64_t stride : {1, 2}) {
      SCOPED_TRACE(testing::Message() << "op " << p << " stride " << stride);
      Generator gen(5);
      auto op2 = MakeOp(static_cast<Primitive>(p), OpConfig{OpDims::k2d, RetrainOpBn()}, 8, stride, gen);
      // Odd and even sizes: (2, 8, 7, 10) -> (2, 8, 4, 5) at stride 2.
      EXPECT_EQ(op2->Forward(Randn({2, 8, 7, 10}, 1)).shape(),
                (Shape{2, 8, stride == 1 ? 7 : 4, stride == 1 ? 10 : 5}));
      auto op1 = MakeOp(static_cast<Primitive>(p), OpConfig{OpDims::k1d, RetrainOpBn()}, 8, stride, gen);
      EXPECT_EQ(op1->Forward(Randn({2, 8, 23}, 2)).shape(), (Shape{2, 8, stride == 1 ? 23 : 12}));
    }
  }
}

TEST(DartsOpsTest, PoolsPadAsSpecified) {
  // 3x3 plane 1..9. Avg pool excludes padding: corner (0,0) = mean(1,2,4,5) = 3 (with padding it
  // would be 12/9). Max pool pads with -inf: on the negated plane the corner is max(-1,-2,-4,-5) = -1.
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Pool3 avg(OpDims::k2d, /*max=*/false, 1);
  std::vector<float> a = avg.Forward(x).ToVector<float>();
  EXPECT_FLOAT_EQ(a[0], 3.0f);
  EXPECT_FLOAT_EQ(a[4], 5.0f);
  EXPECT_FLOAT_EQ(a[8], 7.0f);
  Pool3 max(OpDims::k2d, /*max=*/true, 2);
  std::vector<float> m = max.Forward(Mul(x, -1.0)).ToVector<float>();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_FLOAT_EQ(m[0], -1.0f);
  EXPECT_FLOAT_EQ(m[3], -5.0f);
  // 1-D: (1, 1, 4) = 1, 2, 3, 4 -> avg 1.5, 2, 3, 3.5.
  Pool3 avg1(OpDims::k1d, /*max=*/false, 1);
  std::vector<float> a1 = avg1.Forward(Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 4})).ToVector<float>();
  EXPECT_FLOAT_EQ(a1[0], 1.5f);
  EXPECT_FLOAT_EQ(a1[3], 3.5f);
  // none at stride 2: zeros of the subsampled shape.
  Zero zero(2);
  Tensor z = zero.Forward(Randn({2, 3, 5, 6}, 4));
  EXPECT_EQ(z.shape(), (Shape{2, 3, 3, 3}));
  EXPECT_EQ(Sum(Abs(z)).item(), 0.0);
}

// FactorizedReduce in eval mode (running stats 0/1, so BN divides by sqrt(1 + eps)): the first half
// is conv_1 on relu(x) at stride 2, the second conv_2 on relu(x)[:, :, 1:, 1:]; at an odd size the
// second half's last row/column sees the padding (0).
TEST(DartsOpsTest, FactorizedReduceShiftsTheSecondHalf) {
  for (int64_t size : {6, 5}) {
    SCOPED_TRACE(size);
    Generator gen(7);
    FactorizedReduce fr(OpConfig{OpDims::k2d, RetrainOpBn()}, 3, 4, gen);
    fr.eval();
    const Tensor x = Randn({1, 3, size, size}, 11);
    const Tensor y = fr.Forward(x);
    const int64_t out = (size + 1) / 2;
    ASSERT_EQ(y.shape(), (Shape{1, 4, out, out}));
    const double scale = 1.0 / std::sqrt(1.0 + 1e-3);
    Conv2dParams s2;
    s2.stride_h = s2.stride_w = 2;
    const Tensor r = Relu(x);
    const Tensor w1 = fr.Child("conv_1")->Parameter("weight");
    const Tensor w2 = fr.Child("conv_2")->Parameter("weight");
    const std::vector<float> ref1 = Conv2d(r, w1, Tensor(), s2).ToVector<float>();
    const Tensor shifted = r.Narrow(2, 1, size - 1).Narrow(3, 1, size - 1);
    const Tensor ref2t = Conv2d(shifted, w2, Tensor(), s2);  // (1, 2, size/2, size/2)
    const int64_t r2 = ref2t.shape()[2];
    const std::vector<float> ref2 = ref2t.ToVector<float>();
    const std::vector<float> got = y.ToVector<float>();
    for (int64_t c = 0; c < 2; ++c) {
      for (int64_t i = 0; i < out; ++i) {
        for (int64_t j = 0; j < out; ++j) {
          EXPECT_NEAR(got[(c * out + i) * out + j], ref1[(c * out + i) * out + j] * scale, 1e-5);
          const float want2 = (i < r2 && j < r2) ? ref2[(c * r2 + i) * r2 + j] * scale : 0.0f;
          EXPECT_NEAR(got[((c + 2) * out + i) * out + j], want2, 1e-5) << c << " " << i << " " << j;
        }
      }
    }
  }
}

TEST(DartsOpsTest, FactorizedReduce1dHasNoShift) {
  Generator gen(7);
  FactorizedReduce fr(OpConfig{OpDims::k1d, RetrainOpBn()}, 2, 4, gen);
  fr.eval();
  // Copy conv_1's weight into conv_2: without a shift both halves must then be equal.
  fr.Child("conv_2")->Parameter("weight").CopyFrom(fr.Child("conv_1")->Parameter("weight"));
  const Tensor y = fr.Forward(Randn({1, 2, 9}, 3));
  ASSERT_EQ(y.shape(), (Shape{1, 4, 5}));
  const std::vector<float> v = y.ToVector<float>();
  for (int i = 0; i < 10; ++i) EXPECT_FLOAT_EQ(v[i], v[i + 10]) << i;
}

TEST(DartsOpsTest, DropPathZeroesWholeSamples) {
  Generator gen(9);
  const Tensor x = Tensor::Ones({200, 3, 2, 2});
  EXPECT_TRUE(DropPath(x, 0.0, gen).SameImpl(x));
  const double p = 0.5;
  const std::vector<float> v = DropPath(x, p, gen).ToVector<float>();
  int dropped = 0;
  for (int n = 0; n < 200; ++n) {
    const float first = v[n * 12];
    EXPECT_TRUE(first == 0.0f || first == 2.0f) << first;
    for (int k = 1; k < 12; ++k) ASSERT_EQ(v[n * 12 + k], first) << "sample " << n;
    dropped += first == 0.0f;
  }
  EXPECT_GT(dropped, 70);
  EXPECT_LT(dropped, 130);
  // Near 1 every sample goes; 1-D mask (N, 1, 1).
  const Tensor y = DropPath(Tensor::Ones({50, 4, 7}), 0.9999, gen);
  EXPECT_EQ(Sum(y).item(), 0.0);
}

// --- Network ---

int64_t Params(const Genotype& g, EvalNetworkConfig::Kind kind, int in, int classes, bool aux = false) {
  EvalNetworkConfig config;
  config.in_channels = in;
  config.num_classes = classes;
  config.kind = kind;
  config.auxiliary = aux;
  Generator gen(1);
  auto net = MakeEvalNetwork(g, config, gen);
  EXPECT_TRUE(net.ok()) << net.status();
  return net.ok() ? (*net)->NumParameters() : -1;
}

TEST(EvalNetworkTest, DartsV2OnCifar10MatchesTheAnchor) {
  EvalNetworkConfig config;
  config.in_channels = 3;
  config.num_classes = 10;
  config.auxiliary = true;
  Generator gen(1);
  auto net = MakeEvalNetwork(DartsV2(), config, gen);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ((*net)->NumAuxParameters(), 476426);
  EXPECT_EQ((*net)->NumParameters() - (*net)->NumAuxParameters(), 3349342);
  EXPECT_EQ(Params(DartsV2(), EvalNetworkConfig::kPoint2d, 3, 10), 3349342);
}

struct Recorded {
  const char* name;  // recorded_genotypes.h name
  EvalNetworkConfig::Kind kind;
  int in, classes;
  const char* normal;
  const char* reduce;
  int64_t params;
};

TEST(EvalNetworkTest, RecordedGenotypeTotalsMatchSpec) {
  using K = EvalNetworkConfig;
  const Recorded kCases[] = {
      {"cifar100_tenas", K::kPoint2d, 3, 100,
       "sep5<0, dil5<1 | sep5<0, dil5<2 | sep3<0, dil5<1 | sep5<1, dil3<3",
       "dil5<0, sep3<1 | sep5<0, mp<1 | sep3<0, mp<2 | dil3<1, sep5<3", 4099168},
      {"cifar100_s2", K::kPoint2d, 3, 100,
       "sep5<1, sep3<0 | sep3<2, dil5<1 | sep5<3, sep5<2 | sep5<2, sep5<3",
       "sep5<1, sep3<0 | dil5<2, dil5<1 | dil3<2, sep5<3 | sep3<4, dil5<2", 4750840},
      {"ninapro_tenas", K::kPoint2d, 1, 18,
       "mp<0, sep5<1 | skip<1, sep3<2 | dil5<0, sep3<1 | ap<0, dil5<4",
       "ap<0, skip<1 | skip<0, dil5<1 | dil3<1, sep3<3 | dil5<1, sep3<3", 3166686},
      {"ninapro_s2", K::kPoint2d, 1, 18,
       "sep5<1, dil5<0 | dil5<2, sep3<1 | sep5<2, mp<3 | dil5<4, sep5<1",
       "mp<0, sep5<1 | mp<2, ap<0 | mp<0, sep3<2 | sep5<3, mp<4", 3753342},
      {"ecg_s2", K::k1d, 1, 4, "dil5<1, dil5<0 | dil5<2, dil3<0 | dil5<3, dil5<2 | dil5<4, sep3<0",
       "sep5<1, sep5<0 | dil5<2, sep5<0 | dil5<2, dil5<3 | dil5<4, dil5<3", 3221680},
      {"satellite_s2", K::k1d, 1, 24, "dil5<0, dil5<1 | dil5<0, dil5<2 | dil5<0, ap<3 | sep5<2, dil5<0",
       "dil3<0, mp<1 | dil5<2, ap<0 | dil5<3, ap<1 | sep5<3, dil5<2", 2930820},
      {"deepsea_s2", K::k1d, 4, 36, "ap<0, sep3<1 | dil5<0, sep3<2 | ap<0, sep3<3 | dil5<0, dil3<3",
       "skip<0, ap<1 | skip<0, sep5<1 | skip<1, mp<0 | sep3<0, ap<1", 3115188},
      {"pde_s2", K::kDense, 3, 1, "dil3<1, dil3<0 | dil3<2, dil3<0 | dil5<3, sep5<1 | dil5<4, mp<1",
       kDenseReduce, 526429},
      {"protein_s2", K::kDense, 57, 1, "dil3<0, skip<1 | sep3<1, skip<0 | sep5<2, dil5<0 | skip<0, dil3<3",
       kDenseReduce, 533557},
      {"cosmic", K::kDense, 1, 1, "mp<0, dil5<1 | dil3<0, skip<2 | sep5<2, sep5<0 | sep3<1, sep5<0",
       kDenseReduce, 626725},
  };
  for (const Recorded& r : kCases) {
    SCOPED_TRACE(r.name);
    const Genotype g = Parse(r.normal, r.reduce);
    EXPECT_EQ(Params(g, r.kind, r.in, r.classes), r.params);
    // The table the retrain stage reads holds the same genotype.
    absl::StatusOr<Genotype> recorded = FindRecordedGenotype(r.name);
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    EXPECT_EQ(*recorded, g);
  }
  absl::StatusOr<Genotype> v2 = FindRecordedGenotype("darts_v2");
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, DartsV2());
}

// Cell output sizes (H, W) or (L) after each cell.
std::vector<Shape> CellShapes(EvalNetworkConfig config, const Shape& input) {
  Generator gen(2);
  auto net = MakeEvalNetwork(DartsV2(), config, gen);
  EXPECT_TRUE(net.ok()) << net.status();
  std::vector<Shape> shapes;
  NoGradGuard no_grad;
  (*net)->eval();
  (*net)->Features(Randn(input, 5), &shapes);
  for (Shape& s : shapes) s.erase(s.begin(), s.begin() + 2);
  return shapes;
}

TEST(EvalNetworkTest, ReductionsAtLayersThirdsWithSpecSizes) {
  EvalNetworkConfig config;
  config.C = 4;
  config.layers = 20;
  config.in_channels = 3;
  // CIFAR 32 -> 16 (cells 6..12) -> 8 (cells 13..19).
  std::vector<Shape> s = CellShapes(config, {1, 3, 32, 32});
  ASSERT_EQ(s.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const int64_t want = i < 6 ? 32 : i < 13 ? 16 : 8;
    EXPECT_EQ(s[i], (Shape{want, want})) << "cell " << i;
  }
  // Spherical 60 -> 30 -> 15; NinaPro 16x52 -> 8x26 -> 4x13 (layers 5: reductions at 1 and 3).
  config.layers = 5;
  s = CellShapes(config, {1, 3, 60, 60});
  EXPECT_EQ(s[1], (Shape{30, 30}));
  EXPECT_EQ(s[4], (Shape{15, 15}));
  config.in_channels = 1;
  s = CellShapes(config, {1, 1, 16, 52});
  EXPECT_EQ(s[0], (Shape{16, 52}));
  EXPECT_EQ(s[1], (Shape{8, 26}));
  EXPECT_EQ(s[2], (Shape{8, 26}));
  EXPECT_EQ(s[3], (Shape{4, 13}));
  EXPECT_EQ(s[4], (Shape{4, 13}));
  // 1-D: ECG 1000 -> 500 -> 250; Satellite 46 -> 23 -> 12.
  config.kind = EvalNetworkConfig::k1d;
  s = CellShapes(config, {1, 1, 1000});
  EXPECT_EQ(s[1], (Shape{500}));
  EXPECT_EQ(s[4], (Shape{250}));
  s = CellShapes(config, {1, 1, 46});
  EXPECT_EQ(s[0], (Shape{46}));
  EXPECT_EQ(s[1], (Shape{23}));
  EXPECT_EQ(s[4], (Shape{12}));
  // Dense: no reductions.
  config.kind = EvalNetworkConfig::kDense;
  config.in_channels = 3;
  s = CellShapes(config, {1, 3, 9, 11});
  for (const Shape& cell : s) EXPECT_EQ(cell, (Shape{9, 11}));
}

TEST(EvalNetworkTest, OutputShapesPerKind) {
  NoGradGuard no_grad;
  EvalNetworkConfig config;
  config.C = 4;
  config.layers = 4;
  Generator gen(3);
  config.in_channels = 1;
  config.num_classes = 18;
  auto point = MakeEvalNetwork(DartsV2(), config, gen);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ((*point)->Forward(Randn({2, 1, 16, 52}, 1)).shape(), (Shape{2, 18}));
  config.kind = EvalNetworkConfig::k1d;
  config.num_classes = 4;
  auto one_d = MakeEvalNetwork(DartsV2(), config, gen);
  ASSERT_TRUE(one_d.ok()) << one_d.status();
  EXPECT_EQ((*one_d)->Forward(Randn({3, 1, 46}, 2)).shape(), (Shape{3, 4}));
  config.kind = EvalNetworkConfig::kDense;
  config.in_channels = 3;
  config.num_classes = 1;
  auto dense = MakeEvalNetwork(DartsV2(), config, gen);
  ASSERT_TRUE(dense.ok()) << dense.status();
  EXPECT_EQ((*dense)->Forward(Randn({2, 3, 9, 11}, 3)).shape(), (Shape{2, 1, 9, 11}));
  // Classifier input 4 * C_last: 4 * 16 = 64 point/1-D, 4 * 4 = 16 dense (no reductions).
  EXPECT_EQ((*one_d)->Child("classifier")->Parameter("weight").shape(), (Shape{4, 64}));
  EXPECT_EQ((*dense)->Child("classifier")->Parameter("weight").shape(), (Shape{1, 16}));
}

TEST(EvalNetworkTest, NamesAndBatchNormSettings) {
  EvalNetworkConfig config;
  config.C = 4;
  config.layers = 6;  // reductions at 2 and 4
  config.auxiliary = true;
  Generator gen(4);
  auto net = MakeEvalNetwork(DartsV2(), config, gen);
  ASSERT_TRUE(net.ok()) << net.status();
  std::vector<std::string> names;
  for (const auto& [name, t] : (*net)->StateDict()) names.push_back(name);
  for (const char* want :
       {"stem.0.weight", "stem.1.running_mean", "cells.0.preprocess0.op.1.weight",
        "cells.0.preprocess1.op.2.bias", "cells.0._ops.0.op.1.weight", "cells.0._ops.0.op.7.weight",
        "cells.0._ops.7.op.2.weight", "cells.3.preprocess0.conv_1.weight",
        "cells.3.preprocess0.conv_2.weight", "cells.3.preprocess0.bn.weight",
        "auxiliary_head.features.2.weight",
        "auxiliary_head.features.6.running_var", "auxiliary_head.classifier.bias", "classifier.weight"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const auto& [name, m] : (*net)->NamedModules()) {
    auto* bn = dynamic_cast<nn::BatchNormBase*>(m);
    if (bn == nullptr) continue;
    const bool retrain = name.rfind("cells.", 0) == 0;
    EXPECT_TRUE(bn->options().affine) << name;
    EXPECT_DOUBLE_EQ(*bn->options().momentum, retrain ? 0.999 : 0.1) << name;
    EXPECT_DOUBLE_EQ(bn->options().eps, retrain ? 1e-3 : 1e-5) << name;
  }
  // Dense: op BNs default, preprocessing BNs retrain.
  config.kind = EvalNetworkConfig::kDense;
  config.auxiliary = false;
  auto dense = MakeEvalNetwork(DartsV2(), config, gen);
  ASSERT_TRUE(dense.ok()) << dense.status();
  int pre = 0, op = 0;
  for (const auto& [name, m] : (*dense)->NamedModules()) {
    auto* bn = dynamic_cast<nn::BatchNormBase*>(m);
    if (bn == nullptr || name.rfind("cells.", 0) != 0) continue;
    const bool is_pre = name.find("preprocess") != std::string::npos;
    (is_pre ? pre : op)++;
    EXPECT_DOUBLE_EQ(*bn->options().momentum, is_pre ? 0.999 : 0.1) << name;
  }
  EXPECT_EQ(pre, 12);
  EXPECT_GT(op, 0);
}

TEST(EvalNetworkTest, DropPathOnlyInTrainingAndReproducible) {
  EvalNetworkConfig config;
  config.C = 4;
  config.layers = 3;
  Generator gen_a(6), gen_b(6);
  auto a = *MakeEvalNetwork(DartsV2(), config, gen_a);
  auto b = *MakeEvalNetwork(DartsV2(), config, gen_b);
  const Tensor x = Randn({4, 3, 8, 8}, 7);
  NoGradGuard no_grad;
  // Eval: the probability changes nothing.
  a->eval();
  const std::vector<float> base = a->Forward(x).ToVector<float>();
  a->set_drop_path_prob(0.5);
  EXPECT_EQ(a->Forward(x).ToVector<float>(), base);
  // Training: same seed, same masks; a different probability gives a different output.
  a->train();
  b->train();
  b->set_drop_path_prob(0.5);
  EXPECT_EQ(a->Forward(x).ToVector<float>(), b->Forward(x).ToVector<float>());
  Generator gen_c(6);
  auto c = *MakeEvalNetwork(DartsV2(), config, gen_c);
  c->train();
  EXPECT_NE(a->Forward(x).ToVector<float>(), c->Forward(x).ToVector<float>());
}

TEST(EvalNetworkTest, CellWithDropPathNearOneZeroesEveryNode) {
  // A cell of convolutions only: with p near 1 every op output is dropped, so every node is 0.
  const Genotype g = Parse("sep3<0, sep3<1 | dil3<0, sep5<2 | dil5<1, sep3<3 | sep3<4, dil3<0",
                           "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1");
  Generator gen(8), drop(9);
  EvalCell cell(g.normal, g.normal_concat, OpConfig{OpDims::k2d, RetrainOpBn()},
                OpConfig{OpDims::k2d, RetrainOpBn()}, 6, 6, 4, false, false, gen);
  cell.train();
  const Tensor s0 = Randn({3, 6, 5, 5}, 1), s1 = Randn({3, 6, 5, 5}, 2);
  EXPECT_EQ(Sum(Abs(cell.Forward(s0, s1, 0.9999, drop))).item(), 0.0);
  EXPECT_GT(Sum(Abs(cell.Forward(s0, s1, 0.0, drop))).item(), 0.0);
  cell.eval();
  EXPECT_GT(Sum(Abs(cell.Forward(s0, s1, 0.9999, drop))).item(), 0.0);
}

void ExpectGradientEverywhere(nn::Module& net, const Tensor& loss) {
  net.ZeroGrad();
  loss.Backward();
  for (const auto& [name, p] : net.NamedParameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(Sum(Abs(p.grad())).item(), 0.0) << name;
  }
}

TEST(EvalNetworkTest, GradientReachesEveryParameter) {
  EvalNetworkConfig config;
  config.C = 4;
  config.layers = 3;  // reductions at 1 and 2; auxiliary on cell 2 (8x8 -> 2x2 -> 1x1)
  config.auxiliary = true;
  config.num_classes = 5;
  Generator gen(10);
  auto net = *MakeEvalNetwork(DartsV2(), config, gen);
  net->train();  // drop path stays 0: a path dropped for the whole batch would get no gradient
  auto out = net->ForwardWithAux(Randn({2, 3, 32, 32}, 1));
  ASSERT_TRUE(out.aux_logits.defined());
  EXPECT_EQ(out.aux_logits.shape(), (Shape{2, 5}));
  // Squares: a plain sum would give the BN scales in front of a linear head a zero gradient.
  const Tensor loss =
      Add(Sum(Mul(out.logits, out.logits)), Mul(Sum(Mul(out.aux_logits, out.aux_logits)), 0.4));
  ExpectGradientEverywhere(*net, loss);
  // In eval there is no auxiliary output.
  net->eval();
  EXPECT_FALSE(net->ForwardWithAux(Randn({1, 3, 32, 32}, 2)).aux_logits.defined());

  config.auxiliary = false;
  config.kind = EvalNetworkConfig::k1d;
  config.in_channels = 1;
  auto one_d = *MakeEvalNetwork(DartsV2(), config, gen);
  const Tensor y1 = one_d->Forward(Randn({2, 1, 23}, 3));
  ExpectGradientEverywhere(*one_d, Sum(Mul(y1, y1)));

  config.kind = EvalNetworkConfig::kDense;
  auto dense = *MakeEvalNetwork(DartsV2(), config, gen);
  const Tensor yd = dense->Forward(Randn({2, 1, 6, 7}, 4));
  ExpectGradientEverywhere(*dense, Sum(Mul(yd, yd)));
}

TEST(EvalNetworkTest, MakeEvalNetworkRejectsBadInput) {
  Generator gen(1);
  EvalNetworkConfig config;
  Genotype bad = DartsV2();
  bad.normal[3].input = 4;  // node 1 can only see states 0..2
  EXPECT_FALSE(MakeEvalNetwork(bad, config, gen).ok());
  bad = DartsV2();
  bad.reduce[0].op = Primitive::kNone;
  EXPECT_FALSE(MakeEvalNetwork(bad, config, gen).ok());
  config.kind = EvalNetworkConfig::k1d;
  config.auxiliary = true;
  EXPECT_FALSE(MakeEvalNetwork(DartsV2(), config, gen).ok());
  config.auxiliary = false;
  config.C = 0;
  EXPECT_FALSE(MakeEvalNetwork(DartsV2(), config, gen).ok());
}

}  // namespace
}  // namespace nb360::nas::darts
