// tests/baselines/wrn/wrn_parity_test.cc: forward/backward parity with PyTorch 1.13 on identical
// weights. golden/make_wrn_golden.py builds the same modules in torch (WRN-10-1 point / audio /
// NinaPro-shaped / dense, ResNet1D with mid 8) and stores the state dict, input, output gradient,
// train-mode output, input and parameter gradients, running statistics after the step and the
// eval-mode output; here the state is loaded with Module::LoadStateDict (strict) and everything is
// compared at 1e-4 relative (float32).
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "baselines/wrn/wrn.h"
#include "engine/autograd.h"
#include "engine/io/npz.h"
#include "gtest/gtest.h"

namespace nb360::baselines {
namespace {

const char kDir[] = "tests/baselines/wrn/golden/data/";

using Golden = std::map<std::string, Tensor>;

Golden Load(const std::string& name) {
  auto m = io::ReadNpzMap(kDir + name + ".npz");
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : Golden{};
}

// |a - b| <= 1e-4 (|b| + max|b|) element-wise.
void ExpectClose(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  Tensor a = actual.Contiguous(), b = expected.Contiguous();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  double max_abs = 0;
  for (int64_t i = 0; i < b.numel(); ++i) max_abs = std::max(max_abs, std::fabs(double(pb[i])));
  int bad = 0;
  for (int64_t i = 0; i < b.numel() && bad < 5; ++i) {
    const double tol = 1e-4 * (std::fabs(double(pb[i])) + max_abs);
    if (!(std::fabs(double(pa[i]) - pb[i]) <= tol)) {
      ++bad;
      ADD_FAILURE() << what << "[" << i << "]: " << pa[i] << " vs torch " << pb[i];
    }
  }
}

Tensor Find(const nn::NamedTensors& list, const std::string& key) {
  for (auto& [k, v] : list) {
    if (k == key) return v;
  }
  ADD_FAILURE() << "no " << key;
  return Tensor();
}

// The golden state: the case's own "state.<key>", else the point model's (shared body).
void LoadState(nn::Module& model, const Golden& g, const Golden* base) {
  nn::NamedTensors state;
  for (auto& [key, t] : model.StateDict()) {
    auto it = g.find("state." + key);
    if (it == g.end() && base != nullptr) it = base->find("state." + key);
    ASSERT_TRUE(it != g.end() && (base == nullptr || it != base->end())) << "golden lacks " << key;
    state.emplace_back(key, it->second);
  }
  absl::Status s = model.LoadStateDict(state);
  ASSERT_TRUE(s.ok()) << s;
}

void RunCase(nn::Module& model, const std::string& name, const Golden* base) {
  SCOPED_TRACE(name);
  Golden g = Load(name);
  ASSERT_FALSE(g.empty());
  LoadState(model, g, base);
  if (::testing::Test::HasFatalFailure()) return;
  model.train();
  Tensor x = g.at("x").Clone();
  x.set_requires_grad(true);
  Tensor y = model.Forward(x);
  ExpectClose(y, g.at("y_train"), "y_train");
  y.Backward(g.at("gy"));
  ExpectClose(x.grad(), g.at("gx"), "gx");
  const nn::NamedTensors params = model.NamedParameters();
  const nn::NamedTensors state = model.StateDict();
  int grads = 0, stats = 0;
  for (auto& [key, t] : g) {
    if (key.rfind("grad.", 0) == 0) {
      ExpectClose(Find(params, key.substr(5)).grad(), t, key);
      ++grads;
    } else if (key.rfind("bn.", 0) == 0) {
      ExpectClose(Find(state, key.substr(3)), t, key);
      ++stats;
    }
  }
  EXPECT_GE(grads, 5);
  EXPECT_EQ(stats, 2);
  model.eval();
  NoGradGuard no_grad;
  ExpectClose(model.Forward(g.at("x")), g.at("y_eval"), "y_eval");
}

Wrn2dConfig Small(int64_t in, int64_t classes, WrnHead head) {
  Wrn2dConfig c;
  c.depth = 10;
  c.widen = 1;
  c.in_channels = in;
  c.num_classes = classes;
  c.head = head;
  return c;
}

class WrnParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { base_ = new Golden(Load("wrn_point")); }
  static void TearDownTestSuite() { delete base_; }
  static Golden* base_;
};
Golden* WrnParityTest::base_ = nullptr;

TEST_F(WrnParityTest, PointCifarShape) {
  Generator gen(0);
  WideResNet2d model(Small(3, 10, WrnHead::kPoint), gen);
  RunCase(model, "wrn_point", nullptr);
}

TEST_F(WrnParityTest, AudioAdaptivePool) {
  Generator gen(0);
  WideResNet2d model(Small(1, 6, WrnHead::kAudio), gen);
  RunCase(model, "wrn_audio", base_);
}

TEST_F(WrnParityTest, NinaProShapePools4x13) {
  Generator gen(0);
  WideResNet2d model(Small(1, 6, WrnHead::kPoint), gen);
  RunCase(model, "wrn_ninapro", base_);
}

TEST_F(WrnParityTest, DensePerPixelHead) {
  Generator gen(0);
  WideResNet2d model(Small(3, 1, WrnHead::kDense), gen);
  RunCase(model, "wrn_dense", base_);
}

TEST(ResNet1DParityTest, OneChannel) {
  Generator gen(0);
  ResNet1D model(1, 4, gen, /*mid_channels=*/8);
  RunCase(model, "resnet1d_c1", nullptr);
}

TEST(ResNet1DParityTest, FourChannels) {
  Generator gen(0);
  ResNet1D model(4, 3, gen, /*mid_channels=*/8);
  RunCase(model, "resnet1d_c4", nullptr);
}

}  // namespace
}  // namespace nb360::baselines
