// Autograd: accumulation, shared subgraphs, no_grad, detach, freed graphs, broadcasting reductions.
#include "engine/autograd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Tensor Param(std::vector<float> v, Shape s) {
  Tensor t = Tensor::FromVector<float>(v, s);
  t.set_requires_grad(true);
  return t;
}

TEST(Autograd, ScalarBackwardAndLeafGrads) {
  Tensor x = Param({1, 2, 3}, {3});
  Tensor y = Sum(Mul(x, x));  // d/dx = 2x
  EXPECT_FALSE(y.is_leaf());
  y.Backward();
  EXPECT_THAT(x.grad().ToVector<float>(), ElementsAre(2, 4, 6));
}

TEST(Autograd, GradientsAccumulateAcrossCalls) {
  Tensor x = Param({1, -1}, {2});
  Sum(x * 3.0).Backward();
  Sum(x * 3.0).Backward();
  EXPECT_THAT(x.grad().ToVector<float>(), ElementsAre(6, 6));
  x.ZeroGrad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, SharedSubexpressionSumsBothPaths) {
  Tensor x = Param({2}, {1});
  Tensor a = Exp(x);
  Tensor y = Add(Mul(a, a), a);  // e^{2x} + e^x -> 2e^{2x} + e^x
  Sum(y).Backward();
  EXPECT_NEAR(x.grad().item(), 2 * std::exp(4.0) + std::exp(2.0), 1e-3);
}

TEST(Autograd, BroadcastGradientsAreReduced) {
  Tensor a = Param({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Param({10, 20, 30}, {3});
  Sum(Mul(a, b)).Backward();
  EXPECT_THAT(b.grad().ToVector<float>(), ElementsAre(5, 7, 9));
  EXPECT_THAT(a.grad().shape(), ElementsAre(2, 3));
}

TEST(Autograd, BackwardWithGivenGradient) {
  Tensor x = Param({1, 2}, {2});
  Tensor y = x * 2.0;
  y.Backward(Tensor::FromVector<float>({1, 10}, {2}));
  EXPECT_THAT(x.grad().ToVector<float>(), ElementsAre(2, 20));
}

TEST(Autograd, NoGradAndDetachRecordNothing) {
  Tensor x = Param({1}, {1});
  {
    NoGradGuard guard;
    EXPECT_FALSE(GradEnabled());
    EXPECT_FALSE(Exp(x).requires_grad());
  }
  EXPECT_TRUE(GradEnabled());
  EXPECT_FALSE(x.Detach().requires_grad());
  EXPECT_EQ(x.Detach().storage(), x.storage());
  EXPECT_THROW(Sum(Exp(x.Detach())).Backward(), Error);
}

TEST(Autograd, GraphIsFreedAfterBackward) {
  Tensor x = Param({1, 2}, {2});
  Tensor y = Sum(Exp(x));
  y.Backward();
  try {
    y.Backward();
    FAIL() << "second backward through a freed graph did not fail";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("freed"));
  }
}

TEST(Autograd, NoReferenceCycleKeepsOutputsAlive) {
  std::weak_ptr<Storage> weak;
  {
    Tensor x = Param({1, 2}, {2});
    Tensor y = Exp(x);
    weak = y.storage();
  }
  EXPECT_TRUE(weak.expired());
}

TEST(Autograd, LeafGradientsNeverAliasEachOtherOrTheCaller) {
  Tensor a = Param({1, 2}, {2}), b = Param({3, 4}, {2});
  Tensor g = Tensor::FromVector<float>({1, 1}, {2});
  Add(a, b).Backward(g);  // add passes the same gradient tensor to both inputs
  EXPECT_NE(a.grad().storage(), b.grad().storage());
  EXPECT_NE(a.grad().storage(), g.storage());
  a.grad().Fill(5);
  EXPECT_THAT(b.grad().ToVector<float>(), ElementsAre(1, 1));
  EXPECT_THAT(g.ToVector<float>(), ElementsAre(1, 1));
}

TEST(Autograd, NonScalarNeedsGradient) {
  Tensor x = Param({1, 2}, {2});
  EXPECT_THROW(Exp(x).Backward(), Error);
}

TEST(Autograd, ViewsPropagateGradients) {
  Tensor x = Param({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = x.Transpose(0, 1).Narrow(0, 1, 2).Reshape({4});  // x[:, 1:3] in transposed order
  Sum(Mul(y, Tensor::FromVector<float>({1, 2, 3, 4}, {4}))).Backward();
  EXPECT_THAT(x.grad().ToVector<float>(), ElementsAre(0, 1, 3, 0, 2, 4));
}

TEST(Autograd, MatmulChainMatchesHandDerivative) {
  Tensor w = Param({1, 2, 3, 4}, {2, 2});
  Tensor x = Tensor::FromVector<float>({1, 1}, {2, 1});
  Sum(Matmul(w, x)).Backward();  // d/dw = ones(2,1) @ x^T
  EXPECT_THAT(w.grad().ToVector<float>(), ElementsAre(1, 1, 1, 1));
}

}  // namespace
}  // namespace nb360
