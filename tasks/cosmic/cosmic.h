// tasks/cosmic/cosmic.h: the Cosmic task (tasks spec §7): per-pixel cosmic-ray detection on Hubble
// ACS/WFC f435w galaxy-field images from the deepCR data.
//
// Canonical dataset (what Prepare writes, MakeSynthetic imitates):
//   train_x   float32 (4830, 3, 128, 128)  the training pool: image, CR mask, ignore mask, cropped
//   train_sky float64 (4830)               each stack's sky level (0 when its visit has no sky.npy)
//   test_x    float32 (420, 3, 128, 128)
//   test_sky  float64 (420)
// Build: search mode trains on the first int(0.9 n) = 4,347 pool stacks and validates on the other 483;
// retrain trains on all 4,830 and tests on the 420. A sample is x = image (1, 128, 128), y = mask
// (1, 128, 128), aux = ignore (1, 128, 128). Sky augmentation (image += sky · U(-0.9, 3), drawn per
// access) is on for train, validation AND test, as the original applies it to every loader; with no
// rng the image is returned as stored. Loss: mean BCE-with-logits of (logits · (1 - ignore)) against
// (mask · (1 - ignore)); metric: CosmicMetric (fnr_pct).
// Left out: DARTS bi-level halves (made by the search code from the train split), random crops.
#ifndef NB360_TASKS_COSMIC_COSMIC_H_
#define NB360_TASKS_COSMIC_COSMIC_H_

#include <memory>
#include <string>

#include "tasks/common/task.h"

namespace nb360::tasks {

class CosmicTask : public Task {
 public:
  CosmicTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewCosmicTask();

namespace cosmic {

inline constexpr int64_t kTrainPool = 4830;
inline constexpr int64_t kTest = 420;
inline constexpr double kSkyAugMin = -0.9;
inline constexpr double kSkyAugMax = 3.0;

// The original's split of a pool of n stacks (f_val = 0.1): training part [0, max(1, int(0.9 n))),
// validation part [min(n - 1, int(0.9 n)), n).
int64_t TrainPartEnd(int64_t n);
int64_t ValPartBegin(int64_t n);

// Masked BCE-with-logits of the original: logits, mask, ignore (N, 1, H, W); ignore may be undefined.
Tensor MaskedBceLoss(const Tensor& logits, const Tensor& mask, const Tensor& ignore);

// The synthetic dataset (see MakeSynthetic): pool and test sizes for a fraction (0: the default).
int64_t SyntheticPoolSize(double fraction);
int64_t SyntheticTestSize(double fraction);

}  // namespace cosmic
}  // namespace nb360::tasks

#endif  // NB360_TASKS_COSMIC_COSMIC_H_
