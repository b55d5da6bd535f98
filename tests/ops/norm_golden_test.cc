// Golden parity with PyTorch 1.13 for BatchNorm (train: output, input/weight/bias gradients and the
// updated running statistics; eval), LayerNorm and Interpolate. The data come from
// tests/ops/golden/make_norm_golden.py (see its docstring for the file layout); each case runs in
// float64 (tight tolerance: the golden values are float64 results rounded to float32) and in float32.
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "engine/io/npz.h"
#include "ops/elementwise.h"
#include "ops/interpolate.h"
#include "ops/norm.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

const char kDir[] = "tests/ops/golden/data/norm/";

struct GoldenCase {
  std::string name, op;
};

std::vector<GoldenCase> Manifest() {
  std::ifstream f(std::string(kDir) + "manifest.txt");
  std::vector<GoldenCase> cases;
  GoldenCase c;
  while (f >> c.name >> c.op) cases.push_back(c);
  return cases;
}

// max |a - b| / max(1, max |b|).
double ScaledErr(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape()) << a.Describe() << " vs " << b.Describe();
  if (a.shape() != b.shape()) return INFINITY;
  const std::vector<double> va = a.ToVector<double>(), vb = b.ToVector<double>();
  double e = 0, s = 1;
  for (size_t i = 0; i < va.size(); ++i) {
    e = std::max(e, std::abs(va[i] - vb[i]));
    s = std::max(s, std::abs(vb[i]));
  }
  return e / s;
}

class NormGolden : public ::testing::TestWithParam<DType> {
 protected:
  // Golden tensor `key` of the current case in dtype `dt` (a leaf that may require grad).
  Tensor Get(const std::map<std::string, Tensor>& m, const std::string& key, bool grad = false) {
    auto it = m.find(key);
    if (it == m.end()) return Tensor();
    Tensor t = it->second.To(GetParam()).Contiguous().Detach();
    if (grad) t.set_requires_grad(true);
    return t;
  }
  double Tol() const { return GetParam() == DType::kFloat64 ? 2e-6 : 1e-4; }

  void Expect(const std::string& what, const Tensor& ours, const std::map<std::string, Tensor>& m,
              const std::string& key) {
    ASSERT_TRUE(ours.defined()) << what << ": no result for " << key;
    const double e = ScaledErr(ours.To(DType::kFloat64), m.at(key).To(DType::kFloat64));
    EXPECT_LE(e, Tol()) << what << ": " << key << " differs from PyTorch by " << e;
  }
};

TEST_P(NormGolden, MatchesPyTorch) {
  const std::vector<GoldenCase> cases = Manifest();
  ASSERT_GE(cases.size(), 19u) << "manifest missing or short: " << kDir << "manifest.txt";
  for (const GoldenCase& c : cases) {
    auto read = io::ReadNpzMap(std::string(kDir) + c.name + ".npz");
    ASSERT_TRUE(read.ok()) << read.status();
    const std::map<std::string, Tensor>& m = *read;
    const std::vector<float> meta = m.at("meta").ToVector<float>();
    Tensor x = Get(m, "x", true), w = Get(m, "w", true), b = Get(m, "b", true);
    Tensor y;
    if (c.op == "batch_norm") {
      Tensor rm = Get(m, "rm"), rv = Get(m, "rv");
      y = BatchNorm(x, w, b, rm, rv, meta[0] != 0, meta[1], meta[2]);
      if (rm.defined()) {
        Expect(c.name, rm, m, "rm_out");
        Expect(c.name, rv, m, "rv_out");
      }
    } else if (c.op == "layer_norm") {
      const int64_t k = static_cast<int64_t>(meta[2]);
      const Shape normalized(x.shape().end() - k, x.shape().end());
      y = LayerNorm(x, normalized, w, b, meta[0]);
    } else {
      ASSERT_EQ(c.op, "interpolate");
      y = Interpolate(x, static_cast<int64_t>(meta[2]), static_cast<int64_t>(meta[3]),
                      meta[0] != 0 ? InterpolateMode::kBilinear : InterpolateMode::kNearest, meta[1] != 0);
    }
    Expect(c.name, y, m, "y");
    Sum(Mul(y, Get(m, "r"))).Backward();
    Expect(c.name, x.grad(), m, "gx");
    if (w.defined()) Expect(c.name, w.grad(), m, "gw");
    if (b.defined()) Expect(c.name, b.grad(), m, "gb");
  }
}

INSTANTIATE_TEST_SUITE_P(DTypes, NormGolden, ::testing::Values(DType::kFloat64, DType::kFloat32),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(DTypeName(info.param));
                         });

}  // namespace
}  // namespace nb360
