// tasks/satellite/satellite.h: Satellite image time series (24 land-cover classes, 46 time steps),
// spec tasks.md §9.
//
// Raw files: satellite_train.npy (900,000 rows) and satellite_test.npy (100,000 rows), each np.save of
// a dict (a 0-d object array) {'data': (N, 46), 'label': (N,) in 1..24}.
// Canonical arrays: {train,test}_x float64 (N, 46) as stored (converted exactly from any numeric
// dtype), {train,test}_y int64 (N) = label - 1 (0..23).
// Per sample: z-normalisation over the 46 steps in float64 with the population std, then float32
// (1, 46). A constant series (std 0) becomes all zeros (the original divides 0 by 0 and yields NaN).
// Runs: search = training rows [0, N - T) / the last T rows, T = test rows (800,000 / 100,000);
// retrain = all N training rows; test = the test file. No augmentation.
// Loss: mean cross-entropy; metric: ClassificationMetric (error_pct, top-5 logged).
// Left out: DenseNAS-1D's zero padding to 48 steps.
#ifndef NB360_TASKS_SATELLITE_SATELLITE_H_
#define NB360_TASKS_SATELLITE_SATELLITE_H_

#include <memory>
#include <string>

#include "tasks/common/task.h"

namespace nb360::tasks {

class SatelliteTask : public Task {
 public:
  static constexpr int64_t kClasses = 24;
  static constexpr int64_t kLength = 46;
  static constexpr int64_t kTrain = 900000, kTest = 100000;

  SatelliteTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewSatelliteTask();

// z-normalises one series of `n` values into `out` (population std; all zeros when constant).
void ZNormalize(const double* x, int64_t n, float* out);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_SATELLITE_SATELLITE_H_
