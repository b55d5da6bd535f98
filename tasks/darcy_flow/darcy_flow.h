// tasks/darcy_flow/darcy_flow.h: the Darcy Flow task (spec §5): coefficient field -> solution field.
//
// Canonical arrays (written by `generate`, by `prepare` from the original .mat files, or made small
// by MakeSynthetic): train_coeff, train_sol (n_train, 85, 85) float32 — the role of smooth1 samples
// 0..n_train-1 — and test_coeff, test_sol (n_test, 85, 85) — smooth2 samples 0..n_test-1, already
// subsampled by 5 from 421.
//
// Splits (§5.2): search: train = the first n_train - n_train/10 samples (900 of 1000), validation =
// the last n_train/10 (100); retrain: train = all n_train (1000), test = the test arrays (100).
// Normalizers are fitted per pixel on the run's training split (UnitGaussianNormalizer). Inputs are
// (3, 85, 85): [x-encoded coefficient, column coordinate j/84, row coordinate i/84] (the original's
// channel-last (85, 85, 3) permuted to channels first). Training targets are y-encoded (85, 85);
// validation/test targets stay raw. Loss: sum over the batch of the per-sample relative L2 of the
// decoded prediction against the decoded target; metric: DarcyMetric (mean of per-batch means).
#ifndef NB360_TASKS_DARCY_FLOW_DARCY_FLOW_H_
#define NB360_TASKS_DARCY_FLOW_DARCY_FLOW_H_

#include <memory>

#include "tasks/common/task.h"

namespace nb360::tasks {

class DarcyFlowTask : public Task {
 public:
  DarcyFlowTask();
  const TaskInfo& info() const override { return info_; }
  // A small set solved by our generator directly at 85x85 (GRF, threshold 12/3, finite differences):
  // 100 train + 20 test samples by default (fraction scales 1000/100).
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  // The benchmark-sized set from our generator: 421x421 subsampled by 5, 1000 + 100 samples (scaled by
  // options.fraction when > 0), seed options.seed; about 0.1 s per sample on 2 cores.
  bool HasGenerator() const override { return true; }
  absl::StatusOr<Dataset> MakeGenerated(const SyntheticOptions& options) const override;
  // Reads piececonst_r421_N1024_smooth1.mat and ..._smooth2.mat (MAT v5/v7 or v7.3) from raw_dir.
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewDarcyFlowTask();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_DARCY_FLOW_DARCY_FLOW_H_
