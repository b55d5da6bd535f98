// tasks/train/run_support.h: pieces every long-running stage shares (the trainer, the GAEA search):
// SIGINT/SIGTERM handling that lets a run save and stop, checkpoint-metadata helpers, the start or
// resume from the newest good checkpoint, and the per-step epoch accounting.
#ifndef NB360_TASKS_TRAIN_RUN_SUPPORT_H_
#define NB360_TASKS_TRAIN_RUN_SUPPORT_H_

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/io/checkpoint.h"
#include "tasks/train/progress.h"
#include "tasks/train/results.h"

namespace nb360::tasks {

// Installs SIGINT / SIGTERM handlers for its lifetime (restoring the old ones after): the first signal
// is only noted (pending() returns it, so the run can save a checkpoint and stop cleanly); a second
// one kills the process the default way. One scope at a time.
class StopSignalScope {
 public:
  StopSignalScope();
  ~StopSignalScope();
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;
  int pending() const;

 private:
  struct sigaction old_int_ = {}, old_term_ = {};
};

// "SIGINT", "SIGTERM" or "signal".
const char* SignalName(int sig);

inline double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A double as text that reads back bit for bit ("%.17g").
std::string ExactDouble(double x);

// Checkpoint metadata `key` (written by ExactDouble) of the checkpoint at `path`, or a DataLoss
// error naming both.
absl::StatusOr<double> GetDouble(const io::Checkpoint& c, const std::string& key, const std::string& path);

// s with `prefix` put before its message.
absl::Status Annotate(const absl::Status& s, const std::string& prefix);

// A run's start in `out_dir` (created if missing). Fresh (resume false): older checkpoints there are
// removed, so they cannot shadow (or be pruned instead of) the new ones; returns "". Resume: restores
// the newest checkpoint that `restore` accepts and returns its path ("" when there is none). A damaged
// one (restore says DataLoss: bad CRC, truncated) is renamed <name>.corrupt, reported through `line`,
// `reset` undoes whatever the failed restore changed, and the next older one is tried.
absl::StatusOr<std::string> StartOrResume(const std::string& out_dir, bool resume,
                                          const std::function<absl::Status(const std::string&)>& restore,
                                          const std::function<void()>& reset,
                                          const std::function<void(const std::string&)>& line);

// One training step into the epoch's accumulators (loss sum, steps, samples, step and data-wait
// seconds since t0 / wait0), and the progress line.
void AccountStep(EpochRecord& acc, double loss, int64_t samples, std::chrono::steady_clock::time_point t0,
                 double data_wait_seconds, int64_t batch, Progress& progress);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_RUN_SUPPORT_H_
