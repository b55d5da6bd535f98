// engine/optim/schedule.h: learning-rate schedules as pure functions of the step (or epoch).
//
// LearningRate(t) depends on nothing but t, so resuming at step t gives exactly the lr an
// uninterrupted run had there; nothing needs to be saved beyond t. Each schedule is the closed form
// of a torch.optim.lr_scheduler (equal to its printed lr sequence up to float rounding):
//   CosineAnnealing   CosineAnnealingLR: eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2
//   StepDecay         StepLR:            base * gamma^floor(t / step_size)
//   MultiStepDecay    MultiStepLR:       base * gamma^(number of milestones <= t)
//   LinearWarmup      SequentialLR([LinearLR(start_factor, 1, warmup), after], [warmup]):
//                     base * (start_factor + (1 - start_factor) t / warmup) for t < warmup,
//                     then after(t - warmup)
//   Constant          base
// A schedule is written against a base lr (LearningRate(t, base)); the one-argument form uses the
// base it was built with. ApplySchedule() sets each optimizer group's lr from the group's own
// initial_lr, as torch schedulers do for several groups.
//
// Example:
//   auto cosine = std::make_shared<optim::CosineAnnealing>(0.1, 200);
//   optim::LinearWarmup sched(5, cosine);
//   for (int64_t epoch = 0; epoch < 205; ++epoch) { optim::ApplySchedule(sched, epoch, opt); ... }
#ifndef NB360_ENGINE_OPTIM_SCHEDULE_H_
#define NB360_ENGINE_OPTIM_SCHEDULE_H_

#include <cstdint>
#include <memory>
#include <vector>

namespace nb360 {
namespace optim {

class Optimizer;

class LRSchedule {
 public:
  explicit LRSchedule(double base_lr) : base_lr_(base_lr) {}
  virtual ~LRSchedule() = default;

  // The lr at step t (t >= 0) for a group whose initial lr is `base_lr`.
  virtual double LearningRate(int64_t t, double base_lr) const = 0;
  // The lr at step t from this schedule's own base lr.
  double LearningRate(int64_t t) const { return LearningRate(t, base_lr_); }
  double base_lr() const { return base_lr_; }

 private:
  double base_lr_;
};

class ConstantSchedule : public LRSchedule {
 public:
  explicit ConstantSchedule(double base_lr) : LRSchedule(base_lr) {}
  using LRSchedule::LearningRate;
  double LearningRate(int64_t t, double base_lr) const override;
};

class CosineAnnealing : public LRSchedule {
 public:
  CosineAnnealing(double base_lr, int64_t t_max, double eta_min = 0.0);
  using LRSchedule::LearningRate;
  double LearningRate(int64_t t, double base_lr) const override;

 private:
  int64_t t_max_;
  double eta_min_;
};

class StepDecay : public LRSchedule {
 public:
  StepDecay(double base_lr, int64_t step_size, double gamma = 0.1);
  using LRSchedule::LearningRate;
  double LearningRate(int64_t t, double base_lr) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

class MultiStepDecay : public LRSchedule {
 public:
  // milestones: increasing steps at which the lr is multiplied by gamma.
  MultiStepDecay(double base_lr, std::vector<int64_t> milestones, double gamma = 0.1);
  using LRSchedule::LearningRate;
  double LearningRate(int64_t t, double base_lr) const override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

class LinearWarmup : public LRSchedule {
 public:
  // Ramps from start_factor * base to base over `warmup_steps`, then follows `after` (restarted at
  // 0). The base lr is `after`'s.
  LinearWarmup(int64_t warmup_steps, std::shared_ptr<const LRSchedule> after, double start_factor = 0.0);
  using LRSchedule::LearningRate;
  double LearningRate(int64_t t, double base_lr) const override;

 private:
  int64_t warmup_steps_;
  std::shared_ptr<const LRSchedule> after_;
  double start_factor_;
};

// Sets every group's lr to schedule.LearningRate(t, group.initial_lr).
void ApplySchedule(const LRSchedule& schedule, int64_t t, Optimizer& optimizer);

}  // namespace optim
}  // namespace nb360

#endif  // NB360_ENGINE_OPTIM_SCHEDULE_H_
