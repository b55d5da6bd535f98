// tasks/train/results.h: what a training run records (per-epoch and per-evaluation records, the final
// metric) and the files it writes: <out_dir>/results.json and <out_dir>/log.jsonl, both replaced
// atomically, so a killed run leaves either the old or the new file.
//
// log.jsonl has one JSON object per line: {"event":"epoch",...} per training epoch and
// {"event":"eval",...} per evaluation, in the order they happened. It is rewritten whole from the
// history kept in the checkpoint, so a resumed run never duplicates or loses lines.
//
// Leaves out: anything about how the run was executed beyond the host name and core count.
#ifndef NB360_TASKS_TRAIN_RESULTS_H_
#define NB360_TASKS_TRAIN_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/io/json.h"
#include "tasks/common/metric.h"
#include "tasks/train/config.h"

namespace nb360::tasks {

inline constexpr char kNb360Version[] = "0.1.0";

struct EpochRecord {
  int64_t epoch = 0;
  double lr = 0;
  double train_loss = 0;  // mean over the epoch's steps
  int64_t steps = 0;
  int64_t samples = 0;
  double seconds = 0;             // step time (data wait + compute), excluding evaluation
  double data_wait_seconds = 0;   // of which waiting for the loader
  double data_wait_fraction() const { return seconds > 0 ? data_wait_seconds / seconds : 0.0; }
};

struct EvalRecord {
  int64_t epoch = 0;  // the epoch just trained (0-based)
  std::string split;  // "val" | "test"
  MetricValues metrics;
  double seconds = 0;
};

struct TrainHistory {
  std::vector<EpochRecord> epochs;
  std::vector<EvalRecord> evals;
};

struct TrainResult {
  TrainHistory history;
  std::string final_split;  // "test" in retrain mode, "val" in search mode
  MetricValues final;
  bool has_final_test = false;  // search mode: the test split after the last epoch
  MetricValues final_test;
  double wall_seconds = 0;      // over all segments of a resumed run
  int64_t steps = 0;
  int64_t resumes = 0;          // how many times this run was resumed from a checkpoint
  std::string results_path;
};

io::JsonValue MetricValuesToJson(const MetricValues& m);
absl::StatusOr<MetricValues> MetricValuesFromJson(const io::JsonValue& v);
io::JsonValue EpochRecordToJson(const EpochRecord& r);
io::JsonValue EvalRecordToJson(const EvalRecord& r);
io::JsonValue HistoryToJson(const TrainHistory& h);
absl::StatusOr<TrainHistory> HistoryFromJson(const io::JsonValue& v);

// The commit of the source tree: .git/HEAD resolved under $BUILD_WORKSPACE_DIRECTORY (set by
// `bazel run`), else under the current directory and its parents; "unknown" when none is found.
std::string GitCommit();
// {"hostname": ..., "cores": ...}
io::JsonValue MachineInfo();

// The whole results.json document.
io::JsonValue ResultsToJson(const TrainConfig& config, const TrainResult& result);
// Writes <out_dir>/results.json atomically.
absl::Status WriteResults(const TrainConfig& config, const TrainResult& result);
// Rewrites <out_dir>/log.jsonl from the history (atomically).
absl::Status WriteLog(const std::string& out_dir, const TrainHistory& history);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_RESULTS_H_
