// tasks/common/batch.h: one batch of task data, as the loader hands it to training and metrics.
//
// Every task fills the same struct: the model input, the target, and per-sample bookkeeping that some
// metrics need (ECG votes per record, FSD50K averages chunk logits per clip, PSICOV needs each protein's
// length, Cosmic needs the ignore mask). Fields a task does not use stay undefined / empty.
#ifndef NB360_TASKS_COMMON_BATCH_H_
#define NB360_TASKS_COMMON_BATCH_H_

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace nb360::tasks {

struct Batch {
  // Model input, float32, (N, C, H, W) for 2-D tasks or (N, C, L) for 1-D tasks.
  Tensor x;
  // Target: int64 (N) class ids for single-label tasks; float32 (N, K) multi-hot for multi-label tasks;
  // float32 (N, H, W) fields for Darcy Flow; float32 (N, 1, H, W) for PSICOV distances and Cosmic masks.
  Tensor y;
  // Optional float32 side input with the target's layout (Cosmic: the ignore mask, (N, 1, H, W)).
  Tensor aux;
  // Dataset index of each sample (position in its split).
  std::vector<int64_t> index;
  // Aggregation key per sample: ECG record id, FSD50K clip id, else equal to `index`.
  std::vector<int64_t> group;
  // Task-specific per-sample integer: PSICOV protein length L; else 0.
  std::vector<int64_t> extra;

  int64_t size() const { return static_cast<int64_t>(index.size()); }
};

// The batch with its tensors on `device` (the host-side vectors stay).
inline Batch OnDevice(Batch batch, Device device) {
  batch.x = batch.x.To(device);
  if (batch.y.defined()) batch.y = batch.y.To(device);
  if (batch.aux.defined()) batch.aux = batch.aux.To(device);
  return batch;
}

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_BATCH_H_
