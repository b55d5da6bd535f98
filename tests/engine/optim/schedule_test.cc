// LR schedules vs the lr sequences printed by torch.optim.lr_scheduler (make_optim_golden.py).
#include <cmath>
#include <memory>
#include <vector>

#include "engine/optim/schedule.h"
#include "engine/optim/sgd.h"
#include "gtest/gtest.h"
#include "tests/engine/optim/optim_golden.h"

namespace nb360 {
namespace optim {
namespace {

namespace golden = optim_golden;

template <size_t N>
void ExpectSequence(const LRSchedule& s, const double (&want)[N], const char* name) {
  for (size_t t = 0; t < N; ++t) {
    // torch's chainable forms accumulate rounding (~1e-15 relative); the closed forms do not.
    EXPECT_NEAR(s.LearningRate(static_cast<int64_t>(t)), want[t], 1e-12 * std::max(1e-3, std::abs(want[t])))
        << name << " at step " << t;
  }
}

TEST(ScheduleTest, CosineAnnealingMatchesTorch) {
  ExpectSequence(CosineAnnealing(0.1, 10, 0.001), golden::kCosineLr, "CosineAnnealing");
}

TEST(ScheduleTest, StepDecayMatchesTorch) { ExpectSequence(StepDecay(0.1, 3, 0.5), golden::kStepLr, "StepDecay"); }

TEST(ScheduleTest, MultiStepDecayMatchesTorch) {
  ExpectSequence(MultiStepDecay(0.1, {2, 5, 9}, 0.1), golden::kMultiStepLr, "MultiStepDecay");
}

TEST(ScheduleTest, LinearWarmupThenCosineMatchesTorchSequentialLR) {
  LinearWarmup s(4, std::make_shared<CosineAnnealing>(0.1, 8, 0.0), 0.1);
  EXPECT_EQ(s.base_lr(), 0.1);
  ExpectSequence(s, golden::kWarmupCosineLr, "LinearWarmup");
}

TEST(ScheduleTest, ApplyScheduleScalesEachGroupFromItsInitialLr) {
  Tensor a = Tensor::Zeros({1}).set_requires_grad(true);
  Tensor b = Tensor::Zeros({1}).set_requires_grad(true);
  SGDOptions o;
  o.lr = 0.1;
  SGD opt(std::vector<ParamGroupSpec>{{{a}, std::nullopt, std::nullopt}, {{b}, 0.02, std::nullopt}}, o);
  CosineAnnealing cosine(0.1, 6);
  constexpr size_t kN = sizeof(golden::kCosineTwoGroupsLr) / sizeof(double) / 2;
  for (size_t t = 0; t < kN; ++t) {
    ApplySchedule(cosine, static_cast<int64_t>(t), opt);
    for (size_t g = 0; g < 2; ++g) {
      const double want = golden::kCosineTwoGroupsLr[2 * t + g];
      EXPECT_NEAR(opt.param_groups()[g].lr, want, 1e-12 * std::max(1e-3, want)) << "step " << t << " group " << g;
    }
  }
  // Pure function of the step: going back gives the same value again.
  ApplySchedule(cosine, 2, opt);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr, cosine.LearningRate(2));
  EXPECT_EQ(opt.param_groups()[1].initial_lr, 0.02);
}

TEST(ScheduleTest, ConstantAndEdgeCases) {
  ConstantSchedule c(0.3);
  EXPECT_EQ(c.LearningRate(0), 0.3);
  EXPECT_EQ(c.LearningRate(1000), 0.3);
  // Zero warmup steps: straight to the wrapped schedule.
  LinearWarmup w(0, std::make_shared<StepDecay>(1.0, 2, 0.5));
  EXPECT_EQ(w.LearningRate(0), 1.0);
  EXPECT_EQ(w.LearningRate(2), 0.5);
  // Default start factor 0: the first warmup step has lr 0.
  LinearWarmup w0(10, std::make_shared<ConstantSchedule>(1.0));
  EXPECT_EQ(w0.LearningRate(0), 0.0);
  EXPECT_DOUBLE_EQ(w0.LearningRate(5), 0.5);
  EXPECT_THROW(CosineAnnealing(0.1, 0), Error);
  EXPECT_THROW(c.LearningRate(-1), Error);
  EXPECT_THROW(MultiStepDecay(0.1, {5, 2}), Error);
}

}  // namespace
}  // namespace optim
}  // namespace nb360
