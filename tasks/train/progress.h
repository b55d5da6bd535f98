// tasks/train/progress.h: training progress on stdout.
//
// On a terminal: one line rewritten in place ("\r") with epoch, step/steps, running mean loss, samples/s,
// ETA of the whole run and the fraction of step time spent waiting for data. Otherwise (logs, CI): a
// plain line every `log_every` steps and one per epoch. Messages (evaluations, checkpoints, resume) are
// always whole lines.
//
// Leaves out: colours, multi-line displays, stderr.
#ifndef NB360_TASKS_TRAIN_PROGRESS_H_
#define NB360_TASKS_TRAIN_PROGRESS_H_

#include <cstdint>
#include <string>

namespace nb360::tasks {

class Progress {
 public:
  // tty: rewrite one line in place; epochs/steps_per_epoch: the run's size (for the ETA).
  Progress(bool tty, int64_t log_every, int64_t epochs, int64_t steps_per_epoch);

  // True when stdout is a terminal.
  static bool StdoutIsTty();

  void StartEpoch(int64_t epoch, int64_t first_batch);
  // After step `batch` (0-based) of the current epoch. loss_mean: running mean over the epoch so far;
  // samples/seconds/wait_seconds: totals over the epoch so far.
  void Step(int64_t batch, double loss_mean, int64_t samples, double seconds, double wait_seconds);
  // A whole line (ends the in-place line first).
  void Line(const std::string& text);

 private:
  std::string Status(int64_t batch, double loss_mean, int64_t samples, double seconds,
                     double wait_seconds) const;

  bool tty_;
  int64_t log_every_;
  int64_t epochs_;
  int64_t steps_per_epoch_;
  int64_t epoch_ = 0;
  int64_t first_batch_ = 0;
  bool line_open_ = false;
};

// "1h02m", "3m07s", "12s".
std::string FormatDuration(double seconds);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_PROGRESS_H_
