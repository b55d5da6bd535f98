// tasks/cifar100/cifar100.h: CIFAR-100 (100 fine classes, 32x32 RGB), spec tasks.md §1.
//
// Raw file: cifar-100-python.tar.gz (or its extracted cifar-100-python/ directory) with the Python 2
// pickles `train` (50,000) and `test` (10,000): b'data' uint8 (N, 3072) = R, G, B planes row-major,
// b'fine_labels' 0..99.
// Canonical arrays: {train,test}_x uint8 (N, 3, 32, 32) and {train,test}_y int64 (N).
// Per sample: /255, per-channel normalisation (CIFAR-100 mean/std); with augmentation first a random
// 32x32 crop of the zero-padded (4 px) image and a horizontal flip (p 0.5), and after normalisation
// Cutout(16) except for the DARTS search variant (spec §1.7).
// Runs: search = training rows [0, 4N/5) / [4N/5, N) (40,000 / 10,000 by index) with the validation
// rows augmented like training (TaskData::augment_val, as the original's shared dataset object);
// retrain = all N training rows; test = the test file, never augmented.
// Loss: mean cross-entropy; metric: ClassificationMetric (error_pct).
// Left out: the "permuted" CIFAR variant and the legacy CIFAR-10-statistics loader.
#ifndef NB360_TASKS_CIFAR100_CIFAR100_H_
#define NB360_TASKS_CIFAR100_CIFAR100_H_

#include <memory>
#include <string>

#include "tasks/common/task.h"

namespace nb360::tasks {

class Cifar100Task : public Task {
 public:
  static constexpr int64_t kClasses = 100;
  static constexpr int64_t kSize = 32;
  static constexpr int64_t kTrain = 50000, kTest = 10000;
  static constexpr float kMean[3] = {0.5071f, 0.4867f, 0.4408f};
  static constexpr float kStd[3] = {0.2675f, 0.2565f, 0.2761f};

  Cifar100Task();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewCifar100Task();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_CIFAR100_CIFAR100_H_
