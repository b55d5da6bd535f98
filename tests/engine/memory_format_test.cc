// The channels-last memory format: detection, conversion, and which ops keep it.
#include "engine/memory_format.h"

#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/norm.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

Tensor Random(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t, 0.0, 1.0);
  return t;
}

void ExpectSameValues(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.ToVector<float>(), b.ToVector<float>());
}

TEST(MemoryFormatTest, StridesAndDetection) {
  EXPECT_EQ(ChannelsLastStrides({2, 3, 5}), (Shape{15, 1, 3}));
  EXPECT_EQ(ChannelsLastStrides({2, 3, 4, 5}), (Shape{60, 1, 15, 3}));
  const Tensor x = Random({2, 3, 5}, 1);
  EXPECT_FALSE(IsChannelsLast(x));
  const Tensor cl = ToChannelsLast(x);
  EXPECT_TRUE(IsChannelsLast(cl));
  EXPECT_FALSE(cl.is_contiguous());
  ExpectSameValues(cl, x);
  EXPECT_EQ(ToChannelsLast(cl).raw_data(), cl.raw_data());  // already channels-last: itself
  EXPECT_FALSE(IsChannelsLast(Random({2, 3}, 2)));
}

TEST(MemoryFormatTest, OneChannelIsToldApartByItsStride) {
  const Tensor x = Random({4, 1, 7}, 3);  // contiguous strides (7, 7, 1)
  EXPECT_FALSE(IsChannelsLast(x));
  const Tensor cl = ToChannelsLast(x);  // strides (7, 1, 1): the same memory order
  EXPECT_TRUE(IsChannelsLast(cl));
  ExpectSameValues(cl, x);
}

TEST(MemoryFormatTest, MemoryOrderViewIsContiguous) {
  const Tensor cl = ToChannelsLast(Random({2, 3, 4, 5}, 4));
  const Tensor v = MemoryOrderView(cl);
  EXPECT_EQ(v.shape(), (Shape{2, 4, 5, 3}));
  EXPECT_TRUE(v.is_contiguous());
  EXPECT_EQ(v.raw_data(), cl.raw_data());
}

TEST(MemoryFormatTest, GradientPassesThroughTheConversion) {
  Tensor x = Random({2, 3, 5}, 5);
  x.set_requires_grad(true);
  Sum(Mul(ToChannelsLast(x), 2.0), {}).Backward();
  for (float g : x.grad().ToVector<float>()) EXPECT_EQ(g, 2.0f);
}

// Conv1d, BatchNormRelu and Add keep the format and give the values (and gradients) of the
// contiguous computation; the oneDNN paths match to float rounding.
TEST(MemoryFormatTest, Conv1dBatchNormAddChainKeepsTheFormat) {
  const Tensor x0 = Random({3, 16, 11}, 6), w = Random({16, 16, 8}, 7), b = Random({16}, 8);
  Conv1dParams p;
  p.padding = 3;
  p.padding_right = 4;
  auto run = [&](bool channels_last, Tensor* gx) {
    Tensor x = x0.Clone();
    x.set_requires_grad(true);
    const Tensor in = channels_last ? ToChannelsLast(x) : x;
    const Tensor h = Conv1d(in, w, b, p);
    EXPECT_EQ(IsChannelsLast(h), channels_last);
    EXPECT_EQ(h.shape(), (Shape{3, 16, 11}));
    const Tensor a = BatchNormRelu(h, Tensor(), Tensor(), Tensor(), Tensor(), true);
    EXPECT_EQ(IsChannelsLast(a), channels_last);
    const Tensor s = Add(a, in);
    EXPECT_EQ(IsChannelsLast(s), channels_last);
    Sum(Mul(s, s), {}).Backward();
    *gx = x.grad();
    return s;
  };
  Tensor g_plain, g_cl;
  const std::vector<float> plain = run(false, &g_plain).ToVector<float>();
  const std::vector<float> cl = run(true, &g_cl).ToVector<float>();
  ASSERT_EQ(plain.size(), cl.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(plain[i], cl[i], 1e-4 * (1 + std::abs(plain[i]))) << i;
  const std::vector<float> gp = g_plain.ToVector<float>(), gc = g_cl.ToVector<float>();
  for (size_t i = 0; i < gp.size(); ++i) EXPECT_NEAR(gp[i], gc[i], 1e-3 * (1 + std::abs(gp[i]))) << i;
}

// Reductions of channels-last tensors (in memory order where the result order allows) equal those
// of the contiguous tensor, for every set of dimensions.
TEST(MemoryFormatTest, ReductionsMatchContiguous) {
  for (const Shape& shape : {Shape{3, 5, 7}, Shape{2, 3, 4, 5}}) {
    const Tensor x = Random(shape, 9), cl = ToChannelsLast(x);
    const int64_t dims = static_cast<int64_t>(shape.size());
    for (int64_t bits = 1; bits < (1 << dims); ++bits) {
      std::vector<int64_t> reduce;
      for (int64_t d = 0; d < dims; ++d) {
        if (bits & (1 << d)) reduce.push_back(d);
      }
      for (bool keepdim : {false, true}) {
        const Tensor a = Sum(x, reduce, keepdim), b = Sum(cl, reduce, keepdim);
        ASSERT_EQ(a.shape(), b.shape()) << bits;
        const auto va = a.ToVector<float>(), vb = b.ToVector<float>();
        for (size_t i = 0; i < va.size(); ++i) EXPECT_NEAR(va[i], vb[i], 1e-4 * (1 + std::abs(va[i]))) << bits;
      }
    }
    for (int64_t d = 0; d < dims; ++d) {
      ExpectSameValues(Max(x, d, false), Max(cl, d, false));
      EXPECT_EQ(Argmax(x, d, false).ToVector<int64_t>(), Argmax(cl, d, false).ToVector<int64_t>());
    }
  }
}

}  // namespace
}  // namespace nb360
