#include "tasks/train/run_support.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "absl/strings/str_format.h"

namespace nb360::tasks {
namespace {

std::atomic<int> g_signal{0};

extern "C" void OnStopSignal(int sig) {
  if (g_signal.load() != 0) {  // second signal: die the default way
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal.store(sig);
}

}  // namespace

StopSignalScope::StopSignalScope() {
  g_signal.store(0);
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopSignalScope::~StopSignalScope() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int StopSignalScope::pending() const { return g_signal.load(); }

const char* SignalName(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal"; }

std::string ExactDouble(double x) { return absl::StrFormat("%.17g", x); }

absl::StatusOr<double> GetDouble(const io::Checkpoint& c, const std::string& key, const std::string& path) {
  auto it = c.metadata.find(key);
  if (it == c.metadata.end()) return absl::DataLossError(path + ": checkpoint has no metadata '" + key + "'");
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != 0) {
    return absl::DataLossError(path + ": checkpoint metadata '" + key + "' is not a number: '" + it->second + "'");
  }
  return v;
}

absl::Status Annotate(const absl::Status& s, const std::string& prefix) {
  return absl::Status(s.code(), prefix + std::string(s.message()));
}

absl::StatusOr<std::string> StartOrResume(const std::string& out_dir, bool resume,
                                          const std::function<absl::Status(const std::string&)>& restore,
                                          const std::function<void()>& reset,
                                          const std::function<void(const std::string&)>& line) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return absl::InternalError("cannot create " + out_dir + ": " + ec.message());
  if (!resume) {
    if (absl::Status s = io::PruneCheckpoints(out_dir, 0); !s.ok()) return s;
    return std::string();
  }
  for (;;) {  // newest first
    absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(out_dir);
    if (!latest.ok()) return latest.status();
    if (!latest->has_value()) return std::string();
    const std::string path = **latest;
    const absl::Status s = restore(path);
    if (s.ok()) return path;
    if (!absl::IsDataLoss(s)) return s;
    std::filesystem::rename(path, path + ".corrupt", ec);
    if (ec) return Annotate(s, "(and cannot set it aside: " + ec.message() + ") ");
    line(absl::StrFormat("skipping damaged checkpoint (%s), renamed to %s.corrupt", s.message(), path));
    reset();
  }
}

void AccountStep(EpochRecord& acc, double loss, int64_t samples, std::chrono::steady_clock::time_point t0,
                 double data_wait_seconds, int64_t batch, Progress& progress) {
  acc.train_loss += loss;
  acc.steps += 1;
  acc.samples += samples;
  acc.seconds += Seconds(t0, std::chrono::steady_clock::now());
  acc.data_wait_seconds += data_wait_seconds;
  progress.Step(batch, acc.train_loss / acc.steps, acc.samples, acc.seconds, acc.data_wait_seconds);
}

}  // namespace nb360::tasks
