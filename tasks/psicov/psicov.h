// tasks/psicov/psicov.h: the PSICOV task (tasks spec §6): Cβ distance-map regression, trained on the
// 3,456 DeepCov proteins and tested on the 150 PSICOV proteins.
//
// Canonical dataset, for each protein set S in {deepcov, psicov}, proteins in list-file order:
//   S_length   int64 (N)            L per protein
//   S_offset1d int64 (N)            first row of the protein in S_feat1d
//   S_offset2d int64 (N)            first element of the protein in S_pair
//   S_feat1d   float32 (ΣL, 27)     ss[0..2], pssm[0..21], sa, entropy per residue
//   S_pair     float32 (Σ 4L²)      per protein (4, L, L): ccmpred, freecon, potential, distance
// (distance already repaired, §6.3; every feature checked inside (-100, 100)).
// Build (§6.4): search mode trains on deepcov[100:] and validates on deepcov[:100] (both 128 x 128
// windows, target clipped at 16); retrain trains on all DeepCov proteins; both modes test on PSICOV in
// list order (512 x 512 canvas, target unclipped, batch.extra = L). For smaller (synthetic or partial)
// DeepCov sets the validation count scales: round(100 · N / 3456), at least 1.
// Crops (proteins with L + 10 > window): with an rng, independent uniform row/column offsets from the
// sample's stream (training and, as in the original, validation: augment_val = true); without one, a
// fixed pseudo-random crop per protein (reproducible evaluation). Loss: MSE over all pixels (mean).
// Metric: PsicovMetric, validation "mae" for train/val, MAE₈ ("mae8") for test; the tiled test-time
// prediction is tasks/common/tiling.h's PredictTiled(model, x, 128).
// Left out: CAMEO, the contact / distance-bin targets of PDNet, the preprocessed-tensor variant.
#ifndef NB360_TASKS_PSICOV_PSICOV_H_
#define NB360_TASKS_PSICOV_PSICOV_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tasks/common/task.h"

namespace nb360::tasks {

class PsicovTask : public Task {
 public:
  PsicovTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewPsicovTask();

namespace psicov {

inline constexpr int64_t kDeepCov = 3456;
inline constexpr int64_t kDeepCovVal = 100;
inline constexpr int64_t kPsicov = 150;

// Validation proteins taken from the front of a DeepCov list of n (100 for the real 3,456).
int64_t ValidationCount(int64_t n);

// One protein in the packed layout (see above).
struct PackedProtein {
  int64_t length = 0;
  std::vector<float> feat1d;  // (L, 27)
  std::vector<float> pair;    // (4, L, L)
};

// The five arrays "<prefix>_length", ... of `proteins` (consumed: each protein's buffers are freed as
// they are copied).
void PackProteins(const std::string& prefix, std::vector<PackedProtein>* proteins,
                  std::map<std::string, Tensor>* arrays);

// Synthetic set sizes for a fraction (0: the default).
int64_t SyntheticDeepCovSize(double fraction);
int64_t SyntheticPsicovSize(double fraction);

}  // namespace psicov
}  // namespace nb360::tasks

#endif  // NB360_TASKS_PSICOV_PSICOV_H_
