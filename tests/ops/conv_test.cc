// Conv front-end behaviour the conformance cases do not reach: error messages, output shapes,
// empty tensors, Conv1d's views, gradients that are asked for one input only, and agreement of the
// float32 fast paths (oneDNN, depthwise plane kernels) with float64 at a realistic size.
#include "ops/conv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/autograd.h"
#include "engine/rng.h"

namespace nb360 {
namespace {

Tensor Rand(const Shape& shape, uint64_t seed, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Empty(shape, DType::kFloat64);
  Generator(seed).Uniform(t, -1.0, 1.0);
  return t.To(dtype);
}

// The message of the nb360::Error that fn throws ("" if none).
template <class Fn>
std::string ErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

double MaxDiff(const Tensor& a, const Tensor& b) {
  const auto va = a.To(DType::kFloat64).ToVector<double>(), vb = b.To(DType::kFloat64).ToVector<double>();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

TEST(Conv2d, ErrorsNameTheOpAndShapes) {
  const Tensor x = Rand({2, 4, 8, 8}, 1);
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x, Rand({6, 3, 3, 3}, 2), Tensor(), {});
            }).find("Conv2d: input float32[2, 4, 8, 8]"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x.Select(0, 0), Rand({6, 4, 3, 3}, 2), Tensor(), {});
            }).find("Conv2d: input must be (N, C, H, W)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x, Rand({6, 4, 9, 9}, 2), Tensor(), {});
            }).find("too small"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x, Rand({6, 4, 3, 3}, 2), Rand({5}, 3), {});
            }).find("bias must be (6)"),
            std::string::npos);
  Conv2dParams p;
  p.groups = 3;
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x, Rand({6, 4, 3, 3}, 2), Tensor(), p);
            }).find("groups 3"),
            std::string::npos);
  p = {};
  p.stride_h = 0;
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x, Rand({6, 4, 3, 3}, 2), Tensor(), p);
            }).find("invalid stride (0, 1)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              Conv2d(x, Rand({6, 4, 3, 3}, 2, DType::kFloat64), Tensor(), {});
            }).find("does not match"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              Conv1d(x, Rand({6, 4, 3}, 2), Tensor(), {});
            }).find("Conv1d: input must be (N, C, L)"),
            std::string::npos);
  ConvTranspose2dParams t;
  t.stride_h = t.stride_w = 2;
  t.output_pad_h = 2;
  EXPECT_NE(ErrorOf([&] {
              ConvTranspose2d(x, Rand({4, 3, 3, 3}, 2), Tensor(), t);
            }).find("output padding (2, 0)"),
            std::string::npos);
}

TEST(Conv2d, OutputShapes) {
  Conv2dParams p{2, 1, 1, 2, 1, 2, 1};
  EXPECT_EQ(Conv2d(Rand({2, 3, 9, 10}, 1), Rand({5, 3, 3, 3}, 2), Tensor(), p).shape(), (Shape{2, 5, 5, 10}));
  EXPECT_EQ(Conv1d(Rand({2, 3, 1000}, 1), Rand({4, 3, 8}, 2), Tensor(), {1, 4, 1, 1}).shape(),
            (Shape{2, 4, 1001}));
  ConvTranspose2dParams t{2, 2, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(ConvTranspose2d(Rand({2, 4, 5, 6}, 1), Rand({4, 3, 3, 3}, 2), Tensor(), t).shape(),
            (Shape{2, 3, 10, 12}));
  EXPECT_EQ(ConvOutputSize(32, 3, 2, 1, 1), 16);
}

TEST(Conv2d, EmptyBatchAndBiasOnlyOutputs) {
  Tensor x = Rand({0, 3, 5, 5}, 1).set_requires_grad(true);
  Tensor w = Rand({4, 3, 3, 3}, 2).set_requires_grad(true);
  Tensor y = Conv2d(x, w, Tensor(), {1, 1, 1, 1, 1, 1, 1});
  EXPECT_EQ(y.shape(), (Shape{0, 4, 5, 5}));
  y.Backward(Tensor::Zeros(y.shape()));
  EXPECT_EQ(w.grad().shape(), w.shape());
  EXPECT_EQ(MaxDiff(w.grad(), Tensor::Zeros(w.shape())), 0.0);
  // An empty image with padding sees only zeros: the output is the bias.
  const Tensor b = Rand({4}, 3);
  const Tensor z = Conv2d(Rand({1, 3, 0, 2}, 1), Rand({4, 3, 1, 1}, 2), b, {1, 1, 1, 0, 1, 1, 1});
  ASSERT_EQ(z.shape(), (Shape{1, 4, 2, 2}));
  EXPECT_EQ(z.ToVector<float>()[5], b.ToVector<float>()[1]);
  // ... and the bias still gets its gradient: the sum of gy over (N, OH, OW) = 4 per channel.
  Tensor bg = Rand({4}, 3).set_requires_grad(true);
  Tensor wg = Rand({4, 3, 1, 1}, 2).set_requires_grad(true);
  Conv2d(Rand({1, 3, 0, 2}, 1), wg, bg, {1, 1, 1, 0, 1, 1, 1}).Backward(Tensor::Ones({1, 4, 2, 2}));
  EXPECT_EQ(bg.grad().ToVector<float>(), std::vector<float>(4, 4.0f));
  EXPECT_EQ(MaxDiff(wg.grad(), Tensor::Zeros(wg.shape())), 0.0);
}

TEST(Conv1d, NonContiguousInputGivesTheSameResult) {
  const Tensor x = Rand({2, 3, 40}, 1), w = Rand({5, 3, 8}, 2), b = Rand({5}, 3);
  const Tensor wide = Rand({2, 3, 80}, 4);
  wide.Narrow(2, 10, 40).CopyFrom(x);
  EXPECT_LT(MaxDiff(Conv1d(x, w, b, {2, 3, 2, 1}), Conv1d(wide.Narrow(2, 10, 40), w, b, {2, 3, 2, 1})), 1e-6);
}

TEST(Conv2d, GradientOfOneInputOnly) {
  const Tensor x = Rand({2, 4, 6, 6}, 1), w = Rand({4, 4, 3, 3}, 2);
  Tensor b = Rand({4}, 3).set_requires_grad(true);
  Tensor y = Conv2d(x, w, b, {1, 1, 1, 1, 1, 1, 1});
  y.Backward(Tensor::Ones(y.shape()));
  EXPECT_FALSE(x.grad().defined());
  ASSERT_TRUE(b.grad().defined());
  EXPECT_NEAR(b.grad().ToVector<float>()[0], 2 * 6 * 6, 1e-4);
}

// float32 (oneDNN, plane kernels) against float64 (direct loops) at DARTS / WRN-like sizes, all passes.
void CheckFloat32(const Shape& xs, const Shape& ws, const Conv2dParams& p) {
  SCOPED_TRACE(ShapeString(xs) + " * " + ShapeString(ws) + " stride " + std::to_string(p.stride_h) +
               " dilation " + std::to_string(p.dilation_h) + " groups " + std::to_string(p.groups));
  Tensor x64 = Rand(xs, 1, DType::kFloat64).set_requires_grad(true);
  Tensor w64 = Rand(ws, 2, DType::kFloat64).set_requires_grad(true);
  Tensor x32 = x64.Detach().To(DType::kFloat32).set_requires_grad(true);
  Tensor w32 = w64.Detach().To(DType::kFloat32).set_requires_grad(true);
  Tensor y64 = Conv2d(x64, w64, Tensor(), p), y32 = Conv2d(x32, w32, Tensor(), p);
  const Tensor g = Rand(y64.shape(), 3, DType::kFloat64);
  y64.Backward(g);
  y32.Backward(g.To(DType::kFloat32));
  const double taps = ws[1] * ws[2] * ws[3];
  EXPECT_LT(MaxDiff(y32, y64), 1e-5 * taps);
  EXPECT_LT(MaxDiff(x32.grad(), x64.grad()), 1e-5 * taps * ws[0] / p.groups);
  EXPECT_LT(MaxDiff(w32.grad(), w64.grad()), 1e-5 * xs[0] * y64.size(2) * y64.size(3));
}

TEST(Conv2d, Float32PathsMatchFloat64) {
  CheckFloat32({2, 32, 16, 16}, {32, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 32});
  CheckFloat32({2, 32, 16, 16}, {32, 1, 5, 5}, {1, 1, 4, 4, 2, 2, 32});
  CheckFloat32({2, 32, 16, 16}, {32, 1, 3, 3}, {2, 2, 1, 1, 1, 1, 32});
  CheckFloat32({2, 32, 15, 15}, {32, 1, 5, 5}, {2, 2, 4, 4, 2, 2, 32});
  CheckFloat32({2, 32, 16, 16}, {48, 32, 3, 3}, {1, 1, 1, 1, 1, 1, 1});
  CheckFloat32({2, 32, 16, 16}, {64, 32, 1, 1}, {2, 2, 0, 0, 1, 1, 1});
  CheckFloat32({2, 3, 16, 16}, {16, 3, 3, 3}, {1, 1, 1, 1, 1, 1, 1});
}

}  // namespace
}  // namespace nb360
