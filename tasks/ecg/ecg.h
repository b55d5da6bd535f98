// tasks/ecg/ecg.h: the ECG task (PhysioNet/CinC 2017 atrial-fibrillation classification, spec §8).
//
// Canonical dataset (what challenge2017.pkl holds, converted without parameters):
//   samples  float32 (total)      every record's integer samples, records concatenated in file order
//   offsets  int64   (records+1)  record r is samples[offsets[r], offsets[r+1])
//   labels   int64   (records)    N->0, A->1, O->2, ~->3
// Build z-scores each record (population std, in double, then float32), splits the records with
// scikit-learn's train_test_split(random_state=0) (search: 80/20 then the 20 % 50/50 into validation /
// test; retrain: a separate 90/10), cuts 1000-sample windows with class-dependent strides (N 500,
// A 83, O 250, ~ 25; starts 0, s, 2s, ... while start < len - 1000), shuffles the training windows
// once, and gives every evaluation window its record id as group (EcgMetric votes per record).
// Left out: the DARTS bi-level pairing (done by the search code on the training set).
#ifndef NB360_TASKS_ECG_ECG_H_
#define NB360_TASKS_ECG_ECG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tasks/common/task.h"

namespace nb360::tasks {

inline constexpr int64_t kEcgWindow = 1000;
inline constexpr int64_t kEcgRecords = 8528;
inline constexpr int64_t kEcgClasses = 4;

// Window stride of a record of class `label` (slide_and_cut with base stride 500, 4 classes).
int64_t EcgStride(int64_t label);
// Window starts 0, stride, 2·stride, ... while start < length - kEcgWindow.
std::vector<int64_t> EcgWindowStarts(int64_t length, int64_t stride);

// Record indices of each split, in the order scikit-learn returns them.
struct EcgRecordSplits {
  std::vector<int64_t> train, val, test;  // val empty in retrain mode
};
EcgRecordSplits EcgSplitRecords(int64_t num_records, RunMode mode);

// 'N','A','O','~' -> 0..3; -1 otherwise.
int64_t EcgLabelIndex(std::string_view label);

class EcgTask : public Task {
 public:
  EcgTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewEcgTask();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_ECG_ECG_H_
