// tasks/train/run_support.h: pieces every long-running stage shares (the trainer, the GAEA search):
// SIGINT/SIGTERM handling that lets a run save and stop, and checkpoint-metadata helpers.
#ifndef NB360_TASKS_TRAIN_RUN_SUPPORT_H_
#define NB360_TASKS_TRAIN_RUN_SUPPORT_H_

#include <chrono>
#include <csignal>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/io/checkpoint.h"

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

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_RUN_SUPPORT_H_
