// Golden parity of Conv1d, Conv2d and ConvTranspose2d with PyTorch 1.13: forward output and the
// gradients of input, weight and bias for a fixed upstream gradient, in float64 and float32.
// The data comes from tests/ops/golden/make_conv_golden.py (see there for the file format); the
// inputs are an integer pattern both sides compute exactly, so only PyTorch's results are stored.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "ops/conv.h"

namespace nb360 {
namespace {

constexpr char kIndex[] = "tests/ops/golden/data/conv_golden.txt";
constexpr char kData[] = "tests/ops/golden/data/conv_golden.f32";

struct GoldenCase {
  std::string name, op;
  std::map<std::string, std::string> fields;  // key=value pairs of the index line
};

std::vector<int64_t> Ints(const std::string& csv) {
  std::vector<int64_t> v;
  std::stringstream ss(csv);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoll(item));
  return v;
}

std::vector<GoldenCase> LoadIndex() {
  std::ifstream in(kIndex);
  std::vector<GoldenCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    GoldenCase c;
    ss >> c.name >> c.op;
    std::string field;
    while (ss >> field) {
      const size_t eq = field.find('=');
      c.fields[field.substr(0, eq)] = field.substr(eq + 1);
    }
    cases.push_back(c);
  }
  return cases;
}

std::vector<float> LoadData() {
  std::ifstream in(kData, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / sizeof(float));
  for (size_t i = 0; i < v.size(); ++i) {  // little-endian on disk and on every target we build for
    uint32_t u = 0;
    for (int b = 3; b >= 0; --b) u = (u << 8) | static_cast<unsigned char>(bytes[4 * i + b]);
    std::memcpy(&v[i], &u, sizeof(u));
  }
  return v;
}

// ((i * 7919 + seed * 104729) mod 2003) / 1001.5 - 1 for element i, as the generator computes it.
Tensor Pattern(const Shape& shape, int64_t seed, double scale = 1.0) {
  Tensor t = Tensor::Empty(shape, DType::kFloat64);
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    p[i] = scale * (static_cast<double>((i * 7919 + seed * 104729) % 2003) / 1001.5 - 1.0);
  }
  return t;
}

// The stored result `key` of case c: "offset:shape".
Tensor Expected(const GoldenCase& c, const std::string& key, const std::vector<float>& data) {
  const std::string& f = c.fields.at(key);
  const int64_t offset = std::stoll(f.substr(0, f.find(':')));
  const Shape shape = Ints(f.substr(f.find(':') + 1));
  Tensor t = Tensor::Empty(shape, DType::kFloat64);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = data.at(offset + i);
  return t;
}

// max |a - b| / max(1, max |b|).
double ScaledError(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  const std::vector<double> va = a.To(DType::kFloat64).ToVector<double>(), vb = b.ToVector<double>();
  double scale = 1.0, err = 0.0;
  for (double v : vb) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < va.size(); ++i) err = std::max(err, std::abs(va[i] - vb[i]));
  return err / scale;
}

struct Results {
  Tensor out, gx, gw, gb;
};

Results Run(const GoldenCase& c, DType dtype) {
  const int64_t seed = std::stoll(c.fields.at("seed"));
  const Shape xs = Ints(c.fields.at("x")), ws = Ints(c.fields.at("w"));
  const std::vector<int64_t> s = Ints(c.fields.at("stride")), p = Ints(c.fields.at("pad"));
  const std::vector<int64_t> d = Ints(c.fields.at("dilation")), op = Ints(c.fields.at("output_pad"));
  const int64_t groups = std::stoll(c.fields.at("groups"));
  const bool has_bias = c.fields.at("bias") == "1";
  const int64_t out_channels = c.op == "conv_transpose2d" ? ws[1] * groups : ws[0];
  Tensor x = Pattern(xs, seed).To(dtype).set_requires_grad(true);
  Tensor w = Pattern(ws, seed + 1, 0.5).To(dtype).set_requires_grad(true);
  Tensor b = has_bias ? Pattern({out_channels}, seed + 2).To(dtype).set_requires_grad(true) : Tensor();
  Tensor y;
  if (c.op == "conv2d") {
    y = Conv2d(x, w, b, Conv2dParams{s[0], s[1], p[0], p[1], d[0], d[1], groups});
  } else if (c.op == "conv1d") {
    y = Conv1d(x, w, b, Conv1dParams{s[0], p[0], d[0], groups});
  } else {
    y = ConvTranspose2d(x, w, b,
                        ConvTranspose2dParams{s[0], s[1], p[0], p[1], op[0], op[1], d[0], d[1], groups});
  }
  y.Backward(Pattern(y.shape(), seed + 3).To(dtype));
  return {y.Detach(), x.grad(), w.grad(), has_bias ? b.grad() : Tensor()};
}

void CheckAll(DType dtype, double tol) {
  const std::vector<GoldenCase> cases = LoadIndex();
  const std::vector<float> data = LoadData();
  ASSERT_EQ(cases.size(), 43u) << "golden index " << kIndex << " missing or changed";
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.name + " (" + std::string(DTypeName(dtype)) + ")");
    const Results r = Run(c, dtype);
    EXPECT_LE(ScaledError(r.out, Expected(c, "out", data)), tol) << "forward";
    EXPECT_LE(ScaledError(r.gx, Expected(c, "gx", data)), tol) << "input gradient";
    EXPECT_LE(ScaledError(r.gw, Expected(c, "gw", data)), tol) << "weight gradient";
    if (c.fields.count("gb")) {
      EXPECT_LE(ScaledError(r.gb, Expected(c, "gb", data)), tol) << "bias gradient";
    }
  }
}

// Stored values are float32-rounded float64 results: 1e-6 leaves room for that rounding only.
TEST(ConvGolden, Float64MatchesPyTorch) { CheckAll(DType::kFloat64, 1e-6); }

// float32 runs oneDNN on float32-rounded inputs.
TEST(ConvGolden, Float32MatchesPyTorch) { CheckAll(DType::kFloat32, 2e-5); }

}  // namespace
}  // namespace nb360
