#include "tasks/train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace nb360::tasks {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

Progress::Progress(bool tty, int64_t log_every, int64_t epochs, int64_t steps_per_epoch)
    : tty_(tty), log_every_(log_every), epochs_(epochs), steps_per_epoch_(steps_per_epoch) {}

bool Progress::StdoutIsTty() { return isatty(STDOUT_FILENO) == 1; }

void Progress::StartEpoch(int64_t epoch, int64_t first_batch) {
  epoch_ = epoch;
  first_batch_ = first_batch;
}

std::string Progress::Status(int64_t batch, double loss_mean, int64_t samples, double seconds,
                             double wait_seconds) const {
  const int64_t done_here = batch + 1 - first_batch_;
  const double per_step = done_here > 0 ? seconds / done_here : 0.0;
  const int64_t remaining = (steps_per_epoch_ - batch - 1) + (epochs_ - epoch_ - 1) * steps_per_epoch_;
  return absl::StrFormat("epoch %d/%d step %d/%d loss %.4f %.1f samples/s ETA %s data-wait %.0f%%",
                         epoch_ + 1, epochs_, batch + 1, steps_per_epoch_, loss_mean,
                         seconds > 0 ? samples / seconds : 0.0, FormatDuration(per_step * remaining),
                         seconds > 0 ? 100.0 * wait_seconds / seconds : 0.0);
}

void Progress::Step(int64_t batch, double loss_mean, int64_t samples, double seconds, double wait_seconds) {
  const std::string s = Status(batch, loss_mean, samples, seconds, wait_seconds);
  if (tty_) {
    std::printf("\r\033[K%s", s.c_str());
    line_open_ = true;
    std::fflush(stdout);
  } else if ((batch + 1) % log_every_ == 0) {
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
  }
}

void Progress::Line(const std::string& text) {
  if (line_open_) std::printf("\n");
  line_open_ = false;
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

}  // namespace nb360::tasks
