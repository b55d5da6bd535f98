#include "engine/optim/schedule.h"

#include <algorithm>
#include <cmath>

#include "engine/check.h"
#include "engine/optim/optimizer.h"

namespace nb360 {
namespace optim {

namespace {

void CheckStep(int64_t t) { NB_CHECK(t >= 0, "LRSchedule: step must be >= 0, got ", t); }

}  // namespace

double ConstantSchedule::LearningRate(int64_t t, double base_lr) const {
  CheckStep(t);
  return base_lr;
}

CosineAnnealing::CosineAnnealing(double base_lr, int64_t t_max, double eta_min)
    : LRSchedule(base_lr), t_max_(t_max), eta_min_(eta_min) {
  NB_CHECK(t_max > 0, "CosineAnnealing: T_max must be positive, got ", t_max);
}

double CosineAnnealing::LearningRate(int64_t t, double base_lr) const {
  CheckStep(t);
  return eta_min_ + (base_lr - eta_min_) * (1.0 + std::cos(M_PI * static_cast<double>(t) /
                                                            static_cast<double>(t_max_))) / 2.0;
}

StepDecay::StepDecay(double base_lr, int64_t step_size, double gamma)
    : LRSchedule(base_lr), step_size_(step_size), gamma_(gamma) {
  NB_CHECK(step_size > 0, "StepDecay: step_size must be positive, got ", step_size);
}

double StepDecay::LearningRate(int64_t t, double base_lr) const {
  CheckStep(t);
  return base_lr * std::pow(gamma_, static_cast<double>(t / step_size_));
}

MultiStepDecay::MultiStepDecay(double base_lr, std::vector<int64_t> milestones, double gamma)
    : LRSchedule(base_lr), milestones_(std::move(milestones)), gamma_(gamma) {
  NB_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()),
           "MultiStepDecay: milestones must be increasing, got ", milestones_);
}

double MultiStepDecay::LearningRate(int64_t t, double base_lr) const {
  CheckStep(t);
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), t) - milestones_.begin();
  return base_lr * std::pow(gamma_, static_cast<double>(passed));
}

LinearWarmup::LinearWarmup(int64_t warmup_steps, std::shared_ptr<const LRSchedule> after, double start_factor)
    : LRSchedule(after != nullptr ? after->base_lr() : 0.0),
      warmup_steps_(warmup_steps),
      after_(std::move(after)),
      start_factor_(start_factor) {
  NB_CHECK(after_ != nullptr, "LinearWarmup: needs a schedule to follow the warmup");
  NB_CHECK(warmup_steps >= 0, "LinearWarmup: warmup_steps must be >= 0, got ", warmup_steps);
  NB_CHECK(start_factor >= 0.0 && start_factor <= 1.0, "LinearWarmup: start_factor must be in [0, 1], got ",
           start_factor);
}

double LinearWarmup::LearningRate(int64_t t, double base_lr) const {
  CheckStep(t);
  if (t >= warmup_steps_) return after_->LearningRate(t - warmup_steps_, base_lr);
  const double factor = start_factor_ + (1.0 - start_factor_) * static_cast<double>(t) /
                                            static_cast<double>(warmup_steps_);
  return base_lr * factor;
}

void ApplySchedule(const LRSchedule& schedule, int64_t t, Optimizer& optimizer) {
  for (ParamGroup& g : optimizer.param_groups()) g.lr = schedule.LearningRate(t, g.initial_lr);
}

}  // namespace optim
}  // namespace nb360
