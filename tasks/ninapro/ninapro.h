// tasks/ninapro/ninapro.h: NinaPro DB5 (sEMG hand gestures, 18 classes), spec tasks.md §3.
//
// Raw files: ninapro_{train,val,test}.npy (N, 52, 16) signals (52 time steps x 16 electrodes) and
// label_{train,val,test}.npy (N) labels 0..17; 2,638 / 659 / 659 samples. Any numeric .npy dtype is
// accepted (read through ReadNpyValue, as the original's allow_pickle load); signals must be floats.
// Canonical arrays: {train,val,test}_x float32 (N, 1, 16, 52) (axes swapped, channel axis added, as
// the original loader does) and {train,val,test}_y int64 (N).
// Runs: search = the three files; retrain = train ∪ val (3,297, train rows first) and test. No
// normalisation or augmentation. Loss: mean cross-entropy; metric: ClassificationMetric (error_pct).
// Left out: the legacy random 80/10/10 split of backbone/utils_pt.py and Perceiver's (52, 16) layout.
#ifndef NB360_TASKS_NINAPRO_NINAPRO_H_
#define NB360_TASKS_NINAPRO_NINAPRO_H_

#include <memory>
#include <string>

#include "tasks/common/task.h"

namespace nb360::tasks {

class NinaProTask : public Task {
 public:
  static constexpr int64_t kClasses = 18;
  static constexpr int64_t kTime = 52;
  static constexpr int64_t kElectrodes = 16;
  static constexpr int64_t kTrain = 2638, kVal = 659, kTest = 659;

  NinaProTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewNinaProTask();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_NINAPRO_NINAPRO_H_
