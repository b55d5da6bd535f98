#include "tasks/train/schedule.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"

namespace nb360::tasks {

double WrnStepMultiplier(int64_t epoch, int64_t epochs) {
  // The original special-cases E = 200 (every config): drops at 60, 120, 160 inclusive. Other E use
  // int(0.3 E) inclusive and int(0.6 E), int(0.8 E) exclusive (the integer floors below equal
  // Python's int(0.3 * E) etc. for all E up to 1000, checked).
  bool drop[3];
  if (epochs == 200) {
    drop[0] = epoch >= 60;
    drop[1] = epoch >= 120;
    drop[2] = epoch >= 160;
  } else {
    drop[0] = epoch >= (3 * epochs) / 10;
    drop[1] = epoch > (6 * epochs) / 10;
    drop[2] = epoch > (8 * epochs) / 10;
  }
  double m = 1.0;
  for (bool d : drop) {
    if (d) m *= 0.2;
  }
  return m;
}

bool IsKnownSchedule(std::string_view schedule) {
  return schedule == "wrn_step" || schedule == "constant" || schedule == "cosine";
}

double CosineLr(double lr, double eta_min, double t_max, int64_t epoch) {
  return eta_min + (lr - eta_min) * (1.0 + std::cos(M_PI * static_cast<double>(epoch) / t_max)) / 2.0;
}

absl::StatusOr<double> ScheduledLr(std::string_view schedule, double lr, int64_t epoch, int64_t epochs,
                                   double cosine_t_max, double cosine_eta_min) {
  if (schedule == "cosine") {
    if (!(cosine_t_max > 0)) return absl::InvalidArgumentError("the cosine schedule needs cosine_t_max > 0");
    return CosineLr(lr, cosine_eta_min, cosine_t_max, epoch);
  }
  absl::StatusOr<double> m = ScheduleMultiplier(schedule, epoch, epochs);
  if (!m.ok()) return m.status();
  return lr * *m;
}

absl::StatusOr<double> ScheduleMultiplier(std::string_view schedule, int64_t epoch, int64_t epochs) {
  if (schedule == "wrn_step") return WrnStepMultiplier(epoch, epochs);
  if (schedule == "constant") return 1.0;
  if (schedule == "cosine") {
    return absl::InvalidArgumentError("the cosine schedule is not a multiplier (use ScheduledLr)");
  }
  return absl::InvalidArgumentError("unknown learning-rate schedule '" + std::string(schedule) +
                                    "' (known: wrn_step, constant, cosine)");
}

}  // namespace nb360::tasks
