// bf16 autocast (engine/precision.h): conv and matmul results and gradients are bf16 values computed
// from bf16-rounded operands with float32 accumulation (checked against float64 arithmetic on the
// rounded operands), close to the float32 results, recorded at creation, never applied to float64;
// with a GPU, the CUDA bf16 kernels (cuDNN / cuBLAS tensor cores) agree with the CPU reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/autograd.h"
#include "engine/memory_format.h"
#include "engine/precision.h"
#include "engine/rng.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif

namespace nb360 {
namespace {

Tensor Random(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t, 0.0, 1.0);
  return t;
}

// A fresh leaf that requires grad.
Tensor Leaf(const Tensor& t) {
  Tensor l = t.Detach();
  l.set_requires_grad(true);
  return l;
}

bool IsBf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits & 0xffffu) == 0;
}

// Fraction of elements that are bf16 values.
double Bf16Fraction(const Tensor& t) {
  const std::vector<float> v = t.To(Device::CPU()).ToVector<float>();
  int64_t k = 0;
  for (float x : v) k += IsBf16(x) ? 1 : 0;
  return v.empty() ? 1.0 : static_cast<double>(k) / static_cast<double>(v.size());
}

Tensor RoundedCopy(const Tensor& t) {
  std::vector<float> v = t.ToVector<float>();
  for (float& x : v) x = RoundToBFloat16(x);
  return Tensor::FromVector(v, t.shape());
}

// Checks got (float32) against ref (float64 results of the rounded operands, then rounded to bf16):
// equal except where float32 accumulation tips a rounding (then one bf16 step, 2^-7 relative); the
// CPU's 3x3 convolutions run Winograd F(4x4, 3x3), whose float32 error tips a few percent of them.
void ExpectBf16Of(const Tensor& got, const Tensor& ref64, const char* what) {
  const std::vector<float> g = got.To(Device::CPU()).Contiguous().ToVector<float>();
  const std::vector<double> r = ref64.Contiguous().ToVector<double>();
  ASSERT_EQ(g.size(), r.size()) << what;
  int64_t exact = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const float want = RoundToBFloat16(static_cast<float>(r[i]));
    if (g[i] == want) {
      ++exact;
      continue;
    }
    ASSERT_LE(std::abs(g[i] - want), std::ldexp(std::abs(want), -7) + 1e-30) << what << " element " << i;
  }
  EXPECT_GE(static_cast<double>(exact), 0.9 * static_cast<double>(g.size())) << what;
}

double MaxAbsDiff(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.To(Device::CPU()).Contiguous().ToVector<float>();
  const std::vector<float> y = b.To(Device::CPU()).Contiguous().ToVector<float>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(static_cast<double>(x[i]) - y[i]));
  return m;
}

double MaxAbs(const Tensor& a) {
  double m = 0;
  for (float v : a.To(Device::CPU()).Contiguous().ToVector<float>()) m = std::max(m, std::abs(static_cast<double>(v)));
  return m;
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(RoundToBFloat16(1.0f), 1.0f);
  EXPECT_EQ(RoundToBFloat16(1.0f + std::ldexp(1.0f, -8)), 1.0f);  // tie, even stays
  EXPECT_EQ(RoundToBFloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 1.0f + std::ldexp(1.0f, -6));  // tie, odd goes up
  EXPECT_EQ(RoundToBFloat16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 1.0f + std::ldexp(1.0f, -7));
  EXPECT_EQ(RoundToBFloat16(-2.5f), -2.5f);
  EXPECT_TRUE(std::isnan(RoundToBFloat16(std::nanf(""))));
  EXPECT_TRUE(std::isinf(RoundToBFloat16(3.4e38f)));
  EXPECT_EQ(RoundToBFloat16(std::ldexp(1.0f, -130)), std::ldexp(1.0f, -130));  // subnormal, bit kept
  EXPECT_EQ(RoundToBFloat16(std::ldexp(1.0f, -140)), 0.0f);  // below bf16's subnormal range
}

TEST(Autocast, ScopeNestsAndRestores) {
  EXPECT_EQ(AutocastPrecision(), MathPrecision::kFloat32);
  {
    AutocastScope bf16(MathPrecision::kBFloat16);
    EXPECT_EQ(AutocastPrecision(), MathPrecision::kBFloat16);
    {
      AutocastScope off(MathPrecision::kFloat32);
      EXPECT_EQ(AutocastPrecision(), MathPrecision::kFloat32);
    }
    EXPECT_EQ(AutocastPrecision(), MathPrecision::kBFloat16);
  }
  EXPECT_EQ(AutocastPrecision(), MathPrecision::kFloat32);
}

struct ConvRun {
  Tensor y, gx, gw, gb;
};

// y = conv(x, w, b); loss = sum(y * r): y and the three gradients.
ConvRun RunConv(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2dParams& p, bool autocast,
                Device device = Device::CPU()) {
  Tensor x = Leaf(x0.To(device)), w = Leaf(w0.To(device));
  Tensor b = Leaf(b0.To(device));
  Tensor y;
  {
    AutocastScope scope(autocast ? MathPrecision::kBFloat16 : MathPrecision::kFloat32);
    y = Conv2d(x, w, b, p);
  }
  // The backward runs outside the scope: the op recorded its precision.
  const Tensor r = Random(y.shape(), 99).To(device);
  Sum(Mul(y, r)).Backward();
  return {y, x.grad(), w.grad(), b.grad()};
}

TEST(Autocast, Conv2dIsBf16MathWithFloat32Accumulation) {
  const Tensor x = Random({4, 8, 9, 9}, 1), w = Random({6, 8, 3, 3}, 2), b = Random({6}, 3);
  Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  const ConvRun bf = RunConv(x, w, b, p, true);
  const ConvRun fp = RunConv(x, w, b, p, false);
  // Forward without the bias: float64 on the rounded operands, rounded.
  const Tensor xr = RoundedCopy(x), wr = RoundedCopy(w);
  const Tensor ref = Conv2d(xr.To(DType::kFloat64), wr.To(DType::kFloat64), Tensor(), p);
  ExpectBf16Of(Sub(bf.y, b.Reshape({1, 6, 1, 1})), ref, "forward");
  EXPECT_EQ(Bf16Fraction(bf.gx), 1.0);
  EXPECT_EQ(Bf16Fraction(bf.gw), 1.0);
  // Close to float32, but not equal to it.
  EXPECT_LT(MaxAbsDiff(bf.y, fp.y), 0.03 * MaxAbs(fp.y));
  EXPECT_GT(MaxAbsDiff(bf.y, fp.y), 0.0);
  EXPECT_LT(MaxAbsDiff(bf.gx, fp.gx), 0.03 * MaxAbs(fp.gx));
  EXPECT_LT(MaxAbsDiff(bf.gw, fp.gw), 0.03 * MaxAbs(fp.gw));
  EXPECT_LT(MaxAbsDiff(bf.gb, fp.gb), 1e-4 * MaxAbs(fp.gb));  // summed in float32 from float32 gy
}

TEST(Autocast, Conv2dGradientsMatchFloat64OnRoundedOperands) {
  const Tensor x = Random({2, 4, 7, 7}, 4), w = Random({4, 2, 3, 3}, 5);
  Conv2dParams p;
  p.stride_h = p.stride_w = 2;
  p.pad_h = p.pad_w = 1;
  p.groups = 2;
  Tensor xv = Leaf(x), wv = Leaf(w);
  Tensor y;
  {
    AutocastScope scope(MathPrecision::kBFloat16);
    y = Conv2d(xv, wv, Tensor(), p);
  }
  const Tensor gy = Random(y.shape(), 6);
  y.Backward(gy);
  // Reference gradients: float64 autograd on the rounded operands with the rounded gy.
  Tensor x64 = Leaf(RoundedCopy(x).To(DType::kFloat64)), w64 = Leaf(RoundedCopy(w).To(DType::kFloat64));
  Conv2d(x64, w64, Tensor(), p).Backward(RoundedCopy(gy).To(DType::kFloat64));
  ExpectBf16Of(xv.grad(), x64.grad(), "input gradient");
  ExpectBf16Of(wv.grad(), w64.grad(), "weight gradient");
}

TEST(Autocast, ChannelsLastConv1dAndTransposedConvRunInBf16) {
  const Tensor x = ToChannelsLast(Random({2, 8, 6, 6}, 7)), w = Random({8, 8, 3, 3}, 8);
  Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  AutocastScope scope(MathPrecision::kBFloat16);
  const Tensor y = Conv2d(x, w, Tensor(), p);
  EXPECT_TRUE(IsChannelsLast(y));
  EXPECT_EQ(Bf16Fraction(y), 1.0);
  const Tensor y1 = Conv1d(Random({2, 4, 20}, 9), Random({5, 4, 4}, 10), Tensor(), Conv1dParams{1, 1, 1, 1, 2});
  EXPECT_EQ(Bf16Fraction(y1), 1.0);
  ConvTranspose2dParams tp;
  tp.stride_h = tp.stride_w = 2;
  const Tensor yt = ConvTranspose2d(Random({2, 4, 5, 5}, 11), Random({4, 3, 2, 2}, 12), Tensor(), tp);
  EXPECT_EQ(Bf16Fraction(yt), 1.0);
}

TEST(Autocast, MatmulAndLinearAreBf16Math) {
  const Tensor a = Random({3, 5, 40}, 13), bm = Random({40, 7}, 14);
  Tensor av = Leaf(a), bv = Leaf(bm);
  Tensor out;
  {
    AutocastScope scope(MathPrecision::kBFloat16);
    out = Matmul(av, bv);  // a matrix shared by the batch
  }
  const Tensor ref = Matmul(RoundedCopy(a).To(DType::kFloat64), RoundedCopy(bm).To(DType::kFloat64));
  ExpectBf16Of(out, ref, "matmul");
  Sum(out).Backward();
  EXPECT_EQ(Bf16Fraction(av.grad()), 1.0);
  // bv's gradient is a float32 sum over the batch of bf16 products: not checked for bf16 values.
  const Tensor fp = Matmul(a, bm);
  EXPECT_LT(MaxAbsDiff(out, fp), 0.03 * MaxAbs(fp));
  AutocastScope scope(MathPrecision::kBFloat16);
  const Tensor lin = Linear(Random({6, 40}, 15), Random({9, 40}, 16));
  EXPECT_EQ(Bf16Fraction(lin), 1.0);
}

TEST(Autocast, Float64IsNeverAffected) {
  const Tensor x = Random({2, 3, 6, 6}, 17).To(DType::kFloat64), w = Random({4, 3, 3, 3}, 18).To(DType::kFloat64);
  const Tensor plain = Conv2d(x, w, Tensor(), Conv2dParams{});
  const Tensor mplain = Matmul(x.Reshape({6, 36}), x.Reshape({36, 6}));
  AutocastScope scope(MathPrecision::kBFloat16);
  EXPECT_EQ(Conv2d(x, w, Tensor(), Conv2dParams{}).ToVector<double>(), plain.ToVector<double>());
  EXPECT_EQ(Matmul(x.Reshape({6, 36}), x.Reshape({36, 6})).ToVector<double>(), mplain.ToVector<double>());
}

#ifdef NB360_WITH_CUDA
bool HaveGpu() { return InitCudaBackend().ok(); }

// CUDA bf16 (cuDNN / cuBLAS tensor cores) against the CPU reference: equal up to one bf16 rounding
// step where float32 accumulation orders differ.
void ExpectCloseBf16(const Tensor& cuda, const Tensor& cpu, const char* what) {
  const std::vector<float> g = cuda.To(Device::CPU()).Contiguous().ToVector<float>();
  const std::vector<float> r = cpu.Contiguous().ToVector<float>();
  ASSERT_EQ(g.size(), r.size());
  const double scale = MaxAbs(cpu);
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_LE(std::abs(static_cast<double>(g[i]) - r[i]), std::ldexp(std::abs(r[i]), -7) + 1e-5 * scale)
        << what << " element " << i;
  }
}

TEST(AutocastCuda, ConvMatchesCpuReference) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  const Tensor x = Random({4, 16, 12, 12}, 21), w = Random({32, 16, 3, 3}, 22), b = Random({32}, 23);
  for (bool channels_last : {false, true}) {
    const Tensor xin = channels_last ? ToChannelsLast(x) : x;
    Conv2dParams p;
    p.pad_h = p.pad_w = 1;
    const ConvRun cpu = RunConv(xin, w, b, p, true);
    const ConvRun gpu = RunConv(xin, w, b, p, true, Device::CUDA());
    ExpectCloseBf16(gpu.y, cpu.y, "y");
    ExpectCloseBf16(gpu.gx, cpu.gx, "gx");
    ExpectCloseBf16(gpu.gw, cpu.gw, "gw");
    ExpectCloseBf16(gpu.gb, cpu.gb, "gb");
  }
}

TEST(AutocastCuda, MatmulMatchesCpuReference) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  const Tensor a = Random({3, 33, 64}, 24), b = Random({64, 17}, 25), c = Random({3, 64, 17}, 26);
  AutocastScope scope(MathPrecision::kBFloat16);
  ExpectCloseBf16(Matmul(a.To(Device::CUDA()), b.To(Device::CUDA())), Matmul(a, b), "shared right");
  ExpectCloseBf16(Matmul(a.To(Device::CUDA()), c.To(Device::CUDA())), Matmul(a, c), "batched");
  ExpectCloseBf16(Matmul(a.To(Device::CUDA()).Transpose(1, 2), a.To(Device::CUDA())),
                  Matmul(a.Transpose(1, 2), a), "transposed left");
}
#endif

}  // namespace
}  // namespace nb360
