// Golden parity with PyTorch 1.13 for the losses and attention (data: tests/ops/golden/make_loss_golden.py),
// forward and gradients in float64 and float32, plus the error messages for invalid targets.
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/io/npz.h"
#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

using Arrays = std::map<std::string, Tensor>;

Arrays Load(const std::string& name) {
  const std::string path = "tests/ops/golden/data/loss_" + name + ".npz";
  auto m = io::ReadNpzMap(path);
  EXPECT_TRUE(m.ok()) << path << ": " << m.status();
  return m.ok() ? *m : Arrays();
}

// max |a - b| <= atol + rtol * max|b| (the whole tensor's scale).
void ExpectClose(const Tensor& ours, const Tensor& ref, double rtol, const std::string& what) {
  ASSERT_TRUE(ours.defined()) << what << ": no tensor";
  ASSERT_EQ(ours.shape(), ref.shape()) << what;
  const auto a = ours.To(DType::kFloat64).ToVector<double>();
  const auto b = ref.To(DType::kFloat64).ToVector<double>();
  double scale = 1.0, worst = 0.0;
  for (double v : b) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::isnan(a[i]), std::isnan(b[i])) << what << " element " << i;
    if (!std::isnan(b[i])) worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  EXPECT_LE(worst, rtol * scale) << what << " (scale " << scale << ")";
}

// Runs `op` on the archive's inputs in `dt`, seeds backward with `g`, and compares the output and the
// gradients of `diff` with torch's `*_f64` / `*_f32` arrays.
void Check(const std::string& name, const std::vector<std::string>& diff,
           const std::function<Tensor(const Arrays&)>& op) {
  const Arrays data = Load(name);
  ASSERT_FALSE(data.empty());
  for (DType dt : {DType::kFloat64, DType::kFloat32}) {
    const std::string tag = dt == DType::kFloat64 ? "f64" : "f32";
    const double tol = dt == DType::kFloat64 ? 1e-10 : 2e-5;
    Arrays in;
    for (const auto& [k, v] : data) in[k] = IsFloating(v.dtype()) ? v.Detach().To(dt) : v;
    for (const std::string& k : diff) in[k].set_requires_grad(true);
    const Tensor out = op(in);
    ExpectClose(out, data.at("out_" + tag), tol, name + " forward " + tag);
    out.Backward(data.at("g").To(dt).Reshape(out.shape()));
    for (const std::string& k : diff) {
      ExpectClose(in[k].grad(), data.at("grad_" + k + "_" + tag), tol, name + " d/d" + k + " " + tag);
    }
  }
}

TEST(LossGolden, CrossEntropy) {
  struct Spec {
    const char* name;
    int64_t ignore;
    Reduction red;
    double smoothing;
  };
  for (const Spec& s : {Spec{"ce_2d_weight_ignore_mean", -100, Reduction::kMean, 0.0},
                        Spec{"ce_2d_weight_ignore_smoothing_sum", -100, Reduction::kSum, 0.15},
                        Spec{"ce_4d_weight_ignore_none", 255, Reduction::kNone, 0.0},
                        Spec{"ce_4d_weight_ignore_smoothing_mean", 255, Reduction::kMean, 0.1}}) {
    Check(s.name, {"logits"}, [&](const Arrays& in) {
      return CrossEntropy(in.at("logits"), in.at("target"), in.at("weight"), s.ignore, s.red, s.smoothing);
    });
  }
}

TEST(LossGolden, BinaryCrossEntropyWithLogits) {
  for (auto [name, red] : {std::pair{"bce_weight_pos_weight_mean", Reduction::kMean},
                           std::pair{"bce_weight_pos_weight_none", Reduction::kNone}}) {
    Check(name, {"logits", "target"}, [red = red](const Arrays& in) {
      return BinaryCrossEntropyWithLogits(in.at("logits"), in.at("target"), in.at("weight"), in.at("pos_weight"),
                                          red);
    });
  }
}

TEST(LossGolden, ScaledDotProductAttention) {
  for (const char* name : {"attention_unmasked", "attention_float_mask", "attention_bool_mask"}) {
    Check(name, {"q", "k", "v"}, [](const Arrays& in) {
      const Tensor mask = in.count("mask") ? in.at("mask") : Tensor();
      return ScaledDotProductAttention(in.at("q"), in.at("k"), in.at("v"), mask);
    });
  }
}

TEST(LossGolden, MultiHeadAttention) {
  const std::vector<std::string> params{"in_w", "in_b", "out_w", "out_b"};
  std::vector<std::string> diff{"query", "key", "value"};
  diff.insert(diff.end(), params.begin(), params.end());
  Check("mha_cross_float_mask", diff, [](const Arrays& in) {
    return MultiHeadAttention(in.at("query"), in.at("key"), in.at("value"), 2, in.at("in_w"), in.at("in_b"),
                              in.at("out_w"), in.at("out_b"), in.at("mask"));
  });
  diff = {"x"};
  diff.insert(diff.end(), params.begin(), params.end());
  Check("mha_self_bool_mask", diff, [](const Arrays& in) {
    const Tensor& x = in.at("x");
    return MultiHeadAttention(x, x, x, 2, in.at("in_w"), in.at("in_b"), in.at("out_w"), in.at("out_b"),
                              in.at("mask"));
  });
}

// The message of the nb360::Error thrown by fn ("" if none).
std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LossErrors, InvalidTargetsNameTheOpAndValues) {
  const Tensor logits = Tensor::Zeros({3, 4});
  const Tensor bad = Tensor::FromVector<int64_t>({0, 4, 1}, {3});
  std::string msg = ErrorOf([&] { CrossEntropy(logits, bad); });
  EXPECT_NE(msg.find("CrossEntropy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("target value 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 4]"), std::string::npos) << msg;
  EXPECT_EQ(ErrorOf([&] { CrossEntropy(logits, Tensor::FromVector<int64_t>({0, -100, 1}, {3})); }), "");

  msg = ErrorOf([&] { CrossEntropy(logits, Tensor::FromVector<int64_t>({0, 1}, {2})); });
  EXPECT_NE(msg.find("CrossEntropy: target"), std::string::npos) << msg;
  msg = ErrorOf([&] { CrossEntropy(logits, Tensor::Zeros({3})); });  // float labels
  EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
  msg = ErrorOf([&] { CrossEntropy(logits, Tensor::FromVector<int64_t>({0, 1, 2}, {3}), Tensor::Ones({5})); });
  EXPECT_NE(msg.find("weight"), std::string::npos) << msg;

  Tensor t = Tensor::Zeros({2, 3});
  t.data<float>()[4] = std::numeric_limits<float>::quiet_NaN();
  msg = ErrorOf([&] { BinaryCrossEntropyWithLogits(Tensor::Zeros({2, 3}), t); });
  EXPECT_NE(msg.find("BinaryCrossEntropyWithLogits"), std::string::npos) << msg;
  EXPECT_NE(msg.find("NaN"), std::string::npos) << msg;
  msg = ErrorOf([&] { BinaryCrossEntropyWithLogits(Tensor::Zeros({2, 3}), Tensor::Zeros({3, 2})); });
  EXPECT_NE(msg.find("[3, 2]"), std::string::npos) << msg;
  msg = ErrorOf([&] {
    BinaryCrossEntropyWithLogits(Tensor::Zeros({2, 3}), Tensor::Zeros({2, 3}), Tensor(), Tensor::Ones({4}));
  });
  EXPECT_NE(msg.find("pos_weight"), std::string::npos) << msg;
  msg = ErrorOf([&] { RelativeL2Loss(Tensor::Zeros({2, 3}), Tensor::Zeros({2, 4})); });
  EXPECT_NE(msg.find("RelativeL2Loss"), std::string::npos) << msg;
  msg = ErrorOf([&] { MseLoss(Tensor::Zeros({2, 3}), Tensor::Zeros({3})); });
  EXPECT_NE(msg.find("MseLoss"), std::string::npos) << msg;
}

TEST(LossErrors, AttentionShapes) {
  const Tensor q = Tensor::Zeros({1, 2, 3, 4}), k = Tensor::Zeros({1, 2, 5, 4}), v = Tensor::Zeros({1, 2, 5, 6});
  EXPECT_EQ(ScaledDotProductAttention(q, k, v).shape(), (Shape{1, 2, 3, 6}));
  std::string msg = ErrorOf([&] { ScaledDotProductAttention(q, Tensor::Zeros({1, 2, 5, 3}), v); });
  EXPECT_NE(msg.find("ScaledDotProductAttention"), std::string::npos) << msg;
  msg = ErrorOf([&] { ScaledDotProductAttention(q, k, v, Tensor::Zeros({4, 5})); });
  EXPECT_NE(msg.find("mask"), std::string::npos) << msg;
  const Tensor x = Tensor::Zeros({2, 3, 6});
  msg = ErrorOf([&] {
    MultiHeadAttention(x, x, x, 4, Tensor::Zeros({18, 6}), Tensor(), Tensor::Zeros({6, 6}), Tensor());
  });
  EXPECT_NE(msg.find("num_heads 4"), std::string::npos) << msg;
}

// Ignored targets contribute nothing; all ignored gives NaN under kMean (0 / 0), as PyTorch.
TEST(LossSemantics, AllIgnoredMeanIsNaN) {
  const Tensor logits = Tensor::Zeros({2, 3});
  const Tensor target = Tensor::FromVector<int64_t>({-100, -100}, {2});
  EXPECT_TRUE(std::isnan(CrossEntropy(logits, target).item()));
  EXPECT_EQ(CrossEntropy(logits, target, Tensor(), -100, Reduction::kSum).item(), 0.0);
}

TEST(LossSemantics, RelativeL2IsTheDarcyFlowSum) {
  // Two samples: rel = 0.5 and 1 (pred = 1.5 t and pred = 0), summed by default.
  const Tensor t = Tensor::FromVector<float>({3, 4, 1, 0}, {2, 2});
  const Tensor p = Tensor::FromVector<float>({4.5f, 6, 0, 0}, {2, 2});
  EXPECT_NEAR(RelativeL2Loss(p, t).item(), 1.5, 1e-6);
  EXPECT_NEAR(RelativeL2Loss(p, t, Reduction::kMean).item(), 0.75, 1e-6);
}

}  // namespace
}  // namespace nb360
