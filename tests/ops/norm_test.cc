// Tests of the norm family beyond the conformance cases: running-statistics updates (PyTorch's
// formula, in place, on views and other dtypes), eval vs train behaviour, the multi-threaded float32
// paths on tensors large enough to be split, dropout's mask determinism and scaling, and errors.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "engine/rng.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/interpolate.h"
#include "ops/norm.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

Tensor RandNormal(const Shape& shape, uint64_t seed, double mean = 0.0, double stddev = 1.0,
                  DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Empty(shape, dtype);
  Generator(seed).Normal(t, mean, stddev);
  return t;
}

// Per-channel batch mean and unbiased variance of x (N, C, ...), in double.
void ChannelMoments(const Tensor& x, std::vector<double>* mean, std::vector<double>* var_unbiased) {
  const int64_t n = x.size(0), c = x.size(1), s = x.numel() / (n * c);
  const std::vector<double> v = x.ToVector<double>();
  mean->assign(c, 0.0);
  var_unbiased->assign(c, 0.0);
  for (int64_t ch = 0; ch < c; ++ch) {
    double m = 0, q = 0;
    for (int64_t i = 0; i < n; ++i) for (int64_t j = 0; j < s; ++j) m += v[(i * c + ch) * s + j];
    m /= n * s;
    for (int64_t i = 0; i < n; ++i) for (int64_t j = 0; j < s; ++j) q += std::pow(v[(i * c + ch) * s + j] - m, 2);
    (*mean)[ch] = m;
    (*var_unbiased)[ch] = q / (n * s - 1);
  }
}

TEST(BatchNormRunningStats, UpdatedInPlaceWithPyTorchFormula) {
  const Tensor x = RandNormal({4, 3, 5}, 1, 3.0, 2.0);
  const Tensor rm = Tensor::FromVector<float>({0.5f, -1.0f, 2.0f}, {3});
  const Tensor rv = Tensor::FromVector<float>({1.0f, 0.25f, 4.0f}, {3});
  const std::vector<float> rm0 = rm.ToVector<float>(), rv0 = rv.ToVector<float>();
  const double momentum = 0.2;
  BatchNorm(x, Tensor(), Tensor(), rm, rv, /*training=*/true, momentum);
  std::vector<double> mean, var;
  ChannelMoments(x, &mean, &var);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(rm.ToVector<float>()[c], (1 - momentum) * rm0[c] + momentum * mean[c], 1e-5) << c;
    EXPECT_NEAR(rv.ToVector<float>()[c], (1 - momentum) * rv0[c] + momentum * var[c], 1e-5) << c;
  }
  // A second step compounds from the updated values.
  const std::vector<float> rm1 = rm.ToVector<float>(), rv1 = rv.ToVector<float>();
  BatchNorm(x, Tensor(), Tensor(), rm, rv, true, momentum);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(rm.ToVector<float>()[c], (1 - momentum) * rm1[c] + momentum * mean[c], 1e-5);
    EXPECT_NEAR(rv.ToVector<float>()[c], (1 - momentum) * rv1[c] + momentum * var[c], 1e-5);
  }
}

TEST(BatchNormRunningStats, StridedViewsAndOtherDTypes) {
  // float64 input, float32 running statistics living in every other element of a buffer.
  const Tensor x = RandNormal({6, 2, 3, 4}, 2, -1.0, 0.5, DType::kFloat64);
  Tensor buf_m = Tensor::Full({4}, 9.0);
  Tensor buf_v = Tensor::Full({4}, 9.0);
  const Tensor rm = MakeView(buf_m, {2}, {2}, 0);
  const Tensor rv = MakeView(buf_v, {2}, {2}, 1);
  BatchNorm(x, Tensor(), Tensor(), rm, rv, true, 0.1);
  std::vector<double> mean, var;
  ChannelMoments(x, &mean, &var);
  const std::vector<float> m = buf_m.ToVector<float>(), v = buf_v.ToVector<float>();
  EXPECT_NEAR(m[0], 0.9 * 9 + 0.1 * mean[0], 1e-5);
  EXPECT_NEAR(m[2], 0.9 * 9 + 0.1 * mean[1], 1e-5);
  EXPECT_NEAR(v[1], 0.9 * 9 + 0.1 * var[0], 1e-5);
  EXPECT_NEAR(v[3], 0.9 * 9 + 0.1 * var[1], 1e-5);
  EXPECT_EQ(m[1], 9.0f);  // the gaps are untouched
  EXPECT_EQ(v[0], 9.0f);
}

TEST(BatchNormRunningStats, EvalLeavesThemAlone) {
  const Tensor x = RandNormal({4, 3}, 3);
  const Tensor rm = Tensor::FromVector<float>({0.5f, -1.0f, 2.0f}, {3});
  const Tensor rv = Tensor::FromVector<float>({1.0f, 0.25f, 4.0f}, {3});
  const Tensor y = BatchNorm(x, Tensor(), Tensor(), rm, rv, /*training=*/false);
  EXPECT_EQ(rm.ToVector<float>(), (std::vector<float>{0.5f, -1.0f, 2.0f}));
  EXPECT_EQ(rv.ToVector<float>(), (std::vector<float>{1.0f, 0.25f, 4.0f}));
  const std::vector<float> xv = x.ToVector<float>(), yv = y.ToVector<float>();
  EXPECT_NEAR(yv[4], (xv[4] - -1.0) / std::sqrt(0.25 + 1e-5), 1e-5);
}

TEST(BatchNorm, EvalWithoutRunningStatsUsesBatchStats) {
  const Tensor x = RandNormal({5, 4, 6}, 4);
  const std::vector<float> a = BatchNorm(x, Tensor(), Tensor(), Tensor(), Tensor(), false).ToVector<float>();
  const std::vector<float> b = BatchNorm(x, Tensor(), Tensor(), Tensor(), Tensor(), true).ToVector<float>();
  EXPECT_EQ(a, b);
}

// max |a - b| / max(1, max |b|).
double ScaledDiff(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.ToVector<double>(), vb = b.ToVector<double>();
  double m = 0, s = 1;
  for (size_t i = 0; i < va.size(); ++i) {
    m = std::max(m, std::abs(va[i] - vb[i]));
    s = std::max(s, std::abs(vb[i]));
  }
  return m / s;
}

// The float32 kernels on tensors large enough to be split over threads (channel groups of one and
// of several channels, (N, C) rows), against float64, with a large mean offset (the one-pass
// variance must not cancel).
TEST(BatchNorm, LargeFloat32MatchesFloat64) {
  for (const Shape& shape : {Shape{16, 6, 24, 40}, Shape{300, 64}, Shape{64, 48, 7}}) {
    SCOPED_TRACE(ShapeString(shape));
    const int64_t c = shape[1];
    const Tensor x = RandNormal(shape, 5, 100.0, 0.5);
    const Tensor w = RandNormal({c}, 6, 1.0, 0.2), b = RandNormal({c}, 7);
    const Tensor r = RandNormal(shape, 8);
    std::vector<Tensor> grads[2], outs(2);
    for (int k = 0; k < 2; ++k) {
      const DType dt = k == 0 ? DType::kFloat32 : DType::kFloat64;
      Tensor xg = x.To(dt).Detach(), wg = w.To(dt).Detach(), bg = b.To(dt).Detach();
      for (Tensor* t : {&xg, &wg, &bg}) t->set_requires_grad(true);
      outs[k] = BatchNorm(xg, wg, bg, Tensor(), Tensor(), true);
      Sum(Mul(outs[k], r.To(dt))).Backward();
      grads[k] = {xg.grad(), wg.grad(), bg.grad()};
    }
    EXPECT_LT(ScaledDiff(outs[0], outs[1]), 1e-4);
    EXPECT_LT(ScaledDiff(grads[0][0], grads[1][0]), 1e-3);
    EXPECT_LT(ScaledDiff(grads[0][1], grads[1][1]), 1e-4);
    EXPECT_LT(ScaledDiff(grads[0][2], grads[1][2]), 1e-4);
    // The batch statistics really normalise: without affine each channel has mean 0, variance 1.
    const Tensor z = BatchNorm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
    std::vector<double> mean, var;
    ChannelMoments(z, &mean, &var);
    const double m = static_cast<double>(x.numel() / c);
    for (int64_t ch = 0; ch < c; ++ch) {
      EXPECT_NEAR(mean[ch], 0.0, 1e-3);
      EXPECT_NEAR(var[ch] * (m - 1) / m, 1.0, 2e-3);
    }
    // Eval mode with the batch's statistics as running statistics gives the same output.
    Tensor rm = Tensor::Zeros({c}), rv = Tensor::Ones({c});
    BatchNorm(x, w, b, rm, rv, true, 1.0);  // momentum 1: running = batch (unbiased variance)
    rv = Mul(rv, (m - 1) / m);               // back to the biased variance used for normalising
    EXPECT_LT(ScaledDiff(BatchNorm(x, w, b, rm, rv, false), outs[1]), 1e-4);
  }
}

TEST(LayerNorm, LargeFloat32MatchesFloat64) {
  const Tensor x = RandNormal({64, 40, 48}, 9, 50.0, 2.0);
  const Tensor w = RandNormal({40, 48}, 10), b = RandNormal({40, 48}, 11);
  Tensor xg = x.Detach(), wg = w.Detach();
  xg.set_requires_grad(true);
  wg.set_requires_grad(true);
  Tensor x64 = x.To(DType::kFloat64).Detach(), w64 = w.To(DType::kFloat64).Detach();
  x64.set_requires_grad(true);
  w64.set_requires_grad(true);
  const Tensor r = RandNormal(x.shape(), 12);
  Sum(Mul(LayerNorm(xg, {40, 48}, wg, b), r)).Backward();
  Sum(Mul(LayerNorm(x64, {40, 48}, w64, b.To(DType::kFloat64)), r.To(DType::kFloat64))).Backward();
  const std::vector<double> gx = xg.grad().ToVector<double>(), gx64 = x64.grad().ToVector<double>();
  const std::vector<double> gw = wg.grad().ToVector<double>(), gw64 = w64.grad().ToVector<double>();
  double ex = 0, ew = 0, sx = 1, sw = 1;
  for (size_t i = 0; i < gx.size(); ++i) ex = std::max(ex, std::abs(gx[i] - gx64[i])), sx = std::max(sx, std::abs(gx64[i]));
  for (size_t i = 0; i < gw.size(); ++i) ew = std::max(ew, std::abs(gw[i] - gw64[i])), sw = std::max(sw, std::abs(gw64[i]));
  EXPECT_LT(ex / sx, 1e-3);
  EXPECT_LT(ew / sw, 1e-4);
}

TEST(Interpolate, LargeParallelMatchesSinglePlaneResults) {
  // Every plane of a batched call equals the same plane resized alone.
  const Tensor x = RandNormal({4, 8, 33, 17}, 13);
  for (InterpolateMode mode : {InterpolateMode::kNearest, InterpolateMode::kBilinear}) {
    const Tensor y = Interpolate(x, 50, 29, mode);
    const Tensor one = Interpolate(x.Narrow(0, 3, 1).Narrow(1, 5, 1), 50, 29, mode);
    const std::vector<float> a = y.Narrow(0, 3, 1).Narrow(1, 5, 1).ToVector<float>();
    EXPECT_EQ(a, one.ToVector<float>());
  }
}

TEST(Interpolate, NearestDoubleSizeRepeatsPixels) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  EXPECT_EQ(Interpolate(x, 4, 4, InterpolateMode::kNearest).ToVector<float>(),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(Interpolate, BilinearAlignCornersKeepsCorners) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const std::vector<float> y = Interpolate(x, 3, 3, InterpolateMode::kBilinear, true).ToVector<float>();
  EXPECT_EQ(y, (std::vector<float>{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}));
}

// ------------------------------------------------------------------------------------ dropout

TEST(Dropout, SameSeedSameMask) {
  const Tensor x = Tensor::Ones({1000});
  Generator g1(42), g2(42), g3(43);
  const std::vector<float> a = Dropout(x, 0.4, true, g1).ToVector<float>();
  const std::vector<float> b = Dropout(x, 0.4, true, g2).ToVector<float>();
  const std::vector<float> c = Dropout(x, 0.4, true, g3).ToVector<float>();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(g1.offset(), 1000u);  // one counter per element
  // The next draw from the same generator is a different mask.
  EXPECT_NE(Dropout(x, 0.4, true, g1).ToVector<float>(), a);
}

TEST(Dropout, ScalesKeptElementsAndKeepsAboutOneMinusP) {
  const Tensor x = RandNormal({200, 100}, 14);
  Generator gen(7);
  const double p = 0.3;
  const std::vector<float> xv = x.ToVector<float>();
  const std::vector<float> yv = Dropout(x, p, true, gen).ToVector<float>();
  int64_t kept = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    if (yv[i] == 0.0f) continue;
    ++kept;
    EXPECT_FLOAT_EQ(yv[i], static_cast<float>(xv[i] * (1.0f / (1.0 - p))));
  }
  EXPECT_NEAR(static_cast<double>(kept) / xv.size(), 1.0 - p, 0.02);
}

TEST(Dropout, GradientIsTheScaledMask) {
  Tensor x = RandNormal({50}, 15);
  x.set_requires_grad(true);
  Generator gen(3);
  const Tensor y = Dropout(x, 0.5, true, gen);
  Sum(y).Backward();
  const std::vector<float> yv = y.ToVector<float>(), g = x.grad().ToVector<float>();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i], yv[i] == 0.0f ? 0.0f : 2.0f) << i;
}

TEST(Dropout, EvalAndZeroPAreIdentityPOneIsZero) {
  const Tensor x = RandNormal({3, 4}, 16);
  Generator gen(1);
  EXPECT_TRUE(Dropout(x, 0.5, false, gen).SameImpl(x));
  EXPECT_TRUE(Dropout(x, 0.0, true, gen).SameImpl(x));
  EXPECT_EQ(gen.offset(), 0u);
  EXPECT_EQ(Dropout(x, 1.0, true, gen).ToVector<float>(), std::vector<float>(12, 0.0f));
  EXPECT_THROW(Dropout(x, 1.5, true, gen), Error);
}

// ------------------------------------------------------------------------------------ errors

TEST(NormErrors, MessagesNameTheOpAndShapes) {
  const Tensor x = Tensor::Zeros({2, 3, 4});
  try {
    BatchNorm(x, Tensor::Ones({4}), Tensor(), Tensor(), Tensor(), true);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("BatchNorm: weight must have shape [3]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BatchNorm(Tensor::Zeros({2, 3, 4, 5, 6}), Tensor(), Tensor(), Tensor(), Tensor(), true), Error);
  EXPECT_THROW(BatchNorm(Tensor::Zeros({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true), Error);
  EXPECT_THROW(BatchNorm(x, Tensor(), Tensor(), Tensor::Zeros({3}), Tensor(), false), Error);
  EXPECT_THROW(LayerNorm(x, {3}, Tensor(), Tensor()), Error);
  EXPECT_THROW(LayerNorm(x, {3, 4}, Tensor::Ones({4}), Tensor()), Error);
  EXPECT_THROW(Interpolate(Tensor::Zeros({1, 1, 2, 2}), 4, 4, InterpolateMode::kNearest, true), Error);
  EXPECT_THROW(Interpolate(Tensor::Zeros({1, 2, 2}), 4, 4, InterpolateMode::kBilinear), Error);
}

}  // namespace
}  // namespace nb360
