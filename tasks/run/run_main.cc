// tasks/run/run_main.cc: `bazel run //tasks:<task> -- --method=wrn [--data=synthetic|auto|DIR]
// [--mode=retrain|search] [--epochs=N] [--seed=S] [--out=DIR] ...`, or
// `... --method=gaea [--stage=retrain] [--genotype=FILE|NAME] ...` (GAEA PC-DARTS retrain of a genotype,
// spec nas_darts_densenas.md §A.8; the search stage is not available yet).
//
// One binary per task (NB360_TASK is set by its BUILD rule). It reads configs/<task>/<method>[_retrain].pbtxt
// (or --config=FILE), applies every flag that was given on top, checks the result (and the genotype) before
// any work, says where the data comes from (real / generated / synthetic), builds the model (WRN, or the
// GAEA evaluation network of the genotype, which it writes to <out>/genotype.pbtxt), and trains with
// checkpoints every epoch (`--resume` continues a killed run) into --out, which receives results.json and
// log.jsonl. Exit status: 0 done, 1 error (bad flag, config, data, NaN loss), 130 interrupted (SIGINT/SIGTERM;
// a checkpoint was saved).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "baselines/wrn/wrn.h"
#include "configs/experiment_config.h"
#include "engine/io/atomic_file.h"
#include "engine/rng.h"
#include "nas/darts/eval_network.h"
#include "nas/darts/genotype_text.h"
#include "nas/retrain/gaea_retrain.h"
#include "tasks/common/task.h"
#include "tasks/registry.h"
#include "tasks/train/trainer.h"

#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif

#ifndef NB360_TASK
#error "NB360_TASK must name the task (set by the BUILD rule)"
#endif

ABSL_FLAG(std::string, method, "wrn", "Method: wrn (Wide ResNet baseline) | gaea (GAEA PC-DARTS).");
ABSL_FLAG(std::string, stage, "",
          "gaea only: retrain (default: train the genotype's evaluation network) | search (not available yet).");
ABSL_FLAG(std::string, genotype, "",
          "gaea only: a genotype text-proto file or a recorded genotype name (default: the config's, else the "
          "task's active recorded genotype).");
ABSL_FLAG(int64_t, darts_channels, -1, "Override (gaea): the evaluation network's C.");
ABSL_FLAG(int64_t, darts_layers, -1, "Override (gaea): the evaluation network's cell count.");
ABSL_FLAG(double, drop_path_prob, NAN, "Override (gaea): drop_path_prob (p = prob * epoch / drop_path_epochs).");
ABSL_FLAG(std::string, mode, "retrain",
          "retrain: train on train+val, evaluate on test (the published numbers); search: train / val / test.");
ABSL_FLAG(std::string, config, "", "Experiment config text proto (default: configs/<task>/<method>[_retrain].pbtxt).");
ABSL_FLAG(std::string, data, "auto",
          "synthetic | generated (Darcy Flow: made now by our solver, scaled by --synthetic_fraction) | auto "
          "(prepared data under $NB360_DATA/<task>; else Darcy Flow's full generated set, made once and kept "
          "there; else synthetic) | DIR.");
ABSL_FLAG(double, synthetic_fraction, 0.0,
          "Synthetic / generated set size as a fraction of the real one (0: the small synthetic default, the full "
          "generated set).");
ABSL_FLAG(std::string, out, "", "Run directory (default: runs/<task>/<method>-<mode>-seed<S>).");
ABSL_FLAG(bool, resume, true, "Continue from the latest checkpoint in --out.");
ABSL_FLAG(int64_t, epochs, -1, "Override: epochs.");
ABSL_FLAG(int64_t, seed, -1, "Override: seed (weights, data order, augmentation).");
ABSL_FLAG(int64_t, batch_size, -1, "Override: training batch size.");
ABSL_FLAG(int64_t, eval_batch_size, -1, "Override: evaluation batch size.");
ABSL_FLAG(double, lr, NAN, "Override: learning rate.");
ABSL_FLAG(double, momentum, NAN, "Override: SGD momentum (Nesterov when > 0 unless the config says plain_momentum).");
ABSL_FLAG(double, weight_decay, NAN, "Override: weight decay.");
ABSL_FLAG(double, dropout, NAN, "Override: dropout between the block convolutions.");
ABSL_FLAG(int64_t, depth, -1, "Override: WRN depth (6n + 4).");
ABSL_FLAG(int64_t, widen, -1, "Override: WRN widen factor.");
ABSL_FLAG(std::string, schedule, "", "Override: wrn_step | constant | cosine.");
ABSL_FLAG(int64_t, max_steps_per_epoch, 0, "Cap on training steps per epoch (0: full epochs; for smoke runs).");
ABSL_FLAG(int64_t, max_eval_batches, 0, "Cap on evaluation batches (0: the whole split; for smoke runs).");
ABSL_FLAG(int, workers, 2, "Loader worker threads.");
ABSL_FLAG(std::string, device, "cpu", "cpu | cuda (needs a --config=cuda build and a GPU).");

namespace nb360 {
namespace {

// A path given on the command line, relative to where `bazel run` was invoked.
std::string UserPath(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  return wd != nullptr ? (std::filesystem::path(wd) / p).string() : p;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", NB360_TASK, what.c_str());
  return 1;
}

// --device: the CPU, or the GPU when this build has the CUDA backend and a device answers; checked
// (and the backend started) before any work.
absl::StatusOr<Device> ResolveDevice() {
  const std::string d = absl::GetFlag(FLAGS_device);
  if (d == "cpu") return Device::CPU();
  if (d != "cuda") return absl::InvalidArgumentError(absl::StrCat("--device must be cpu or cuda, got \"", d, "\""));
#ifdef NB360_WITH_CUDA
  static const absl::Status started = InitCudaBackend();
  if (!started.ok()) return absl::FailedPreconditionError(absl::StrCat("--device=cuda: ", started.message()));
  return Device::CUDA();
#else
  return absl::FailedPreconditionError(
      "--device=cuda: this build has no CUDA backend (build with --config=cuda on a machine with CUDA)");
#endif
}

absl::StatusOr<ExperimentConfig> ResolveConfig() {
  const std::string method = absl::GetFlag(FLAGS_method), mode = absl::GetFlag(FLAGS_mode);
  if (method != "wrn" && method != "gaea") {
    return absl::InvalidArgumentError(absl::StrCat("--method=", method, " is not available (wrn, gaea)"));
  }
  if (mode != "search" && mode != "retrain") {
    return absl::InvalidArgumentError(absl::StrCat("--mode=", mode, " must be retrain or search"));
  }
  const std::string stage = absl::GetFlag(FLAGS_stage);
  if (method == "wrn") {
    if (!stage.empty() || !absl::GetFlag(FLAGS_genotype).empty() || absl::GetFlag(FLAGS_darts_channels) != -1 ||
        absl::GetFlag(FLAGS_darts_layers) != -1 || !std::isnan(absl::GetFlag(FLAGS_drop_path_prob))) {
      return absl::InvalidArgumentError(
          "--stage, --genotype, --darts_channels, --darts_layers and --drop_path_prob are for --method=gaea");
    }
  } else {
    if (stage == "search") {
      return absl::UnimplementedError(
          "--method=gaea --stage=search is not available yet (the GAEA PC-DARTS search is being written); run "
          "--stage=retrain with --genotype=FILE|NAME (default: the task's active recorded genotype)");
    }
    if (!stage.empty() && stage != "retrain") {
      return absl::InvalidArgumentError(absl::StrCat("--stage=", stage, " must be retrain (or search, not available yet)"));
    }
    if (mode != "retrain") {
      return absl::InvalidArgumentError(
          "--method=gaea --stage=retrain runs in --mode=retrain (train+val, evaluated on test; spec §A.8)");
    }
  }
  const std::string path = absl::GetFlag(FLAGS_config).empty() ? ConfigPath(NB360_TASK, method, mode)
                                                               : UserPath(absl::GetFlag(FLAGS_config));
  absl::StatusOr<ExperimentConfig> c = LoadExperimentConfig(path);
  if (!c.ok()) return c.status();
  if (c->task() != NB360_TASK) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a config for task '", c->task(), "'"));
  }
  if (absl::GetFlag(FLAGS_epochs) != -1) c->set_epochs(absl::GetFlag(FLAGS_epochs));
  if (absl::GetFlag(FLAGS_seed) != -1) c->set_seed(absl::GetFlag(FLAGS_seed));
  if (absl::GetFlag(FLAGS_batch_size) != -1) c->set_batch_size(absl::GetFlag(FLAGS_batch_size));
  if (absl::GetFlag(FLAGS_eval_batch_size) != -1) c->set_eval_batch_size(absl::GetFlag(FLAGS_eval_batch_size));
  if (!std::isnan(absl::GetFlag(FLAGS_lr))) c->set_lr(absl::GetFlag(FLAGS_lr));
  if (!std::isnan(absl::GetFlag(FLAGS_momentum))) c->set_momentum(absl::GetFlag(FLAGS_momentum));
  if (!std::isnan(absl::GetFlag(FLAGS_weight_decay))) c->set_weight_decay(absl::GetFlag(FLAGS_weight_decay));
  if (!std::isnan(absl::GetFlag(FLAGS_dropout))) c->set_dropout(absl::GetFlag(FLAGS_dropout));
  if (absl::GetFlag(FLAGS_depth) != -1) c->set_depth(absl::GetFlag(FLAGS_depth));
  if (absl::GetFlag(FLAGS_widen) != -1) c->set_widen(absl::GetFlag(FLAGS_widen));
  if (!absl::GetFlag(FLAGS_schedule).empty()) c->set_schedule(absl::GetFlag(FLAGS_schedule));
  if (c->method() != method) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a config for method '", c->method(), "'"));
  }
  if (method == "gaea") {
    if (!absl::GetFlag(FLAGS_genotype).empty()) c->mutable_darts()->set_genotype(absl::GetFlag(FLAGS_genotype));
    if (absl::GetFlag(FLAGS_darts_channels) != -1) c->mutable_darts()->set_channels(absl::GetFlag(FLAGS_darts_channels));
    if (absl::GetFlag(FLAGS_darts_layers) != -1) c->mutable_darts()->set_layers(absl::GetFlag(FLAGS_darts_layers));
    if (!std::isnan(absl::GetFlag(FLAGS_drop_path_prob))) {
      c->mutable_darts()->set_drop_path_prob(absl::GetFlag(FLAGS_drop_path_prob));
    }
  }
  absl::Status s = ValidateExperimentConfig(*c);
  if (!s.ok()) return s;
  if (absl::GetFlag(FLAGS_max_steps_per_epoch) < 0 || absl::GetFlag(FLAGS_max_eval_batches) < 0 ||
      absl::GetFlag(FLAGS_workers) < 0) {
    return absl::InvalidArgumentError("--max_steps_per_epoch, --max_eval_batches and --workers must be >= 0");
  }
  if (absl::GetFlag(FLAGS_synthetic_fraction) < 0 || absl::GetFlag(FLAGS_synthetic_fraction) > 1) {
    return absl::InvalidArgumentError("--synthetic_fraction must be in [0, 1]");
  }
  if (absl::StatusOr<Device> d = ResolveDevice(); !d.ok()) return d.status();
  return c;
}

// The run directory of a config.
std::string OutDir(const ExperimentConfig& config) {
  return absl::GetFlag(FLAGS_out).empty()
             ? UserPath(absl::StrCat("runs/", NB360_TASK, "/", config.method(), "-", config.mode(), "-seed",
                                     config.seed()))
             : UserPath(absl::GetFlag(FLAGS_out));
}

// GAEA: the genotype (a file path relative to where `bazel run` was invoked) and the network config,
// checked before any work; a resumable run directory that holds another genotype is refused.
absl::StatusOr<std::pair<nas::GenotypeChoice, nas::darts::EvalNetworkConfig>> ResolveGaea(
    const ExperimentConfig& config, const tasks::TaskInfo& info) {
  std::string spec = config.darts().genotype();
  if (!spec.empty() && (spec.find('/') != std::string::npos || std::filesystem::exists(UserPath(spec)))) {
    spec = UserPath(spec);
  }
  absl::StatusOr<nas::GenotypeChoice> g = nas::ResolveGenotype(NB360_TASK, spec);
  if (!g.ok()) return g.status();
  absl::StatusOr<nas::darts::EvalNetworkConfig> nc =
      nas::RetrainNetworkConfig(info, config.darts().channels(), config.darts().layers());
  if (!nc.ok()) return nc.status();
  const std::string saved = (std::filesystem::path(OutDir(config)) / "genotype.pbtxt").string();
  if (absl::GetFlag(FLAGS_resume) && std::filesystem::exists(saved)) {
    absl::StatusOr<std::string> text = io::ReadFile(saved);
    if (!text.ok() || *text != g->text) {
      return absl::FailedPreconditionError(absl::StrCat(
          saved, " holds another genotype than --genotype=", g->name,
          ": use another --out, the same genotype, or --resume=false"));
    }
  }
  return std::make_pair(*std::move(g), *nc);
}

int Run() {
  absl::StatusOr<ExperimentConfig> config = ResolveConfig();
  if (!config.ok()) return Fail(std::string(config.status().message()));
  absl::StatusOr<std::unique_ptr<tasks::Task>> task = tasks::MakeTask(NB360_TASK);
  if (!task.ok()) return Fail(std::string(task.status().message()));
  const bool gaea = config->method() == "gaea";
  absl::StatusOr<std::pair<nas::GenotypeChoice, nas::darts::EvalNetworkConfig>> darts;
  if (gaea) {
    darts = ResolveGaea(*config, (*task)->info());
    if (!darts.ok()) return Fail(std::string(darts.status().message()));
  }
  tasks::DataOptions data_options;
  data_options.mode = config->mode() == "search" ? tasks::RunMode::kSearch : tasks::RunMode::kRetrain;
  data_options.data = absl::GetFlag(FLAGS_data);
  if (data_options.data != "auto" && data_options.data != "synthetic" && data_options.data != "generated") {
    data_options.data = UserPath(data_options.data);
  }
  if (data_options.data == "auto" && (*task)->HasGenerator() &&
      !tasks::LooksLikeDataset(tasks::DefaultDataDir(NB360_TASK))) {
    std::printf("%s: no prepared data in %s: generating the benchmark-sized set there once (our solver; about "
                "2 minutes on 2 cores) ...\n",
                NB360_TASK, tasks::DefaultDataDir(NB360_TASK).c_str());
    std::fflush(stdout);
  }
  data_options.seed = static_cast<uint64_t>(config->seed());
  data_options.synthetic_fraction = absl::GetFlag(FLAGS_synthetic_fraction);
  absl::StatusOr<tasks::TaskData> data = tasks::LoadTaskData(**task, data_options);
  if (!data.ok()) return Fail(std::string(data.status().message()));
  std::printf("%s: %s, mode %s, seed %lld\n", NB360_TASK, (*task)->info().title.c_str(), config->mode().c_str(),
              static_cast<long long>(config->seed()));
  std::printf("data: %s%s — %s\n", data->source == "synthetic" ? "SYNTHETIC " : "", data->source.c_str(),
              data->description.c_str());

  Generator init = Generator(static_cast<uint64_t>(config->seed())).Fork("model/init");
  std::shared_ptr<nn::Module> model;
  std::shared_ptr<nas::darts::EvalNetwork> eval_net;
  if (gaea) {
    absl::StatusOr<std::shared_ptr<nas::darts::EvalNetwork>> net =
        nas::darts::MakeEvalNetwork(darts->first.genotype, darts->second, init);
    if (!net.ok()) return Fail(std::string(net.status().message()));
    eval_net = *net;
    model = eval_net;
    std::printf("model: GAEA PC-DARTS evaluation network (%s), genotype %s (%s), C=%d, %d cells, %lld parameters\n",
                std::string(nas::NetworkKindName(darts->second.kind)).c_str(), darts->first.name.c_str(),
                darts->first.source.c_str(), darts->second.C, darts->second.layers,
                static_cast<long long>(model->NumParameters()));
  } else {
    baselines::WrnOptions wrn;
    wrn.depth = static_cast<int>(config->depth());
    wrn.widen = static_cast<int>(config->widen());
    wrn.dropout = config->dropout();
    model = baselines::MakeWrn((*task)->info(), wrn, init);
    std::printf("model: WRN-%lld-%lld, %lld parameters\n", static_cast<long long>(config->depth()),
                static_cast<long long>(config->widen()), static_cast<long long>(model->NumParameters()));
  }

  tasks::TrainConfig tc;
  tc.task = NB360_TASK;
  tc.method = config->method();
  tc.mode = data_options.mode;
  tc.epochs = config->epochs();
  tc.batch_size = config->batch_size();
  tc.eval_batch_size = config->eval_batch_size();
  tc.lr = config->lr();
  tc.momentum = config->momentum();
  tc.weight_decay = config->weight_decay();
  tc.nesterov = !config->plain_momentum();
  tc.schedule = config->schedule();
  tc.cosine_t_max = config->cosine_t_max();
  tc.cosine_eta_min = config->cosine_eta_min();
  tc.clip_grad_norm = config->clip_grad_norm();
  tc.seed = static_cast<uint64_t>(config->seed());
  tc.out_dir = OutDir(*config);
  tc.resume = absl::GetFlag(FLAGS_resume);
  tc.max_steps_per_epoch = absl::GetFlag(FLAGS_max_steps_per_epoch);
  tc.max_eval_batches = absl::GetFlag(FLAGS_max_eval_batches);
  tc.num_workers = absl::GetFlag(FLAGS_workers);
  tc.device = *ResolveDevice();
  tc.data_source = data->source;
  tc.data_description = data->description;
  tc.config_text = ExperimentConfigText(*config);
  if (gaea) {
    nas::AttachToTraining(*eval_net,
                          nas::DropPathSchedule{.prob = config->darts().drop_path_prob(),
                                                .epochs = config->darts().drop_path_epochs()},
                          darts->first, &tc);
    std::error_code ec;
    std::filesystem::create_directories(tc.out_dir, ec);
    const std::string path = (std::filesystem::path(tc.out_dir) / "genotype.pbtxt").string();
    if (absl::Status s = nas::darts::WriteGenotypeFile(path, darts->first.genotype); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    std::printf("genotype: %s written to %s\n", darts->first.name.c_str(), path.c_str());
  }
  absl::StatusOr<tasks::TrainResult> result = tasks::Train(*model, **task, *data, tc);
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", NB360_TASK, std::string(result.status().message()).c_str());
    return absl::IsCancelled(result.status()) ? 130 : 1;
  }
  std::printf("%s: final %s = %.6g on %s data; results in %s/results.json\n", NB360_TASK,
              result->final.primary.c_str(), result->final.primary_value(), data->source.c_str(), tc.out_dir.c_str());
  return 0;
}

}  // namespace
}  // namespace nb360

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(absl::StrCat("Trains and evaluates a method on ", NB360_TASK,
                                            ".\n  bazel run -c opt //tasks:", NB360_TASK,
                                            " -- --method=wrn|gaea [--data=synthetic] [--epochs=N] [--seed=S] [--out=DIR]"
                                            " [--genotype=FILE|NAME (gaea)]"));
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "%s: unexpected argument '%s'\n", NB360_TASK, rest[1]);
    return 1;
  }
  return nb360::Run();
}
