#include "tasks/train/run_support.h"

#include <atomic>
#include <cstdlib>

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

}  // namespace nb360::tasks
