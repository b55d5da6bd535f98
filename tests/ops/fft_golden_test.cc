// Golden parity of the fft family against PyTorch 1.13 (tests/ops/golden/make_fft_golden.py):
// torch.fft.rfft2, torch.fft.irfft2(s=...) and the FNO SpectralConv2d module (complex weights,
// einsum mixing), forward and the gradients of sum(y * r), in float64 and float32, with each
// transform algorithm.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "engine/io/npy.h"
#include "engine/rng.h"
#include "ops/elementwise.h"
#include "ops/fft.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

Tensor Load(const std::string& name) {
  const std::string path = "tests/ops/golden/data/fft_" + name + ".npy";
  absl::StatusOr<Tensor> t = io::ReadNpy(path);
  if (!t.ok()) ADD_FAILURE() << t.status();
  return t.ok() ? *t : Tensor::Zeros({1}, DType::kFloat64);
}

// max |a - b| / max(1e-3, max |b|): error relative to the tensor's scale.
double ScaledErr(const Tensor& a, const Tensor& b) {
  if (!a.defined() || a.shape() != b.shape()) return INFINITY;
  const auto va = a.To(DType::kFloat64).ToVector<double>();
  const auto vb = b.To(DType::kFloat64).ToVector<double>();
  double scale = 1e-3, err = 0;
  for (double v : vb) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < va.size(); ++i) err = std::max(err, std::abs(va[i] - vb[i]));
  return err / scale;
}

double Tolerance(DType dt) { return dt == DType::kFloat64 ? 1e-11 : 2e-5; }

// Parameters: dtype and transform algorithm.
class FftGolden : public ::testing::TestWithParam<std::tuple<DType, FftAlgorithm>> {
 protected:
  DType dt() const { return std::get<0>(GetParam()); }
  FftAlgorithm algo() const { return std::get<1>(GetParam()); }
};

TEST_P(FftGolden, Rfft2) {
  for (const std::string c : {"rfft2_8x8", "rfft2_6x5_batched"}) {
    Tensor x = Load(c + "_x").To(dt());
    x.set_requires_grad(true);
    const Tensor y = Rfft2(x, algo());
    Sum(Mul(y, Load(c + "_r").To(dt()))).Backward();
    EXPECT_LE(ScaledErr(y, Load(c + "_y")), Tolerance(dt())) << c;
    EXPECT_LE(ScaledErr(x.grad(), Load(c + "_gx")), Tolerance(dt())) << c;
  }
}

TEST_P(FftGolden, Irfft2) {
  for (const std::string c :
       {"irfft2_8x8", "irfft2_7x9_batched", "irfft2_pad_to_7x8", "irfft2_crop_to_4x6"}) {
    Tensor x = Load(c + "_x").To(dt());
    x.set_requires_grad(true);
    const Tensor want = Load(c + "_y");
    const Tensor y = Irfft2(x, want.size(-2), want.size(-1), algo());
    Sum(Mul(y, Load(c + "_r").To(dt()))).Backward();
    EXPECT_LE(ScaledErr(y, want), Tolerance(dt())) << c;
    EXPECT_LE(ScaledErr(x.grad(), Load(c + "_gx")), Tolerance(dt())) << c;
  }
}

// The FNO layer's forward and the gradients of x and of both complex weights.
TEST_P(FftGolden, SpectralConv2dMatchesTorchFnoLayer) {
  for (const std::string c : {"spectral_fno_20x20_m5", "spectral_odd_9x11_m3x4"}) {
    Tensor x = Load(c + "_x").To(dt());
    Tensor w1 = Load(c + "_w1").To(dt());
    Tensor w2 = Load(c + "_w2").To(dt());
    for (Tensor* t : {&x, &w1, &w2}) t->set_requires_grad(true);
    const Tensor y = SpectralConv2d(x, w1, w2, w1.size(2), w1.size(3), algo());
    Sum(Mul(y, Load(c + "_r").To(dt()))).Backward();
    EXPECT_LE(ScaledErr(y, Load(c + "_y")), Tolerance(dt())) << c;
    EXPECT_LE(ScaledErr(x.grad(), Load(c + "_gx")), Tolerance(dt())) << c;
    EXPECT_LE(ScaledErr(w1.grad(), Load(c + "_gw1")), Tolerance(dt())) << c;
    EXPECT_LE(ScaledErr(w2.grad(), Load(c + "_gw2")), Tolerance(dt())) << c;
  }
}

// irfft2(rfft2(x), H, W) == x for even and odd sizes.
TEST_P(FftGolden, Irfft2InvertsRfft2) {
  for (const std::string c : {"spectral_fno_20x20_m5", "spectral_odd_9x11_m3x4"}) {
    const Tensor x = Load(c + "_x").To(dt());
    const Tensor back = Irfft2(Rfft2(x, algo()), x.size(2), x.size(3), algo());
    EXPECT_LE(ScaledErr(back, x), dt() == DType::kFloat64 ? 1e-13 : 1e-5) << c;
  }
}

// At the FNO grids (94 = 2 * 47 and 137, prime) both transforms agree in float32 with float64.
TEST(FftAlgorithms, AgreeInFloat32AtFnoGrids) {
  for (const int64_t g : {94, 137}) {
    Generator gen(g);
    Tensor x = Tensor::Empty({1, 2, g, g}, DType::kFloat64);
    Tensor w1 = Tensor::Empty({2, 3, 12, 12, 2}, DType::kFloat64);
    Tensor w2 = Tensor::Empty({2, 3, 12, 12, 2}, DType::kFloat64);
    for (Tensor* t : {&x, &w1, &w2}) gen.Normal(*t);
    const Tensor y64 = SpectralConv2d(x, w1, w2, 12, 12, FftAlgorithm::kFft);
    const Tensor X64 = Rfft2(x, FftAlgorithm::kFft);
    for (const FftAlgorithm a : {FftAlgorithm::kFft, FftAlgorithm::kDft}) {
      const Tensor x32 = x.To(DType::kFloat32);
      const Tensor y32 = SpectralConv2d(x32, w1.To(DType::kFloat32), w2.To(DType::kFloat32), 12, 12, a);
      EXPECT_LE(ScaledErr(y32, y64), 1e-5) << g << " algorithm " << static_cast<int>(a);
      EXPECT_LE(ScaledErr(Rfft2(x32, a), X64), 1e-5) << g << " algorithm " << static_cast<int>(a);
      EXPECT_LE(ScaledErr(Irfft2(X64.To(DType::kFloat32), g, g, a), x), 1e-5) << g;
    }
    // The two float64 transforms agree to rounding.
    EXPECT_LE(ScaledErr(SpectralConv2d(x, w1, w2, 12, 12, FftAlgorithm::kDft), y64), 1e-12) << g;
  }
}

// Shape errors name the op and the shapes; empty batches work.
TEST(FftChecks, ErrorsAndEmptyBatches) {
  auto message = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Tensor x = Tensor::Zeros({2, 3, 8, 8});
  const Tensor w = Tensor::Zeros({3, 4, 5, 2, 2});
  EXPECT_NE(message([&] { SpectralConv2d(x, w, w, 5, 2); }).find("SpectralConv2d: modes (5, 2)"),
            std::string::npos);
  EXPECT_NE(message([&] { Irfft2(Tensor::Zeros({4, 3, 3}), 4, 4); }).find("Irfft2: X must be"),
            std::string::npos);
  EXPECT_NE(message([&] { Rfft2(Tensor::Zeros({5})); }).find("Rfft2: x must be"), std::string::npos);

  Tensor empty = Tensor::Zeros({0, 3, 8, 8});
  Tensor w1 = Tensor::Ones({3, 4, 2, 2, 2});
  empty.set_requires_grad(true);
  w1.set_requires_grad(true);
  const Tensor y = SpectralConv2d(empty, w1, w1.Detach(), 2, 2);
  EXPECT_EQ(y.shape(), (Shape{0, 4, 8, 8}));
  Sum(y).Backward();
  EXPECT_EQ(w1.grad().shape(), w1.shape());
  EXPECT_EQ(Rfft2(empty).shape(), (Shape{0, 3, 8, 5, 2}));
}

std::string ParamName(const ::testing::TestParamInfo<std::tuple<DType, FftAlgorithm>>& i) {
  static const char* algos[] = {"auto", "fft", "dft"};
  return std::string(DTypeName(std::get<0>(i.param))) + "_" + algos[static_cast<int>(std::get<1>(i.param))];
}

INSTANTIATE_TEST_SUITE_P(All, FftGolden,
                         ::testing::Combine(::testing::Values(DType::kFloat64, DType::kFloat32),
                                            ::testing::Values(FftAlgorithm::kAuto, FftAlgorithm::kFft,
                                                              FftAlgorithm::kDft)),
                         ParamName);

}  // namespace
}  // namespace nb360
