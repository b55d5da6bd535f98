// nas/retrain/gaea_retrain.h: what the GAEA PC-DARTS retrain stage (spec nas_darts_densenas.md §A.8)
// needs around the trainer: the genotype a run uses (a recorded name or a genotype file; default the
// task's active one), the evaluation network for a task (point 2-D for CIFAR-100 / Spherical / NinaPro /
// FSD50K, 1-D for ECG / Satellite / DeepSEA, dense for Darcy Flow / PSICOV / Cosmic, with the task's
// input channels and classes), and the trainer settings that belong to the network: the drop-path
// probability set at the start of every epoch (p = drop_path_prob * epoch / drop_path_epochs: 0.3 / 150
// point and 1-D; 0.3 / 600 dense, the original's per-batch value, which only depends on the epoch), the
// drop-path random stream (checkpointed) and the model description recorded in results.json.
//
// Example:
//   absl::StatusOr<GenotypeChoice> g = ResolveGenotype("ecg", "");            // ecg_s2
//   absl::StatusOr<EvalNetworkConfig> nc = RetrainNetworkConfig(task.info(), 36, 20);
//   auto net = nas::darts::MakeEvalNetwork(g->genotype, *nc, gen);
//   AttachDropPath(**net, {.prob = 0.3, .epochs = 150}, *g, &train_config);
//
// Leaves out: the auxiliary head (off in every default trial), the search stage.
#ifndef NB360_NAS_RETRAIN_GAEA_RETRAIN_H_
#define NB360_NAS_RETRAIN_GAEA_RETRAIN_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nas/darts/eval_network.h"
#include "nas/darts/genotype.h"
#include "tasks/common/task.h"
#include "tasks/train/config.h"

namespace nb360::nas {

struct GenotypeChoice {
  std::string name;    // the recorded name, or the file's path
  std::string source;  // "recorded" | "file"
  darts::Genotype genotype;
  std::string text;    // darts::GenotypeToText(genotype)
};

// `spec` empty: the task's active recorded genotype. A spec naming an existing file (or ending in
// ".pbtxt", or holding a '/') is read as a genotype text proto; anything else must be a recorded name.
// Errors say which and list the recorded names.
absl::StatusOr<GenotypeChoice> ResolveGenotype(std::string_view task, const std::string& spec);

// The network kind of a task: dense tasks kDense, 1-D tasks k1d, the rest kPoint2d.
darts::EvalNetworkConfig::Kind NetworkKind(const tasks::TaskInfo& info);
std::string_view NetworkKindName(darts::EvalNetworkConfig::Kind kind);  // "point2d" | "1d" | "dense"

// The evaluation-network config of a task (input channels from input_shape[0], classes from
// num_classes); channels and layers >= 1.
absl::StatusOr<darts::EvalNetworkConfig> RetrainNetworkConfig(const tasks::TaskInfo& info, int64_t channels,
                                                              int64_t layers);

struct DropPathSchedule {
  double prob = 0.3;     // drop_path_prob
  int64_t epochs = 150;  // the denominator (600 for dense)
};

// drop_path_prob * epoch / epochs.
double DropPathAt(const DropPathSchedule& s, int64_t epoch);

// Sets config->on_epoch_start to give `net` DropPathAt(s, epoch) every epoch, registers its drop-path
// generator for checkpoints ("drop_path"), and records the genotype and network in config->model_info.
// `net` must outlive the training run.
void AttachToTraining(darts::EvalNetwork& net, const DropPathSchedule& s, const GenotypeChoice& genotype,
                      tasks::TrainConfig* config);

}  // namespace nb360::nas

#endif  // NB360_NAS_RETRAIN_GAEA_RETRAIN_H_
