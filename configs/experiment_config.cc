// configs/experiment_config.cc: text-proto parsing with located errors, and range checks.
#include "configs/experiment_config.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"

namespace nb360 {
namespace {

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first.empty()) first = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  std::string first;
};

absl::Status Bad(const ExperimentConfig& c, const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("config ", c.task(), "/", c.method(), " (", c.mode(), "): ", field,
                                                 " ", why));
}

}  // namespace

std::string ConfigPath(const std::string& task, const std::string& method, const std::string& mode) {
  if (method == "gaea" && mode == "search") return absl::StrCat("configs/", task, "/gaea_search.pbtxt");
  return absl::StrCat("configs/", task, "/", method, mode == "retrain" ? "_retrain" : "", ".pbtxt");
}

absl::StatusOr<ExperimentConfig> ParseExperimentConfig(const std::string& text, const std::string& name) {
  ExperimentConfig config;
  google::protobuf::TextFormat::Parser parser;
  Collector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", errors.first.empty() ? "not a valid ExperimentConfig" : errors.first));
  }
  return config;
}

absl::StatusOr<ExperimentConfig> LoadExperimentConfig(const std::string& path) {
  absl::StatusOr<std::string> text = io::ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat(path, ": cannot read the experiment config"));
  return ParseExperimentConfig(*text, path);
}

absl::Status ValidateExperimentConfig(const ExperimentConfig& c) {
  if (c.task().empty()) return Bad(c, "task", "is empty");
  if (c.method() != "wrn" && c.method() != "gaea") {
    return Bad(c, "method", absl::StrCat("'", c.method(), "' is not a known method (wrn, gaea)"));
  }
  if (c.mode() != "search" && c.mode() != "retrain") {
    return Bad(c, "mode", absl::StrCat("'", c.mode(), "' must be search or retrain"));
  }
  if (c.epochs() <= 0) return Bad(c, "epochs", absl::StrCat("= ", c.epochs(), " must be positive"));
  if (c.batch_size() <= 0) return Bad(c, "batch_size", absl::StrCat("= ", c.batch_size(), " must be positive"));
  if (c.eval_batch_size() <= 0) {
    return Bad(c, "eval_batch_size", absl::StrCat("= ", c.eval_batch_size(), " must be positive"));
  }
  if (!(c.lr() > 0) || !std::isfinite(c.lr())) return Bad(c, "lr", absl::StrCat("= ", c.lr(), " must be positive"));
  if (!(c.momentum() >= 0 && c.momentum() < 1)) return Bad(c, "momentum", absl::StrCat("= ", c.momentum(), " must be in [0, 1)"));
  if (!(c.weight_decay() >= 0) || !std::isfinite(c.weight_decay())) {
    return Bad(c, "weight_decay", absl::StrCat("= ", c.weight_decay(), " must be >= 0"));
  }
  if (!(c.dropout() >= 0 && c.dropout() < 1)) return Bad(c, "dropout", absl::StrCat("= ", c.dropout(), " must be in [0, 1)"));
  if (c.schedule() != "wrn_step" && c.schedule() != "constant" && c.schedule() != "cosine") {
    return Bad(c, "schedule", absl::StrCat("'", c.schedule(), "' must be wrn_step, constant or cosine"));
  }
  if (c.schedule() == "cosine" && !(c.cosine_t_max() > 0 && std::isfinite(c.cosine_t_max()))) {
    return Bad(c, "cosine_t_max", absl::StrCat("= ", c.cosine_t_max(), " must be positive with the cosine schedule"));
  }
  if (!(c.cosine_eta_min() >= 0 && c.cosine_eta_min() <= c.lr())) {
    return Bad(c, "cosine_eta_min", absl::StrCat("= ", c.cosine_eta_min(), " must be in [0, lr]"));
  }
  if (!(c.clip_grad_norm() >= 0) || !std::isfinite(c.clip_grad_norm())) {
    return Bad(c, "clip_grad_norm", absl::StrCat("= ", c.clip_grad_norm(), " must be >= 0 (0: off)"));
  }
  if (c.method() == "wrn") {
    if (c.depth() < 10 || (c.depth() - 4) % 6 != 0) {
      return Bad(c, "depth", absl::StrCat("= ", c.depth(), " must be 6n + 4 with n >= 1 (16 = WRN-16)"));
    }
    if (c.widen() < 1) return Bad(c, "widen", absl::StrCat("= ", c.widen(), " must be at least 1"));
    if (c.has_darts()) return Bad(c, "darts", "is for method gaea");
  } else {  // gaea
    if (c.depth() != 0 || c.widen() != 0 || c.dropout() != 0) {
      return Bad(c, "depth/widen/dropout", "are WRN fields (method gaea uses darts { ... })");
    }
    if (!c.has_darts()) return Bad(c, "darts", "is missing (channels, layers, drop path)");
    const DartsConfig& d = c.darts();
    if (d.channels() < 1) return Bad(c, "darts.channels", absl::StrCat("= ", d.channels(), " must be at least 1"));
    if (d.layers() < 1) return Bad(c, "darts.layers", absl::StrCat("= ", d.layers(), " must be at least 1"));
    if (c.mode() == "search") {
      if (!d.genotype().empty()) return Bad(c, "darts.genotype", "is for the retrain stage (the search finds one)");
      if (d.drop_path_prob() != 0 || d.drop_path_epochs() != 0) {
        return Bad(c, "darts.drop_path_prob/drop_path_epochs", "are for the retrain stage (the search has no drop path)");
      }
      if (d.partial_channels() < 1 || d.channels() % d.partial_channels() != 0) {
        return Bad(c, "darts.partial_channels", absl::StrCat("= ", d.partial_channels(), " must be >= 1 and divide channels = ",
                                                             d.channels()));
      }
      if (!(d.arch_lr() > 0) || !std::isfinite(d.arch_lr())) {
        return Bad(c, "darts.arch_lr", absl::StrCat("= ", d.arch_lr(), " must be positive"));
      }
      if (d.arch_warmup_epochs() < 0) {
        return Bad(c, "darts.arch_warmup_epochs", absl::StrCat("= ", d.arch_warmup_epochs(), " must be >= 0"));
      }
      if (!c.plain_momentum()) return Bad(c, "plain_momentum", "must be true (the search's SGD has no Nesterov)");
    } else {
      if (d.partial_channels() != 0 || d.arch_lr() != 0 || d.arch_warmup_epochs() != 0) {
        return Bad(c, "darts.partial_channels/arch_lr/arch_warmup_epochs", "are for the search stage (mode search)");
      }
      if (!(d.drop_path_prob() >= 0 && d.drop_path_prob() < 1)) {
        return Bad(c, "darts.drop_path_prob", absl::StrCat("= ", d.drop_path_prob(), " must be in [0, 1)"));
      }
      if (d.drop_path_epochs() < 1) {
        return Bad(c, "darts.drop_path_epochs", absl::StrCat("= ", d.drop_path_epochs(), " must be at least 1"));
      }
      // p = drop_path_prob * epoch / drop_path_epochs must stay below 1 over the whole run.
      if (d.drop_path_prob() * static_cast<double>(c.epochs() - 1) / static_cast<double>(d.drop_path_epochs()) >= 1) {
        return Bad(c, "darts.drop_path_prob", "reaches 1 before the last epoch (drop_path_prob * epoch / drop_path_epochs)");
      }
    }
  }
  if (c.seed() < 0) return Bad(c, "seed", absl::StrCat("= ", c.seed(), " must be >= 0"));
  return absl::OkStatus();
}

std::string ExperimentConfigText(const ExperimentConfig& config) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(config, &out);
  return out;
}

}  // namespace nb360
