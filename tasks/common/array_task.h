// tasks/common/array_task.h: small building blocks shared by the array-backed classification and
// multi-label tasks (CIFAR-100, Spherical, NinaPro, Satellite, DeepSEA).
//
// - ClassificationObjective: mean cross-entropy on (N, K) logits with ClassificationMetric.
// - FnSampleSet: a SampleSet whose Read is a const function (the task's per-sample conversion over
//   memory-mapped arrays); thread-safe as long as the function only reads what it captured.
// - Dataset validation (GetArrayChecked) and raw-file checks (CheckCount, CheckLabelRange,
//   CheckFinite) with error messages that name the dataset / file and the problem.
// Left out: anything task-specific (augmentation, splits, formats).
#ifndef NB360_TASKS_COMMON_ARRAY_TASK_H_
#define NB360_TASKS_COMMON_ARRAY_TASK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"
#include "tasks/common/canonical.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

// Loss = CrossEntropy(output (N, K), batch.y int64 (N)), mean over the batch; metric:
// ClassificationMetric for every split.
class ClassificationObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override;
  std::unique_ptr<Metric> NewMetric(Split split) const override;
};

// Sample count of a synthetic split: `fallback` when fraction <= 0, else round(real * fraction) but at
// least `minimum`.
int64_t SyntheticCount(int64_t real, double fraction, int64_t fallback, int64_t minimum);

using SampleReadFn = std::function<void(int64_t i, Generator* rng, SampleOut* out)>;

// n samples of `layout`, each produced by fn(i, rng, out); fn must be safe to call concurrently.
std::shared_ptr<const SampleSet> NewFnSampleSet(int64_t n, SampleLayout layout, SampleReadFn fn);

// How a dataset is named in errors: its directory, or "in-memory <task> dataset".
std::string DatasetLabel(const Dataset& data);

// The array `name` of `data`, checked: dtype one of `dtypes`, rank 1 + sample_shape.size(),
// shape[1:] == sample_shape. Errors name the dataset, the array and what differs.
absl::StatusOr<ArrayView> GetArrayChecked(const Dataset& data, const std::string& name,
                                          const std::vector<DType>& dtypes, const Shape& sample_shape);

// Arrays `x_name`, `y_name` have the same number of rows.
absl::Status CheckSameRows(const Dataset& data, const std::string& x_name, const ArrayView& x,
                           const std::string& y_name, const ArrayView& y);

// `got` == `want` unless allow_mismatch (then got must still be >= 1). `what` names the file and
// the array ("satellite_train.npy: rows").
absl::Status CheckCount(const std::string& what, int64_t got, int64_t want, bool allow_mismatch);

// Every value of the integer-valued tensor `labels` (any dtype; floating values must be integral)
// lies in [lo, hi]; returns them as int64 (same shape). `what` names the file.
absl::StatusOr<Tensor> IntegerLabels(const std::string& what, const Tensor& labels, int64_t lo, int64_t hi);

// No NaN / Inf in a floating tensor (integer tensors pass). `what` names the file.
absl::Status CheckFinite(const std::string& what, const Tensor& t);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_ARRAY_TASK_H_
