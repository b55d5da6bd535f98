// tests/nas/darts/discretize_test.cc: architecture weights -> genotype (spec nas_darts_densenas.md §A.7,
// §D): the untouched cell, hand-made weights, the tie rules, strongest-first order, `none` excluded.
#include "nas/darts/discretize.h"

#include <cmath>
#include <random>

#include "engine/check.h"
#include "gtest/gtest.h"
#include "nas/darts/genotype_check.h"

namespace nb360::nas::darts {
namespace {

using P = Primitive;

constexpr int kOps = kNumPrimitives;

std::vector<double> Ones(int n) { return std::vector<double>(n, 1.0); }

// alpha (14 x 8) all zeros except the given (edge, op) entries.
struct Alpha {
  std::vector<double> v = std::vector<double>(kNumEdges * kOps, 0.0);
  Alpha& Set(int edge, P op, double value) {
    v[edge * kOps + static_cast<int>(op)] = value;
    return *this;
  }
};

// The row of the edge from `input` into `node`.
int Edge(int node, int input) { return NodeEdgeOffset(node) + input; }

const char* kUntouched = "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1";

TEST(Discretize, NodeOffsetsAreTheSpecsRowOffsets) {
  EXPECT_EQ(NodeEdgeOffset(0), 0);
  EXPECT_EQ(NodeEdgeOffset(1), 2);
  EXPECT_EQ(NodeEdgeOffset(2), 5);
  EXPECT_EQ(NodeEdgeOffset(3), 9);
  EXPECT_EQ(NodeEdgeOffset(4), 14);
}

TEST(Discretize, UntouchedWeightsGiveMaxPoolFromBothInputsEverywhere) {
  // §D: at init op weights are 1/8 and node i's edge weights 1/(i+2).
  const std::vector<double> w = MixedEdgeWeights(Ones(112), Ones(14));
  for (int i = 0; i < kNumNodes; ++i) {
    for (int j = 0; j < i + 2; ++j) {
      for (int o = 0; o < kOps; ++o) EXPECT_DOUBLE_EQ(w[Edge(i, j) * kOps + o], 1.0 / 8 / (i + 2));
    }
  }
  const Genotype g = Discretize(Ones(112), Ones(14), Ones(112), Ones(14));
  EXPECT_EQ(HalfShorthand(g.normal), kUntouched);
  EXPECT_EQ(HalfShorthand(g.reduce), kUntouched);
  EXPECT_EQ(g.normal_concat, (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(g.reduce_concat, (std::vector<int>{2, 3, 4, 5}));
  // Any constant works the same (softmax of a constant row is uniform), e.g. the first EG step's 1/8, 1/14.
  const Genotype h = Discretize(std::vector<double>(112, 0.125), std::vector<double>(14, 1.0 / 14),
                                std::vector<double>(112, 0.125), std::vector<double>(14, 1.0 / 14));
  EXPECT_EQ(HalfShorthand(h.normal), kUntouched);
}

TEST(Discretize, TensorInputsFloat32AndFloat64) {
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    const Genotype g = Discretize(Tensor::Ones({14, 8}, dt), Tensor::Ones({14}, dt), Tensor::Ones({14, 8}, dt),
                                  Tensor::Ones({14}, dt));
    EXPECT_EQ(HalfShorthand(g.normal), kUntouched);
    EXPECT_EQ(HalfShorthand(g.reduce), kUntouched);
  }
  // A hand-made tensor picks the same as the vector form.
  Alpha a;
  a.Set(Edge(0, 1), P::kSepConv5x5, 2.0).Set(Edge(3, 4), P::kDilConv3x3, 3.0);
  std::vector<float> af(a.v.begin(), a.v.end());
  const Genotype t = Discretize(Tensor::FromVector(af, {14, 8}), Tensor::Zeros({14}), Tensor::Ones({14, 8}),
                                Tensor::Ones({14}));
  const Genotype v = Discretize(a.v, std::vector<double>(14, 0.0), Ones(112), Ones(14));
  EXPECT_EQ(t, v);
  EXPECT_EQ(t.normal[0], (GenotypeEdge{P::kSepConv5x5, 1}));
  EXPECT_EQ(t.normal[6], (GenotypeEdge{P::kDilConv3x3, 4}));
}

TEST(Discretize, MixedWeightsAreSoftmaxTimesSegmentSoftmax) {
  // Edge (node 0, input 0): alpha sep3 = ln 3, others 0 -> softmax 3/10 for sep3, 1/10 for the rest.
  // beta node 0 = (ln 3, 0) -> segment softmax (3/4, 1/4). So W = 0.225 for sep3, 0.075 for the rest.
  Alpha a;
  a.Set(Edge(0, 0), P::kSepConv3x3, std::log(3.0));
  std::vector<double> beta(14, 0.0);
  beta[Edge(0, 0)] = std::log(3.0);
  // beta node 3 (rows 9..13) = (0, 0, 0, 0, ln 4) -> (1/8, 1/8, 1/8, 1/8, 1/2).
  beta[Edge(3, 4)] = std::log(4.0);
  const std::vector<double> w = MixedEdgeWeights(a.v, beta);
  EXPECT_NEAR(w[Edge(0, 0) * kOps + 4], 0.225, 1e-15);
  EXPECT_NEAR(w[Edge(0, 0) * kOps + 0], 0.075, 1e-15);
  EXPECT_NEAR(w[Edge(0, 1) * kOps + 3], 0.25 / 8, 1e-15);
  EXPECT_NEAR(w[Edge(3, 4) * kOps + 7], 0.5 / 8, 1e-15);
  EXPECT_NEAR(w[Edge(3, 0) * kOps + 7], 0.125 / 8, 1e-15);
  // Segments are independent: node 1's edges (untouched beta) are 1/3 each.
  EXPECT_NEAR(w[Edge(1, 2) * kOps + 1], 1.0 / 24, 1e-15);
}

TEST(Discretize, HandMadeWeightsPickTheirOpsAndEdges) {
  Alpha a;
  std::vector<double> beta(14, 0.0);
  // Node 0: input 1 via sep_conv_5x5 is strongest (alpha 2), input 0 via dil_conv_3x3 (alpha 1).
  a.Set(Edge(0, 1), P::kSepConv5x5, 2.0).Set(Edge(0, 0), P::kDilConv3x3, 1.0);
  // Node 1: input 2 via skip (alpha 3) then input 0 via avg_pool (alpha 2.5); input 1 stays uniform.
  a.Set(Edge(1, 2), P::kSkipConnect, 3.0).Set(Edge(1, 0), P::kAvgPool3x3, 2.5);
  // Node 2: equal alphas (dil_conv_5x5 = 1 on inputs 0..3), beta decides: input 3, then input 1.
  for (int j = 0; j < 4; ++j) a.Set(Edge(2, j), P::kDilConv5x5, 1.0);
  beta[Edge(2, 3)] = 2.0;
  beta[Edge(2, 1)] = 1.0;
  // Node 3: input 4 (sep_conv_3x3, alpha 4) strongest, then input 0 (max_pool, alpha 1): emitted 4 first.
  a.Set(Edge(3, 4), P::kSepConv3x3, 4.0).Set(Edge(3, 0), P::kMaxPool3x3, 1.0);
  const std::vector<GenotypeEdge> half = DiscretizeHalf(a.v, beta);
  EXPECT_EQ(HalfShorthand(half), "sep5<1, dil3<0 | skip<2, ap<0 | dil5<3, dil5<1 | sep3<4, mp<0");
  // The reduce half is discretised from its own weights.
  const Genotype g = Discretize(Ones(112), Ones(14), a.v, beta);
  EXPECT_EQ(HalfShorthand(g.normal), kUntouched);
  EXPECT_EQ(g.reduce, half);
}

TEST(Discretize, StrongestFirstNotInputOrder) {
  Alpha a;
  // Node 3: input 3 (alpha 2) beats input 1 (alpha 1); both beat the rest.
  a.Set(Edge(3, 3), P::kDilConv5x5, 2.0).Set(Edge(3, 1), P::kSepConv5x5, 1.0);
  // Node 0: input 1 beats input 0.
  a.Set(Edge(0, 1), P::kSkipConnect, 0.5);
  const std::vector<GenotypeEdge> half = DiscretizeHalf(a.v, std::vector<double>(14, 0.0));
  EXPECT_EQ(half[0], (GenotypeEdge{P::kSkipConnect, 1}));
  EXPECT_EQ(half[1], (GenotypeEdge{P::kMaxPool3x3, 0}));
  EXPECT_EQ(half[6], (GenotypeEdge{P::kDilConv5x5, 3}));
  EXPECT_EQ(half[7], (GenotypeEdge{P::kSepConv5x5, 1}));
}

TEST(Discretize, TiesGoToTheLowerInputAndTheLowerOp) {
  Alpha a;
  // Node 2: inputs 1 and 3 tie at the top (alpha 2 on different ops); input 1 comes first.
  a.Set(Edge(2, 3), P::kSepConv3x3, 2.0).Set(Edge(2, 1), P::kDilConv5x5, 2.0);
  // Node 3: inputs 2, 3, 4 tie (alpha 1); the two lowest, 2 then 3, are kept.
  a.Set(Edge(3, 4), P::kSepConv3x3, 1.0).Set(Edge(3, 3), P::kSepConv3x3, 1.0).Set(Edge(3, 2), P::kSepConv3x3, 1.0);
  // Node 1, input 2: sep_conv_5x5 and dil_conv_3x3 tie at the top -> sep_conv_5x5 (index 5 < 6);
  // input 0: avg_pool and skip tie -> avg_pool. Input 1 is uniform (weaker).
  a.Set(Edge(1, 2), P::kDilConv3x3, 1.5).Set(Edge(1, 2), P::kSepConv5x5, 1.5);
  a.Set(Edge(1, 0), P::kSkipConnect, 1.0).Set(Edge(1, 0), P::kAvgPool3x3, 1.0);
  const std::vector<GenotypeEdge> half = DiscretizeHalf(a.v, std::vector<double>(14, 0.0));
  EXPECT_EQ(HalfShorthand(half), "mp<0, mp<1 | sep5<2, ap<0 | dil5<1, sep3<3 | sep3<2, sep3<3");
}

TEST(Discretize, NoneIsNeverChosenNorCountedInStrength) {
  Alpha a;
  // Node 0, input 0: none is by far the largest; the op must be the best other one (dil_conv_5x5). Its
  // non-none weights are tiny, so the uniform input 1 is the stronger edge and comes first.
  a.Set(Edge(0, 0), P::kNone, 10.0).Set(Edge(0, 0), P::kDilConv5x5, 0.5);
  // Node 1: input 0 has a huge none (its non-none weights are tiny); inputs 1 and 2 are uniform.
  // Strength ignores none, so inputs 1 and 2 are kept (tie: 1 first), each with max_pool (all ops tie).
  a.Set(Edge(1, 0), P::kNone, 5.0);
  // Node 2: every edge's none is largest; non-none ops uniform on each, so the lowest inputs win.
  for (int j = 0; j < 4; ++j) a.Set(Edge(2, j), P::kNone, 3.0);
  // Node 3, input 2: none largest, then avg_pool; inputs 0, 1, 3, 4: a larger none (weaker non-none ops).
  // Counting none in the strength would keep inputs 0 and 1 instead.
  a.Set(Edge(3, 2), P::kNone, 8.0).Set(Edge(3, 2), P::kAvgPool3x3, 7.0);
  for (int j : {0, 1, 3, 4}) a.Set(Edge(3, j), P::kNone, 9.0);
  const std::vector<GenotypeEdge> half = DiscretizeHalf(a.v, std::vector<double>(14, 0.0));
  EXPECT_EQ(HalfShorthand(half), "mp<1, dil5<0 | mp<1, mp<2 | mp<0, mp<1 | ap<2, mp<0");
  for (const GenotypeEdge& e : half) EXPECT_NE(e.op, P::kNone);
}

TEST(Discretize, RandomWeightsAlwaysGiveAValidGenotypeWithDistinctInputs) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> an(112), bn(14), ar(112), br(14);
    for (auto* v : {&an, &bn, &ar, &br}) {
      for (double& x : *v) x = u(rng);
    }
    const Genotype g = Discretize(an, bn, ar, br);
    ASSERT_TRUE(ValidateGenotype(g).ok()) << ValidateGenotype(g);
    for (int i = 0; i < kNumNodes; ++i) {
      EXPECT_NE(g.normal[2 * i].input, g.normal[2 * i + 1].input);
      EXPECT_NE(g.reduce[2 * i].input, g.reduce[2 * i + 1].input);
    }
  }
}

TEST(Discretize, BadShapesAndValuesAreProgrammerErrors) {
  EXPECT_THROW(Discretize(Ones(111), Ones(14), Ones(112), Ones(14)), nb360::Error);
  EXPECT_THROW(Discretize(Ones(112), Ones(14), Ones(112), Ones(13)), nb360::Error);
  std::vector<double> nan_alpha = Ones(112);
  nan_alpha[17] = std::nan("");
  EXPECT_THROW(Discretize(nan_alpha, Ones(14), Ones(112), Ones(14)), nb360::Error);
  EXPECT_THROW(Discretize(Tensor::Ones({8, 14}), Tensor::Ones({14}), Tensor::Ones({14, 8}), Tensor::Ones({14})),
               nb360::Error);
  EXPECT_THROW(Discretize(Tensor::Ones({14, 8}), Tensor::Ones({14}), Tensor::Ones({14, 8}, DType::kInt64),
                          Tensor::Ones({14})),
               nb360::Error);
}

}  // namespace
}  // namespace nb360::nas::darts
