// tasks/common/metric.h: the streaming metric interface every task's evaluation uses.
//
// A Metric sees the model output of each evaluation batch together with the batch (targets and
// bookkeeping), and at the end returns named values: the task's published number (`primary`) and
// whatever else the original code logs. Metrics that need the whole split at once (AP, ROC-AUC, record
// votes, clip aggregation) keep what they need and compute in Result().
#ifndef NB360_TASKS_COMMON_METRIC_H_
#define NB360_TASKS_COMMON_METRIC_H_

#include <map>
#include <string>

#include "engine/tensor.h"
#include "tasks/common/batch.h"

namespace nb360::tasks {

struct MetricValues {
  // Name of the published number in `values` (e.g. "error_pct", "one_minus_map", "rel_l2").
  std::string primary;
  // True when smaller is better for `primary` (errors, losses); false for scores.
  bool lower_is_better = true;
  std::map<std::string, double> values;

  double primary_value() const { return values.at(primary); }
};

class Metric {
 public:
  virtual ~Metric() = default;
  // output: the model's output for `batch` (same leading N), any float dtype, CPU.
  virtual void Add(const Tensor& output, const Batch& batch) = 0;
  virtual MetricValues Result() const = 0;
};

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_METRIC_H_
