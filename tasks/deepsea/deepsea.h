// tasks/deepsea/deepsea.h: DeepSEA (36 chromatin labels per 1000-bp DNA window), spec tasks.md §10.
//
// Raw file: deepsea_filtered.npz with x_{train,val,test} (N, 1000, 4) one-hot DNA and
// y_{train,val,test} (N, 36) binary labels; 71,753 / 2,490 / 149,400 samples.
// Canonical arrays: {train,val,test}_x uint8 (N, 1000, 4) and {train,val,test}_y uint8 (N, 36), values
// 0/1 as stored. A sample is x permuted to float32 (4, 1000) and y as float32 (36).
// Runs: the stored splits in both modes (retrain simply drops validation). Loss: BCE-with-logits, mean
// over N x 36; metric: MultiLabelAucMetric (one_minus_auroc = 1 - mean per-label ROC-AUC).
// Left out: which 36 of DeepSEA's 919 labels these are and the base order (not stated upstream).
#ifndef NB360_TASKS_DEEPSEA_DEEPSEA_H_
#define NB360_TASKS_DEEPSEA_DEEPSEA_H_

#include <memory>
#include <string>

#include "tasks/common/task.h"

namespace nb360::tasks {

class DeepSeaTask : public Task {
 public:
  static constexpr int64_t kLabels = 36;
  static constexpr int64_t kLength = 1000;
  static constexpr int64_t kBases = 4;
  static constexpr int64_t kTrain = 71753, kVal = 2490, kTest = 149400;

  DeepSeaTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewDeepSeaTask();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_DEEPSEA_DEEPSEA_H_
