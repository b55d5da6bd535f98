// Golden parity of the pooling ops with PyTorch 1.13: forward and input gradients, in float64 and
// float32, for every case in tests/ops/golden/data/pool/manifest.txt (written, with the data, by
// tests/ops/golden/make_pool_golden.py; see its docstring for the format).
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "engine/io/npy.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

const char kDir[] = "tests/ops/golden/data/pool/";

struct GoldenCase {
  std::string name, op;
  int64_t n, c, h, w, k, s, p, ceil, include_pad, out_h, out_w;
};

std::vector<GoldenCase> ReadManifest() {
  std::vector<GoldenCase> cases;
  std::ifstream in(std::string(kDir) + "manifest.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream is(line);
    GoldenCase g;
    is >> g.name >> g.op >> g.n >> g.c >> g.h >> g.w >> g.k >> g.s >> g.p >> g.ceil >> g.include_pad >> g.out_h >>
        g.out_w;
    cases.push_back(g);
  }
  return cases;
}

bool Is1d(const GoldenCase& g) { return g.op == "max1d" || g.op == "avg1d" || g.op == "adaptive1d"; }

Tensor Apply(const GoldenCase& g, const Tensor& x) {
  if (g.op == "max2d") return MaxPool2d(x, g.k, g.s, g.p, g.ceil != 0);
  if (g.op == "avg2d") return AvgPool2d(x, g.k, g.s, g.p, g.include_pad != 0, g.ceil != 0);
  if (g.op == "max1d") return MaxPool1d(x, g.k, g.s, g.p);
  if (g.op == "avg1d") return AvgPool1d(x, g.k, g.s, g.p, g.include_pad != 0);
  if (g.op == "adaptive2d") return AdaptiveAvgPool2d(x, g.out_h, g.out_w);
  if (g.op == "adaptive1d") return AdaptiveAvgPool1d(x, g.out_w);
  if (g.op == "global") return GlobalAvgPool2d(x);
  ADD_FAILURE() << "unknown op " << g.op;
  return x;
}

// max |a - b| / (1 + |b|), NaN matching NaN; infinity where one is NaN and the other is not or
// infinities differ.
double Err(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i])) {
      if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
      continue;
    }
    if (std::isinf(b[i])) {
      if (a[i] != b[i]) return INFINITY;
      continue;
    }
    e = std::max(e, std::abs(a[i] - b[i]) / (1.0 + std::abs(b[i])));
  }
  return e;
}

class PoolGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(PoolGolden, ForwardAndGradientMatchPyTorch) {
  const GoldenCase& g = GetParam();
  absl::StatusOr<Tensor> data = io::ReadNpy(std::string(kDir) + g.name + ".npy");
  ASSERT_TRUE(data.ok()) << data.status();
  const std::vector<double> flat = data->To(DType::kFloat64).ToVector<double>();
  const Shape x_shape = Is1d(g) ? Shape{g.n, g.c, g.w} : Shape{g.n, g.c, g.h, g.w};
  const int64_t nx = NumElements(x_shape);
  const int64_t ny = static_cast<int64_t>(flat.size()) - 2 * nx;
  ASSERT_GT(ny, 0) << g.name;
  const std::vector<double> x(flat.begin(), flat.begin() + nx);
  const std::vector<double> y_ref(flat.begin() + nx, flat.begin() + nx + ny);
  const std::vector<double> gx_ref(flat.begin() + nx + ny, flat.end());

  for (DType dt : {DType::kFloat64, DType::kFloat32}) {
    SCOPED_TRACE(std::string(DTypeName(dt)));
    Tensor xt = Tensor::FromVector(x, x_shape).To(dt);
    xt.set_requires_grad(true);
    const Tensor y = Apply(g, xt);
    ASSERT_EQ(y.numel(), ny) << g.name << ": output " << y.Describe();
    std::vector<double> r(ny);
    for (int64_t i = 0; i < ny; ++i) r[i] = std::cos(0.37 * i + 0.1);
    y.Backward(Tensor::FromVector(r, y.shape()).To(dt));
    ASSERT_TRUE(xt.grad().defined());
    // The files hold float32 roundings of float64 results.
    const double tol = dt == DType::kFloat64 ? 1e-6 : 1e-5;
    EXPECT_LE(Err(y.To(DType::kFloat64).ToVector<double>(), y_ref), tol) << g.name << " forward";
    EXPECT_LE(Err(xt.grad().To(DType::kFloat64).ToVector<double>(), gx_ref), tol) << g.name << " gradient";
    // Forward without autograd takes other paths (no argmax indices).
    NoGradGuard no_grad;
    const Tensor y_plain = Apply(g, xt.Detach());
    EXPECT_LE(Err(y_plain.To(DType::kFloat64).ToVector<double>(), y_ref), tol) << g.name << " forward, no grad";
  }
}

std::string CaseName(const ::testing::TestParamInfo<GoldenCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Manifest, PoolGolden, ::testing::ValuesIn(ReadManifest()), CaseName);

TEST(PoolGoldenData, ManifestIsThere) { EXPECT_GE(ReadManifest().size(), 90u); }

}  // namespace
}  // namespace nb360
