// Optimizers vs torch.optim (golden trajectories from make_optim_golden.py), state dict save and
// restore, and ClipGradNorm vs torch.nn.utils.clip_grad_norm_.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "engine/optim/adam.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/sgd.h"
#include "gtest/gtest.h"
#include "tests/engine/optim/optim_golden.h"

namespace nb360 {
namespace optim {
namespace {

namespace golden = optim_golden;

const std::vector<Shape> kShapes = {{3, 5}, {5}, {7}};

// The golden problem's parameters, and its hand-written gradient a * (p - c).
struct Problem {
  std::vector<Tensor> params;
  std::vector<Tensor> scale;
  std::vector<Tensor> center;

  Problem() {
    int64_t at = 0;
    for (const Shape& s : kShapes) {
      const int64_t n = NumElements(s);
      auto slice = [&](const float* src) {
        return Tensor::FromVector(std::vector<float>(src + at, src + at + n), s);
      };
      params.push_back(slice(golden::kInitialParams).set_requires_grad(true));
      scale.push_back(slice(golden::kGradScale));
      center.push_back(slice(golden::kGradCenter));
      at += n;
    }
  }

  void SetGrads() {
    for (size_t k = 0; k < params.size(); ++k) {
      Tensor g = Tensor::Empty(params[k].shape());
      const float* p = params[k].data<float>();
      const float* a = scale[k].data<float>();
      const float* c = center[k].data<float>();
      float* d = g.data<float>();
      for (int64_t i = 0; i < g.numel(); ++i) {
        const float diff = p[i] - c[i];
        d[i] = a[i] * diff;
      }
      params[k].set_grad(g);
    }
  }

  std::vector<float> Values() const {
    std::vector<float> out;
    for (const Tensor& p : params) {
      const auto v = p.ToVector<float>();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }

  // Group 0: w, b with the optimizer's defaults; group 1: v with `lr` / `weight_decay`.
  std::vector<ParamGroupSpec> Groups(std::optional<double> lr, std::optional<double> weight_decay) const {
    return {ParamGroupSpec{{params[0], params[1]}, std::nullopt, std::nullopt},
            ParamGroupSpec{{params[2]}, lr, weight_decay}};
  }
};

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(const Problem&)>;

// Runs kSteps steps, comparing with the golden parameters after every step; returns how many
// values were bitwise equal to torch's.
int CheckTrajectory(const MakeOptimizer& make, const float* expected, const char* name) {
  Problem problem;
  std::unique_ptr<Optimizer> opt = make(problem);
  int bitwise = 0;
  for (int step = 0; step < golden::kSteps; ++step) {
    problem.SetGrads();
    opt->Step();
    const std::vector<float> got = problem.Values();
    for (int i = 0; i < golden::kNumValues; ++i) {
      const double want = expected[step * golden::kNumValues + i];
      EXPECT_LE(std::abs(got[i] - want), 1e-6 * std::max(std::abs(want), 1e-2))
          << name << " step " << step + 1 << " value " << i << ": got " << got[i] << " want " << want;
      bitwise += got[i] == static_cast<float>(want);
    }
  }
  EXPECT_EQ(opt->step_count(), golden::kSteps);
  return bitwise;
}

SGDOptions Sgd(double lr, double momentum, double dampening, double weight_decay, bool nesterov) {
  SGDOptions o;
  o.lr = lr;
  o.momentum = momentum;
  o.dampening = dampening;
  o.weight_decay = weight_decay;
  o.nesterov = nesterov;
  return o;
}

const MakeOptimizer kSgdNesterovWd = [](const Problem& p) {
  return std::make_unique<SGD>(p.Groups(0.05, 0.0), Sgd(0.1, 0.9, 0.0, 0.01, true));
};
const MakeOptimizer kSgdDampening = [](const Problem& p) {
  return std::make_unique<SGD>(p.Groups(0.2, 0.01), Sgd(0.05, 0.8, 0.3, 1e-3, false));
};
const MakeOptimizer kSgdPlain = [](const Problem& p) {
  return std::make_unique<SGD>(p.Groups(0.01, 0.1), Sgd(0.1, 0.0, 0.0, 0.0, false));
};
const MakeOptimizer kAdamWd = [](const Problem& p) {
  AdamOptions o;
  o.lr = 1e-2;
  o.beta2 = 0.99;
  o.weight_decay = 0.05;
  return std::make_unique<Adam>(p.Groups(3e-2, 0.0), o);
};
const MakeOptimizer kAdamAmsgrad = [](const Problem& p) {
  AdamOptions o;
  o.lr = 2e-2;
  o.amsgrad = true;
  return std::make_unique<Adam>(p.Groups(1e-2, 0.1), o);
};
const MakeOptimizer kAdamW = [](const Problem& p) {
  AdamWOptions o;
  o.lr = 1e-2;
  o.weight_decay = 0.1;
  return std::make_unique<AdamW>(p.Groups(5e-2, 0.0), o);
};
const MakeOptimizer kAdamWAmsgrad = [](const Problem& p) {
  AdamWOptions o;
  o.lr = 1e-2;
  o.beta1 = 0.8;
  o.beta2 = 0.9;
  o.eps = 1e-6;
  o.weight_decay = 0.2;
  o.amsgrad = true;
  return std::make_unique<AdamW>(p.Groups(2e-2, std::nullopt), o);
};

TEST(OptimGoldenTest, SgdMomentumNesterovWeightDecay) {
  const int bitwise = CheckTrajectory(kSgdNesterovWd, golden::kSgdNesterovWd, "SGD nesterov");
  RecordProperty("bitwise_equal", bitwise);
  std::printf("SGD nesterov+wd: %d of %d values bitwise equal to torch\n", bitwise,
              golden::kSteps * golden::kNumValues);
}

TEST(OptimGoldenTest, SgdMomentumDampening) {
  const int bitwise = CheckTrajectory(kSgdDampening, golden::kSgdDampening, "SGD dampening");
  std::printf("SGD dampening: %d of %d values bitwise equal to torch\n", bitwise,
              golden::kSteps * golden::kNumValues);
}

TEST(OptimGoldenTest, SgdPlainWithGroupWeightDecay) {
  const int bitwise = CheckTrajectory(kSgdPlain, golden::kSgdPlain, "SGD plain");
  std::printf("SGD plain: %d of %d values bitwise equal to torch\n", bitwise, golden::kSteps * golden::kNumValues);
}

TEST(OptimGoldenTest, AdamWeightDecay) {
  const int bitwise = CheckTrajectory(kAdamWd, golden::kAdamWd, "Adam wd");
  std::printf("Adam wd: %d of %d values bitwise equal to torch\n", bitwise, golden::kSteps * golden::kNumValues);
}

TEST(OptimGoldenTest, AdamAmsgrad) {
  const int bitwise = CheckTrajectory(kAdamAmsgrad, golden::kAdamAmsgrad, "Adam amsgrad");
  std::printf("Adam amsgrad: %d of %d values bitwise equal to torch\n", bitwise,
              golden::kSteps * golden::kNumValues);
}

TEST(OptimGoldenTest, AdamW) {
  const int bitwise = CheckTrajectory(kAdamW, golden::kAdamW, "AdamW");
  std::printf("AdamW: %d of %d values bitwise equal to torch\n", bitwise, golden::kSteps * golden::kNumValues);
}

TEST(OptimGoldenTest, AdamWAmsgrad) {
  const int bitwise = CheckTrajectory(kAdamWAmsgrad, golden::kAdamWAmsgrad, "AdamW amsgrad");
  std::printf("AdamW amsgrad: %d of %d values bitwise equal to torch\n", bitwise,
              golden::kSteps * golden::kNumValues);
}

// 3 steps, save, 7 more steps in a fresh optimizer (and fresh parameters) restored from the save:
// bitwise the same as 10 uninterrupted steps.
void CheckResume(const MakeOptimizer& make, const char* name) {
  Problem straight;
  auto opt = make(straight);
  for (int i = 0; i < 10; ++i) {
    straight.SetGrads();
    opt->Step();
  }

  Problem first;
  auto opt1 = make(first);
  for (int i = 0; i < 3; ++i) {
    first.SetGrads();
    opt1->Step();
  }
  const OptimizerState saved = opt1->StateDict();
  // Round trip through the tensors-only form, as a checkpoint file would.
  const OptimizerState reloaded = StateFromTensors(StateToTensors(saved));

  Problem second;
  for (size_t k = 0; k < second.params.size(); ++k) second.params[k].CopyFrom(first.params[k]);
  auto opt2 = make(second);
  // Perturb the fresh optimizer's lr to prove LoadStateDict restores it.
  opt2->SetLearningRate(123.0);
  ASSERT_TRUE(opt2->LoadStateDict(reloaded).ok()) << name << ": " << opt2->LoadStateDict(reloaded);
  EXPECT_EQ(opt2->step_count(), 3);
  for (int i = 0; i < 7; ++i) {
    second.SetGrads();
    opt2->Step();
  }
  EXPECT_EQ(second.Values(), straight.Values()) << name;
}

TEST(OptimStateDictTest, ResumeIsBitExact) {
  CheckResume(kSgdNesterovWd, "SGD");
  CheckResume(kAdamWd, "Adam");
  CheckResume(kAdamWAmsgrad, "AdamW amsgrad");
}

TEST(OptimStateDictTest, NamesFollowTorch) {
  Problem p;
  auto opt = kAdamAmsgrad(p);
  p.SetGrads();
  opt->Step();
  const OptimizerState s = opt->StateDict();
  std::vector<std::string> names;
  for (const auto& [n, t] : s.tensors) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                                             "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq",
                                             "state.2.exp_avg", "state.2.exp_avg_sq", "state.2.max_exp_avg_sq"}));
  bool found_step = false, found_lr = false;
  for (const auto& [n, v] : s.scalars) {
    if (n == "state.2.step") found_step = (v == 1.0);
    if (n == "param_groups.1.lr") found_lr = (v == 1e-2);
  }
  EXPECT_TRUE(found_step);
  EXPECT_TRUE(found_lr);
}

TEST(OptimStateDictTest, LoadErrorsAreNamedAndAtomic) {
  Problem p;
  auto opt = kSgdNesterovWd(p);
  p.SetGrads();
  opt->Step();
  OptimizerState good = opt->StateDict();

  // A state dict of a different layout: wrong buffer shape, an unknown key, a missing lr.
  OptimizerState bad = good;
  bad.tensors[0].second = Tensor::Zeros({2, 2});
  bad.tensors.emplace_back("state.0.exp_avg", Tensor::Zeros({3, 5}));
  bad.scalars.erase(std::remove_if(bad.scalars.begin(), bad.scalars.end(),
                                   [](const auto& e) { return e.first == "param_groups.1.lr"; }),
                    bad.scalars.end());
  opt->SetLearningRate(7.0);
  const absl::Status st = opt->LoadStateDict(bad);
  ASSERT_FALSE(st.ok());
  const std::string msg(st.message());
  EXPECT_NE(msg.find("state.0.momentum_buffer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected key \"state.0.exp_avg\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing key \"param_groups.1.lr\""), std::string::npos) << msg;
  EXPECT_EQ(opt->param_groups()[0].lr, 7.0);  // unchanged

  // Different group layout.
  Problem q;
  SGD other(std::vector<Tensor>{q.params[0]}, Sgd(0.1, 0.9, 0.0, 0.0, false));
  const absl::Status st2 = other.LoadStateDict(good);
  ASSERT_FALSE(st2.ok());
  EXPECT_NE(std::string(st2.message()).find("unexpected key"), std::string::npos) << st2;

  EXPECT_TRUE(opt->LoadStateDict(good).ok());
  EXPECT_EQ(opt->param_groups()[0].lr, 0.1);
}

TEST(OptimTest, SkipsParametersWithoutGradAndZeroGrad) {
  Problem p;
  SGD opt(std::vector<Tensor>{p.params[0], p.params[1]}, Sgd(0.1, 0.9, 0.0, 0.0, false));
  p.SetGrads();
  p.params[1].ZeroGrad();
  const auto before = p.params[1].ToVector<float>();
  opt.Step();
  EXPECT_EQ(p.params[1].ToVector<float>(), before);
  const OptimizerState s = opt.StateDict();
  ASSERT_EQ(s.tensors.size(), 1u);
  EXPECT_EQ(s.tensors[0].first, "state.0.momentum_buffer");
  opt.ZeroGrad();
  EXPECT_FALSE(p.params[0].grad().defined());
}

TEST(OptimTest, RejectsInvalidArguments) {
  Problem p;
  EXPECT_THROW(SGD(p.params, Sgd(0.1, 0.0, 0.0, 0.0, true)), Error);  // nesterov without momentum
  EXPECT_THROW(SGD(p.params, Sgd(-1.0, 0.0, 0.0, 0.0, false)), Error);
  std::vector<Tensor> dup = {p.params[0], p.params[0]};
  EXPECT_THROW(SGD(dup, Sgd(0.1, 0.0, 0.0, 0.0, false)), Error);
  AdamOptions bad;
  bad.beta1 = 1.0;
  EXPECT_THROW(Adam(p.params, bad), Error);
}

TEST(OptimTest, Float64Parameters) {
  Tensor w = Tensor::FromVector<double>({1.0, -2.0, 3.0}, {3}).set_requires_grad(true);
  w.set_grad(Tensor::FromVector<double>({0.5, 0.5, -1.0}, {3}));
  AdamOptions o;
  o.lr = 0.1;
  Adam opt(std::vector<Tensor>{w}, o);
  opt.Step();
  // First Adam step moves each coordinate by lr * sign(grad) (up to eps).
  const auto v = w.ToVector<double>();
  EXPECT_NEAR(v[0], 0.9, 1e-7);
  EXPECT_NEAR(v[1], -2.1, 1e-7);
  EXPECT_NEAR(v[2], 3.1, 1e-7);
}

// --- ClipGradNorm vs torch.nn.utils.clip_grad_norm_ ---

void CheckClip(double max_norm, double norm_type, double want_total, const float* want_grads) {
  const std::vector<Shape> shapes = {{4, 3}, {5}, {2, 2, 2}};
  std::vector<Tensor> params;
  int64_t at = 0;
  for (const Shape& s : shapes) {
    const int64_t n = NumElements(s);
    Tensor p = Tensor::Zeros(s).set_requires_grad(true);
    p.set_grad(Tensor::FromVector(std::vector<float>(golden::kClipGrads + at, golden::kClipGrads + at + n), s));
    params.push_back(p);
    at += n;
  }
  params.push_back(Tensor::Zeros({2}).set_requires_grad(true));  // no grad: ignored
  const double total = ClipGradNorm(params, max_norm, norm_type);
  EXPECT_NEAR(total, want_total, 1e-6 * want_total) << "norm_type " << norm_type;
  at = 0;
  for (size_t k = 0; k < shapes.size(); ++k) {
    const auto got = params[k].grad().ToVector<float>();
    for (size_t i = 0; i < got.size(); ++i, ++at) {
      EXPECT_NEAR(got[i], want_grads[at], 1e-6 * std::max(1e-2, std::abs(static_cast<double>(want_grads[at]))))
          << "norm_type " << norm_type << " element " << at;
    }
  }
}

TEST(ClipGradNormTest, MatchesTorch) {
  CheckClip(1.0, 2.0, golden::kClipNorm2Total, golden::kClipNorm2Grads);
  CheckClip(0.5, std::numeric_limits<double>::infinity(), golden::kClipNormInfTotal, golden::kClipNormInfGrads);
  CheckClip(100.0, 1.0, golden::kClipNorm1NoClipTotal, golden::kClipNorm1NoClipGrads);
  CheckClip(0.7, 3.0, golden::kClipNorm3Total, golden::kClipNorm3Grads);
}

TEST(ClipGradNormTest, NoGradientsGivesZero) {
  Tensor p = Tensor::Zeros({3}).set_requires_grad(true);
  EXPECT_EQ(ClipGradNorm({p}, 1.0), 0.0);
}

}  // namespace
}  // namespace optim
}  // namespace nb360
