#include "tasks/train/results.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "engine/io/atomic_file.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;
using io::JsonValue;

absl::Status Missing(const std::string& what) {
  return absl::InvalidArgumentError("training history: missing or mistyped '" + what + "'");
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The commit named by <git_dir>/HEAD, or "" when it cannot be resolved.
std::string ResolveHead(const fs::path& git_dir) {
  absl::StatusOr<std::string> head = io::ReadFile((git_dir / "HEAD").string());
  if (!head.ok()) return "";
  std::string h = Trim(*head);
  if (h.rfind("ref: ", 0) != 0) return h;
  const std::string ref = h.substr(5);
  if (absl::StatusOr<std::string> loose = io::ReadFile((git_dir / ref).string()); loose.ok()) {
    return Trim(*loose);
  }
  absl::StatusOr<std::string> packed = io::ReadFile((git_dir / "packed-refs").string());
  if (!packed.ok()) return "";
  size_t pos = 0;
  while (pos < packed->size()) {
    size_t end = packed->find('\n', pos);
    if (end == std::string::npos) end = packed->size();
    const std::string line = packed->substr(pos, end - pos);
    if (line.size() > 41 && line.compare(41, std::string::npos, ref) == 0) return line.substr(0, 40);
    pos = end + 1;
  }
  return "";
}

std::string GitCommitUnder(fs::path dir) {
  std::error_code ec;
  for (int depth = 0; depth < 64 && !dir.empty(); ++depth) {
    const fs::path git = dir / ".git";
    if (fs::is_directory(git, ec)) return ResolveHead(git);
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return "";
}

}  // namespace

JsonValue MetricValuesToJson(const MetricValues& m) {
  JsonValue v = JsonValue::MakeObject();
  v.Set("primary", m.primary);
  v.Set("primary_value", m.values.count(m.primary) ? JsonValue(m.values.at(m.primary)) : JsonValue());
  v.Set("lower_is_better", m.lower_is_better);
  JsonValue values = JsonValue::MakeObject();
  for (const auto& [k, x] : m.values) values.Set(k, x);
  v.Set("values", std::move(values));
  return v;
}

absl::StatusOr<MetricValues> MetricValuesFromJson(const JsonValue& v) {
  const JsonValue* primary = v.Find("primary");
  const JsonValue* lower = v.Find("lower_is_better");
  const JsonValue* values = v.Find("values");
  if (!primary || !primary->is_string()) return Missing("primary");
  if (!lower || !lower->is_bool()) return Missing("lower_is_better");
  if (!values || !values->is_object()) return Missing("values");
  MetricValues m;
  m.primary = primary->as_string();
  m.lower_is_better = lower->as_bool();
  for (const auto& [k, x] : values->as_object()) {
    // Non-finite values serialize as null: read them back as NaN.
    if (x.is_null()) {
      m.values[k] = std::numeric_limits<double>::quiet_NaN();
    } else if (x.is_number()) {
      m.values[k] = x.as_double();
    } else {
      return Missing("values." + k);
    }
  }
  return m;
}

JsonValue EpochRecordToJson(const EpochRecord& r) {
  JsonValue v = JsonValue::MakeObject();
  v.Set("event", "epoch");
  v.Set("epoch", r.epoch);
  v.Set("lr", r.lr);
  v.Set("train_loss", r.train_loss);
  v.Set("steps", r.steps);
  v.Set("samples", r.samples);
  v.Set("seconds", r.seconds);
  v.Set("data_wait_seconds", r.data_wait_seconds);
  v.Set("data_wait_fraction", r.data_wait_fraction());
  v.Set("samples_per_second", r.seconds > 0 ? r.samples / r.seconds : 0.0);
  return v;
}

JsonValue EvalRecordToJson(const EvalRecord& r) {
  JsonValue v = JsonValue::MakeObject();
  v.Set("event", "eval");
  v.Set("epoch", r.epoch);
  v.Set("split", r.split);
  v.Set("seconds", r.seconds);
  v.Set("metrics", MetricValuesToJson(r.metrics));
  return v;
}

JsonValue HistoryToJson(const TrainHistory& h) {
  JsonValue epochs = JsonValue::MakeArray(), evals = JsonValue::MakeArray();
  for (const EpochRecord& r : h.epochs) epochs.Append(EpochRecordToJson(r));
  for (const EvalRecord& r : h.evals) evals.Append(EvalRecordToJson(r));
  JsonValue v = JsonValue::MakeObject();
  v.Set("epochs", std::move(epochs));
  v.Set("evals", std::move(evals));
  return v;
}

absl::StatusOr<TrainHistory> HistoryFromJson(const JsonValue& v) {
  const JsonValue* epochs = v.Find("epochs");
  const JsonValue* evals = v.Find("evals");
  if (!epochs || !epochs->is_array()) return Missing("epochs");
  if (!evals || !evals->is_array()) return Missing("evals");
  TrainHistory h;
  auto num = [](const JsonValue& o, const char* key, double* out) {
    const JsonValue* x = o.Find(key);
    if (!x || !(x->is_number() || x->is_null())) return false;
    *out = x->is_null() ? std::numeric_limits<double>::quiet_NaN() : x->as_double();
    return true;
  };
  auto integer = [](const JsonValue& o, const char* key, int64_t* out) {
    const JsonValue* x = o.Find(key);
    if (!x || !x->is_int()) return false;
    *out = x->as_int();
    return true;
  };
  for (const JsonValue& e : epochs->as_array()) {
    EpochRecord r;
    if (!integer(e, "epoch", &r.epoch) || !num(e, "lr", &r.lr) || !num(e, "train_loss", &r.train_loss) ||
        !integer(e, "steps", &r.steps) || !integer(e, "samples", &r.samples) ||
        !num(e, "seconds", &r.seconds) || !num(e, "data_wait_seconds", &r.data_wait_seconds)) {
      return Missing("epochs[]: " + e.Serialize());
    }
    h.epochs.push_back(r);
  }
  for (const JsonValue& e : evals->as_array()) {
    EvalRecord r;
    const JsonValue* split = e.Find("split");
    const JsonValue* metrics = e.Find("metrics");
    if (!integer(e, "epoch", &r.epoch) || !num(e, "seconds", &r.seconds) || !split || !split->is_string() ||
        !metrics) {
      return Missing("evals[]: " + e.Serialize());
    }
    r.split = split->as_string();
    absl::StatusOr<MetricValues> m = MetricValuesFromJson(*metrics);
    if (!m.ok()) return m.status();
    r.metrics = std::move(*m);
    h.evals.push_back(std::move(r));
  }
  return h;
}

std::string GitCommit() {
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY"); ws && *ws) {
    if (std::string c = GitCommitUnder(fs::path(ws)); !c.empty()) return c;
  }
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (!ec) {
    if (std::string c = GitCommitUnder(cwd); !c.empty()) return c;
  }
  return "unknown";
}

JsonValue MachineInfo() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  JsonValue v = JsonValue::MakeObject();
  v.Set("hostname", std::string(host[0] ? host : "unknown"));
  v.Set("cores", static_cast<int64_t>(std::thread::hardware_concurrency()));
  return v;
}

JsonValue ResultsToJson(const TrainConfig& config, const TrainResult& result) {
  JsonValue v = JsonValue::MakeObject();
  v.Set("nb360_version", kNb360Version);
  v.Set("task", config.task);
  v.Set("method", config.method);
  v.Set("mode", std::string(RunModeName(config.mode)));
  v.Set("seed", config.seed);
  v.Set("data_source", config.data_source);
  v.Set("synthetic_data", config.data_source == "synthetic");
  if (config.data_source == "synthetic") {
    v.Set("data_note", "SYNTHETIC data: a small generated stand-in, not the benchmark's dataset; "
                       "these numbers say nothing about the published task");
  }
  v.Set("data_description", config.data_description);
  v.Set("config", ConfigToJson(config));
  JsonValue fin = MetricValuesToJson(result.final);
  fin.Set("split", result.final_split);
  v.Set("final", std::move(fin));
  if (result.has_final_test) v.Set("final_test", MetricValuesToJson(result.final_test));
  v.Set("epochs_completed", static_cast<int64_t>(result.history.epochs.size()));
  v.Set("steps", result.steps);
  v.Set("resumes", result.resumes);
  v.Set("wall_seconds", result.wall_seconds);
  double step_s = 0, wait_s = 0;
  for (const EpochRecord& r : result.history.epochs) {
    step_s += r.seconds;
    wait_s += r.data_wait_seconds;
  }
  v.Set("data_wait_fraction", step_s > 0 ? wait_s / step_s : 0.0);
  v.Set("history", HistoryToJson(result.history));
  v.Set("git_commit", GitCommit());
  v.Set("machine", MachineInfo());
  return v;
}

absl::Status WriteResults(const TrainConfig& config, const TrainResult& result) {
  const std::string path = (fs::path(config.out_dir) / "results.json").string();
  return io::WriteFileAtomically(path, ResultsToJson(config, result).Serialize(2) + "\n");
}

absl::Status WriteLog(const std::string& out_dir, const TrainHistory& h) {
  // Interleave in time order: the epoch record, then the evaluations made after that epoch.
  std::string text;
  size_t ev = 0;
  for (const EpochRecord& r : h.epochs) {
    text += EpochRecordToJson(r).Serialize() + "\n";
    while (ev < h.evals.size() && h.evals[ev].epoch <= r.epoch) {
      text += EvalRecordToJson(h.evals[ev++]).Serialize() + "\n";
    }
  }
  for (; ev < h.evals.size(); ++ev) text += EvalRecordToJson(h.evals[ev]).Serialize() + "\n";
  return io::WriteFileAtomically((fs::path(out_dir) / "log.jsonl").string(), text);
}

}  // namespace nb360::tasks
