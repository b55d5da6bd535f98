// nas/search/gaea_search.h: the GAEA PC-DARTS search stage as a resumable run (spec
// nas_darts_densenas.md §A.6, §A.7).
//
// RunGaeaSearch trains a SearchNetwork with the first-order bi-level alternation of §A.6 on the two
// halves of the task's training split (tasks/common/bilevel.h): for every (weight batch, architecture
// batch) pair
//   1. weight step: alpha/beta frozen, task loss on the weight batch, gradient L2 norm clipped
//      (clip_grad_norm, 5), SGD (lr, plain momentum 0.9, weight decay 3e-4 on every weight);
//   2. only in epochs >= arch_warmup_epochs (11: the original's `epoch_idx > 10`): architecture step at
//      the just-updated weights, weights frozen, task loss on the architecture batch, EG step (arch_lr
//      0.1) on alpha_normal / alpha_reduce / beta_normal / beta_reduce (nas/darts/eg_optimizer.h).
// The weight lr follows the cosine schedule per epoch (tasks/train/schedule.h; 0.05 (1 + cos(pi e / 50))).
// After every epoch the supernet is evaluated on the validation split with the task metric
// (tasks::EvaluateSplit: the trainer's evaluation, tiled where it tiles) and the current genotype
// (discretised per §A.7) is logged. The searched genotype is the one after the last epoch.
//
// Files in train.out_dir: ckpt-<step>.safetensors after every epoch (atomic: weights, BatchNorm
// statistics, alpha/beta, both optimizers' states, the position; the loaders are pure functions of
// (seed, epoch, batch), and the supernet draws no random numbers), log.jsonl ({"event":"epoch"},
// {"event":"eval"}, {"event":"genotype", "epoch", "arch_updates", "genotype"} per epoch), and at the end
// genotype.pbtxt (the final genotype as a text proto), genotype.dot (Graphviz, nas/darts/render.h; plus
// genotype.svg when `dot` is installed) and results.json (the trainer's record plus "stage": "search",
// the final genotype text, the genotype after each epoch and the validation metric per epoch).
// With train.resume a killed run continues from the newest checkpoint and ends with the same weights,
// architecture and genotype bit for bit. SIGINT/SIGTERM: the step finishes, a checkpoint is saved and
// absl::CancelledError comes back. A non-finite loss (either step) stops the run before that update
// (absl::InternalError naming epoch, step and which step).
//
// Example:
//   GaeaSearchConfig c;  c.train = ...;  // mode kSearch, method "gaea", schedule "cosine", ...
//   auto cfg = SearchNetworkConfigFor(task.info(), 16, 8, 4);
//   darts::SearchNetwork net(*cfg, gen);
//   absl::StatusOr<GaeaSearchResult> r = RunGaeaSearch(net, task, data, c);   // r->genotype
#ifndef NB360_NAS_SEARCH_GAEA_SEARCH_H_
#define NB360_NAS_SEARCH_GAEA_SEARCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nas/darts/genotype.h"
#include "nas/darts/search_network.h"
#include "tasks/common/task.h"
#include "tasks/train/config.h"
#include "tasks/train/results.h"

namespace nb360::nas {

struct GaeaSearchConfig {
  // The run's shared settings: task, seed, out_dir, resume, epochs, batch_size (per half), lr,
  // momentum (plain: nesterov must be false), weight_decay, schedule/cosine, clip_grad_norm, limits,
  // workers, hooks (after_step after the pair of steps; inject_nan replaces the weight loss).
  // mode must be kSearch. model_info is filled by RunGaeaSearch (network, C, layers, K, arch lr,
  // warm-up) and compared on resume.
  tasks::TrainConfig train;
  double arch_lr = 0.1;
  int64_t arch_warmup_epochs = 11;  // architecture steps in epochs >= this
};

struct GaeaSearchResult {
  darts::Genotype genotype;                      // after the last epoch
  std::string genotype_text;                     // darts::GenotypeToText(genotype)
  std::vector<std::string> genotype_per_epoch;   // shorthand after each epoch
  tasks::TrainResult train;                      // history, final val metric, wall time, steps, resumes
  std::string genotype_path;                     // <out_dir>/genotype.pbtxt
};

// The search supernet of a task: kind from the task (dense / 1-D / point 2-D), input channels and
// classes from its info; C divisible by K (C/K even when the network reduces), layers >= 1.
absl::StatusOr<darts::SearchNetworkConfig> SearchNetworkConfigFor(const tasks::TaskInfo& info, int64_t channels,
                                                                  int64_t layers, int64_t k);

absl::StatusOr<GaeaSearchResult> RunGaeaSearch(darts::SearchNetwork& net, const tasks::Task& task,
                                               const tasks::TaskData& data, const GaeaSearchConfig& config);

}  // namespace nb360::nas

#endif  // NB360_NAS_SEARCH_GAEA_SEARCH_H_
