// tasks/train/schedule.h: the per-epoch learning-rate multipliers of the backbone runs (baselines spec
// §3.1).
//
// "wrn_step" (torch LambdaLR weight_sched of backbone/model_point.py etc.): for E = 200 exactly
// 0.2^(e >= 60) * 0.2^(e >= 120) * 0.2^(e >= 160), i.e. 0-59 x1, 60-119 x0.2, 120-159 x0.04,
// 160-199 x0.008; for other E, 0.2^(e >= floor(0.3E)) * 0.2^(e > floor(0.6E)) * 0.2^(e > floor(0.8E))
// (epochs counted from 0). The multiplier is the product of float 0.2 factors, as in Python.
// "constant": x1 throughout.
// "cosine" (torch CosineAnnealingLR stepped per epoch, GAEA retrain, spec nas_darts_densenas.md §A.8):
// lr(e) = eta_min + (lr - eta_min)(1 + cos(pi e / T_max)) / 2, the closed form (T_max and eta_min come
// from the config; e.g. lr 0.025, T_max 150, eta_min 0: 0.025 at e = 0, 0.0125 at e = 75).
//
// Leaves out: warmup and per-step schedules (the backbone and GAEA retrain runs have none).
#ifndef NB360_TASKS_TRAIN_SCHEDULE_H_
#define NB360_TASKS_TRAIN_SCHEDULE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace nb360::tasks {

// The "wrn_step" multiplier of `epoch` (0-based) in a run of `epochs` epochs.
double WrnStepMultiplier(int64_t epoch, int64_t epochs);

// The multiplier of the named schedule; an error names an unknown schedule.
absl::StatusOr<double> ScheduleMultiplier(std::string_view schedule, int64_t epoch, int64_t epochs);

// The cosine-annealed learning rate of `epoch` (0-based); t_max > 0.
double CosineLr(double lr, double eta_min, double t_max, int64_t epoch);

// The learning rate of `epoch`: CosineLr for "cosine", else lr * ScheduleMultiplier.
absl::StatusOr<double> ScheduledLr(std::string_view schedule, double lr, int64_t epoch, int64_t epochs,
                                   double cosine_t_max, double cosine_eta_min);

// True for the schedule names ScheduleMultiplier knows.
bool IsKnownSchedule(std::string_view schedule);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_SCHEDULE_H_
