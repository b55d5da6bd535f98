// tasks/spherical/spherical.h: Spherical CIFAR-100 (CIFAR-100 projected onto a sphere, 60x60 DH grid),
// spec tasks.md §2.
//
// Raw file: s2_cifar100.gz, a gzip'd Python pickle {'train': {'images', 'labels'}, 'test': {...}}
// with images (N, 3, 60, 60) and labels 0..99; 50,000 / 10,000 samples.
// Canonical arrays: {train,test}_x (N, 3, 60, 60) stored as found: uint8 (expected) or, for a float
// file, float32 (the original casts to float32 anyway); {train,test}_y int64 (N).
// Per sample: cast to float32, no scaling, normalisation or augmentation.
// Runs: search = training rows [0, int(0.8 N)) / the rest (40,000 / 10,000); retrain = all training
// rows; test = the test images. Loss: mean cross-entropy; metric: ClassificationMetric (error_pct).
// Left out: the generator of the projected images (not in the original repository) and the Perceiver
// loader's CIFAR-10 normalisation.
#ifndef NB360_TASKS_SPHERICAL_SPHERICAL_H_
#define NB360_TASKS_SPHERICAL_SPHERICAL_H_

#include <memory>
#include <string>

#include "tasks/common/task.h"

namespace nb360::tasks {

class SphericalTask : public Task {
 public:
  static constexpr int64_t kClasses = 100;
  static constexpr int64_t kSize = 60;
  static constexpr int64_t kTrain = 50000, kTest = 10000;

  SphericalTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewSphericalTask();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_SPHERICAL_SPHERICAL_H_
