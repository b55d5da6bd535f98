// configs/experiment_config.h: reading and checking ExperimentConfig text protos.
//
// Example:
//   absl::StatusOr<ExperimentConfig> c = LoadExperimentConfig(ConfigPath("ecg", "wrn", "retrain"));
//   absl::Status ok = ValidateExperimentConfig(*c);   // names the bad field and value
#ifndef NB360_CONFIGS_EXPERIMENT_CONFIG_H_
#define NB360_CONFIGS_EXPERIMENT_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "configs/experiment.pb.h"

namespace nb360 {

// "configs/<task>/<method>.pbtxt" for search mode, "configs/<task>/<method>_retrain.pbtxt" for retrain;
// GAEA's search stage (method gaea, mode search): "configs/<task>/gaea_search.pbtxt".
std::string ConfigPath(const std::string& task, const std::string& method, const std::string& mode);

// Parses a text proto; errors name the file, line and column.
absl::StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& text, const std::string& name);
absl::StatusOr<ExperimentConfig> LoadExperimentConfig(const std::string& path);

// Checks every field's range (positive epochs, batch sizes and lr; momentum in [0, 1); weight decay
// >= 0; dropout in [0, 1); known mode, method (wrn, gaea) and schedule (cosine: T_max > 0, eta_min in
// [0, lr]); clip_grad_norm >= 0; wrn: depth = 6n + 4, widen >= 1, no darts block; gaea: a darts block
// with channels, layers >= 1, no WRN fields; mode retrain: drop path in [0, 1) that stays below 1, no
// search fields; mode search: partial_channels dividing channels, arch_lr > 0, arch_warmup_epochs >= 0,
// plain momentum, no genotype or drop path). The genotype
// itself is checked where it is read (it may be a file).
absl::Status ValidateExperimentConfig(const ExperimentConfig& config);

// The config as a text proto (for results records and logs).
std::string ExperimentConfigText(const ExperimentConfig& config);

}  // namespace nb360

#endif  // NB360_CONFIGS_EXPERIMENT_CONFIG_H_
