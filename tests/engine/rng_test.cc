// RNG: Philox known-answer test, determinism, stream independence, distributions.
#include "engine/rng.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nb360 {
namespace {

// Known-answer vectors of Philox-4x32-10 from the Random123 distribution's kat_vectors.
TEST(Philox, KnownAnswers) {
  EXPECT_THAT(Philox({0, 0, 0, 0}, {0, 0}), ::testing::ElementsAre(0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u));
  EXPECT_THAT(Philox({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}),
              ::testing::ElementsAre(0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu));
  EXPECT_THAT(Philox({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}),
              ::testing::ElementsAre(0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u));
}

TEST(Generator, SameSeedSameStream) {
  Generator a(42), b(42), c(43);
  Tensor ta = Tensor::Empty({1000}), tb = Tensor::Empty({1000}), tc = Tensor::Empty({1000});
  a.Normal(ta);
  b.Normal(tb);
  c.Normal(tc);
  EXPECT_EQ(ta.ToVector<float>(), tb.ToVector<float>());
  EXPECT_NE(ta.ToVector<float>(), tc.ToVector<float>());
  EXPECT_EQ(a.offset(), 1000u);
}

TEST(Generator, ResumesFromState) {
  Generator a(7);
  Tensor first = Tensor::Empty({10});
  a.Uniform(first);
  Generator b(a.seed(), a.offset());
  Tensor x = Tensor::Empty({5}), y = Tensor::Empty({5});
  a.Uniform(x);
  b.Uniform(y);
  EXPECT_EQ(x.ToVector<float>(), y.ToVector<float>());
}

TEST(Generator, ForksAreIndependentAndStable) {
  Generator g(1);
  Generator f1 = g.Fork("init"), f2 = g.Fork("init"), f3 = g.Fork("data");
  EXPECT_EQ(f1.seed(), f2.seed());
  EXPECT_NE(f1.seed(), f3.seed());
  EXPECT_EQ(g.offset(), 0u);
}

TEST(Generator, DistributionMoments) {
  Generator g(3);
  Tensor n = Tensor::Empty({200000}, DType::kFloat64), u = Tensor::Empty({200000}, DType::kFloat64);
  g.Normal(n, 1.0, 2.0);
  g.Uniform(u, -1.0, 3.0);
  double sn = 0, sn2 = 0, su = 0, umin = 1e9, umax = -1e9;
  for (double v : n.ToVector<double>()) { sn += v; sn2 += v * v; }
  for (double v : u.ToVector<double>()) { su += v; umin = std::min(umin, v); umax = std::max(umax, v); }
  const double mean = sn / 200000, var = sn2 / 200000 - mean * mean;
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_NEAR(var, 4.0, 0.05);
  EXPECT_NEAR(su / 200000, 1.0, 0.02);
  EXPECT_GE(umin, -1.0);
  EXPECT_LT(umax, 3.0);
}

TEST(Generator, PermutationAndRandInt) {
  Generator g(5);
  std::vector<int64_t> p = g.Permutation(100);
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(p, sorted);
  for (int i = 0; i < 1000; ++i) {
    const int64_t r = g.RandInt(7);
    EXPECT_GE(r, 0);
    EXPECT_LT(r, 7);
  }
}

}  // namespace
}  // namespace nb360
