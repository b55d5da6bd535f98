// nas/retrain/gaea_retrain.cc: genotype choice, network config and drop-path wiring of the GAEA retrain.
#include "nas/retrain/gaea_retrain.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nas/darts/genotype_text.h"
#include "nas/darts/recorded_genotypes.h"

namespace nb360::nas {

absl::StatusOr<GenotypeChoice> ResolveGenotype(std::string_view task, const std::string& spec) {
  GenotypeChoice out;
  std::string name = spec;
  if (name.empty()) {
    absl::StatusOr<std::string> active = darts::ActiveGenotypeName(task);
    if (!active.ok()) return active.status();
    name = *active;
  }
  std::error_code ec;
  const bool looks_like_file = std::filesystem::is_regular_file(name, ec) || name.find('/') != std::string::npos ||
                               (name.size() > 6 && name.substr(name.size() - 6) == ".pbtxt");
  if (looks_like_file) {
    absl::StatusOr<darts::Genotype> g = darts::ReadGenotypeFile(name);
    if (!g.ok()) {
      return absl::Status(g.status().code(), absl::StrCat("--genotype=", name, ": ", g.status().message()));
    }
    out.genotype = *std::move(g);
    out.source = "file";
  } else {
    absl::StatusOr<darts::Genotype> g = darts::FindRecordedGenotype(name);
    if (!g.ok()) {
      return absl::NotFoundError(absl::StrCat("--genotype=", name,
                                              ": no such file and not a recorded genotype name (",
                                              g.status().message(), ")"));
    }
    out.genotype = *std::move(g);
    out.source = "recorded";
  }
  out.name = name;
  out.text = darts::GenotypeToText(out.genotype);
  return out;
}

darts::EvalNetworkConfig::Kind NetworkKind(const tasks::TaskInfo& info) {
  if (info.dense) return darts::EvalNetworkConfig::kDense;
  if (info.one_d) return darts::EvalNetworkConfig::k1d;
  return darts::EvalNetworkConfig::kPoint2d;
}

std::string_view NetworkKindName(darts::EvalNetworkConfig::Kind kind) {
  switch (kind) {
    case darts::EvalNetworkConfig::kPoint2d: return "point2d";
    case darts::EvalNetworkConfig::k1d: return "1d";
    case darts::EvalNetworkConfig::kDense: return "dense";
  }
  return "?";
}

absl::StatusOr<darts::EvalNetworkConfig> RetrainNetworkConfig(const tasks::TaskInfo& info, int64_t channels,
                                                              int64_t layers) {
  if (channels < 1 || layers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(info.name, ": GAEA channels (", channels, ") and layers (", layers, ") must be >= 1"));
  }
  const size_t want_rank = info.one_d ? 2 : 3;
  if (info.input_shape.size() != want_rank) {
    return absl::InvalidArgumentError(absl::StrCat(info.name, ": input shape of rank ", info.input_shape.size(),
                                                   ", expected ", want_rank));
  }
  darts::EvalNetworkConfig c;
  c.kind = NetworkKind(info);
  c.in_channels = static_cast<int>(info.input_shape[0]);
  c.num_classes = static_cast<int>(info.num_classes);
  c.C = static_cast<int>(channels);
  c.layers = static_cast<int>(layers);
  c.auxiliary = false;
  return c;
}

double DropPathAt(const DropPathSchedule& s, int64_t epoch) {
  return s.prob * static_cast<double>(epoch) / static_cast<double>(s.epochs);
}

void AttachToTraining(darts::EvalNetwork& net, const DropPathSchedule& s, const GenotypeChoice& genotype,
                      tasks::TrainConfig* config) {
  darts::EvalNetwork* p = &net;
  config->on_epoch_start = [p, s](int64_t epoch) { p->set_drop_path_prob(DropPathAt(s, epoch)); };
  config->model_generators.emplace_back("drop_path", &net.drop_path_generator());
  const darts::EvalNetworkConfig& nc = net.config();
  config->model_info = {
      {"network", "gaea_eval_" + std::string(NetworkKindName(nc.kind))},
      {"genotype", genotype.name},
      {"genotype_source", genotype.source},
      {"genotype_text", genotype.text},
      {"channels", absl::StrCat(nc.C)},
      {"layers", absl::StrCat(nc.layers)},
      {"drop_path", absl::StrFormat("%.17g * epoch / %d", s.prob, s.epochs)},
  };
}

}  // namespace nb360::nas
