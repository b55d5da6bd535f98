// tasks/run/run_main.cc: `bazel run //tasks:<task> -- --method=wrn [--data=synthetic|auto|DIR]
// [--mode=retrain|search] [--epochs=N] [--seed=S] [--out=DIR] ...`, or
// `... --method=gaea [--stage=search|retrain] [--genotype=FILE|NAME] ...` (GAEA PC-DARTS, spec
// nas_darts_densenas.md §A.6-§A.8): without --stage (and without --genotype) the search runs into
// <out>/search (configs/<task>/gaea_search.pbtxt) and the retrain of the genotype it found into <out>/retrain
// (configs/<task>/gaea_retrain.pbtxt); --stage=search runs the search only; --stage=retrain (or a
// --genotype) retrains a given genotype (default: the task's active recorded one).
//
// One binary per task (NB360_TASK is set by its BUILD rule). It reads configs/<task>/<method>[_retrain].pbtxt
// (gaea: gaea_search.pbtxt / gaea_retrain.pbtxt; or --config=FILE for one stage), applies every flag that was
// given on top (to both GAEA stages where both run), checks the result (and the genotype) before any work,
// says where the data comes from (real / generated / synthetic), builds the model (WRN, the GAEA search
// supernet, or the GAEA evaluation network of the genotype, which it writes to <out>/genotype.pbtxt), and
// trains with checkpoints every epoch (`--resume` continues a killed run) into --out, which receives
// results.json and log.jsonl (the search also genotype.pbtxt and genotype.dot). Exit status: 0 done, 1 error
// (bad flag, config, data, NaN loss), 130 interrupted (SIGINT/SIGTERM; a checkpoint was saved).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "baselines/wrn/wrn.h"
#include "configs/experiment_config.h"
#include "engine/io/atomic_file.h"
#include "engine/rng.h"
#include "nas/darts/eval_network.h"
#include "nas/darts/genotype_text.h"
#include "nas/retrain/gaea_retrain.h"
#include "nas/search/gaea_search.h"
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
          "gaea only: search (find a genotype) | retrain (train a genotype's evaluation network); default: search "
          "into <out>/search, then retrain the found genotype into <out>/retrain (retrain when --genotype is given).");
ABSL_FLAG(std::string, genotype, "",
          "gaea only: a genotype text-proto file or a recorded genotype name (default: the config's, else the "
          "task's active recorded genotype).");
ABSL_FLAG(int64_t, darts_channels, -1, "Override (gaea): C of the search supernet and of the evaluation network.");
ABSL_FLAG(int64_t, darts_layers, -1, "Override (gaea): the cell count of the supernet and of the evaluation network.");
ABSL_FLAG(int64_t, arch_warmup_epochs, -1, "Override (gaea search): weight-only epochs before architecture steps.");
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
ABSL_FLAG(std::string, device, "cpu", "cpu | cuda | cuda:N (needs a --config=cuda build and a GPU).");
ABSL_FLAG(bool, tf32, false, "--device=cuda: float32 convolutions and GEMMs may use TF32 tensor cores.");
ABSL_FLAG(std::string, autocast, "none",
          "none | bf16: training-step convolutions and matrix products in bf16 (float32 accumulation; "
          "tensors stay float32; evaluation in float32). On the CPU: the same numerics, no speed-up.");
ABSL_FLAG(bool, cuda_graph, false,
          "--device=cuda: record the training step (forward, loss, backward) as a CUDA graph and replay it.");

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
  int index = 0;
  const bool indexed = absl::StartsWith(d, "cuda:") && absl::SimpleAtoi(d.substr(5), &index) && index >= 0;
  if (d != "cuda" && !indexed) {
    return absl::InvalidArgumentError(absl::StrCat("--device must be cpu, cuda or cuda:N, got \"", d, "\""));
  }
#ifdef NB360_WITH_CUDA
  static const absl::Status started = InitCudaBackend(index);
  if (!started.ok()) return absl::FailedPreconditionError(absl::StrCat("--device=", d, ": ", started.message()));
  return Device::CUDA(index);
#else
  return absl::FailedPreconditionError(
      "--device=cuda: this build has no CUDA backend (build with --config=cuda on a machine with CUDA)");
#endif
}

// What a run does: a WRN run, or GAEA stages.
struct Plan {
  bool gaea = false;
  bool search = false;   // gaea: run the search stage
  bool retrain = false;  // gaea: run the retrain stage (after the search when both)
};

absl::StatusOr<Plan> ResolvePlan() {
  const std::string method = absl::GetFlag(FLAGS_method), mode = absl::GetFlag(FLAGS_mode);
  if (method != "wrn" && method != "gaea") {
    return absl::InvalidArgumentError(absl::StrCat("--method=", method, " is not available (wrn, gaea)"));
  }
  if (mode != "search" && mode != "retrain") {
    return absl::InvalidArgumentError(absl::StrCat("--mode=", mode, " must be retrain or search"));
  }
  const std::string stage = absl::GetFlag(FLAGS_stage);
  Plan plan;
  if (method == "wrn") {
    if (!stage.empty() || !absl::GetFlag(FLAGS_genotype).empty() || absl::GetFlag(FLAGS_darts_channels) != -1 ||
        absl::GetFlag(FLAGS_darts_layers) != -1 || !std::isnan(absl::GetFlag(FLAGS_drop_path_prob)) ||
        absl::GetFlag(FLAGS_arch_warmup_epochs) != -1) {
      return absl::InvalidArgumentError(
          "--stage, --genotype, --darts_channels, --darts_layers, --drop_path_prob and --arch_warmup_epochs are for "
          "--method=gaea");
    }
    return plan;
  }
  plan.gaea = true;
  if (!stage.empty() && stage != "retrain" && stage != "search") {
    return absl::InvalidArgumentError(absl::StrCat("--stage=", stage, " must be search or retrain"));
  }
  if (mode != "retrain") {
    return absl::InvalidArgumentError(
        "--method=gaea picks the data of each stage itself (search: train halves / val; retrain: train+val / test, "
        "spec §A.6, §A.8): leave --mode at its default");
  }
  const bool has_genotype = !absl::GetFlag(FLAGS_genotype).empty();
  plan.search = stage == "search" || (stage.empty() && !has_genotype);
  plan.retrain = stage == "retrain" || stage.empty();
  if (plan.search && has_genotype) {
    return absl::InvalidArgumentError("--genotype is for the retrain stage (the search finds the genotype)");
  }
  if (plan.search && !std::isnan(absl::GetFlag(FLAGS_drop_path_prob)) && !plan.retrain) {
    return absl::InvalidArgumentError("--drop_path_prob is for the retrain stage (the search has no drop path)");
  }
  if (!plan.search && absl::GetFlag(FLAGS_arch_warmup_epochs) != -1) {
    return absl::InvalidArgumentError("--arch_warmup_epochs is for the search stage");
  }
  if (plan.search && plan.retrain && !absl::GetFlag(FLAGS_config).empty()) {
    return absl::InvalidArgumentError("--config names the config of one stage: give --stage=search or --stage=retrain");
  }
  return plan;
}

// The config of a run (wrn) or of one GAEA stage (`gaea_stage` "search" | "retrain"), with the flags on top.
absl::StatusOr<ExperimentConfig> ResolveConfig(const std::string& gaea_stage) {
  const std::string method = absl::GetFlag(FLAGS_method);
  const std::string mode = gaea_stage.empty() ? absl::GetFlag(FLAGS_mode) : gaea_stage;
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
    if (c->mode() != mode) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": is a config for mode '", c->mode(), "', the ", mode,
                                                     " stage needs mode ", mode));
    }
    if (absl::GetFlag(FLAGS_darts_channels) != -1) c->mutable_darts()->set_channels(absl::GetFlag(FLAGS_darts_channels));
    if (absl::GetFlag(FLAGS_darts_layers) != -1) c->mutable_darts()->set_layers(absl::GetFlag(FLAGS_darts_layers));
    if (mode == "retrain") {
      if (!absl::GetFlag(FLAGS_genotype).empty()) c->mutable_darts()->set_genotype(absl::GetFlag(FLAGS_genotype));
      if (!std::isnan(absl::GetFlag(FLAGS_drop_path_prob))) {
        c->mutable_darts()->set_drop_path_prob(absl::GetFlag(FLAGS_drop_path_prob));
      }
    } else if (absl::GetFlag(FLAGS_arch_warmup_epochs) != -1) {
      c->mutable_darts()->set_arch_warmup_epochs(absl::GetFlag(FLAGS_arch_warmup_epochs));
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
  const std::string autocast = absl::GetFlag(FLAGS_autocast);
  if (autocast != "none" && autocast != "bf16") {
    return absl::InvalidArgumentError(absl::StrCat("--autocast must be none or bf16, got \"", autocast, "\""));
  }
  const bool gpu_only = absl::GetFlag(FLAGS_tf32) || absl::GetFlag(FLAGS_cuda_graph);
  if (gpu_only && !absl::StartsWith(absl::GetFlag(FLAGS_device), "cuda")) {
    return absl::InvalidArgumentError("--tf32 and --cuda_graph need --device=cuda");
  }
  return c;
}

// The run directory: --out, else runs/<task>/<method>-<mode>-seed<S> (GAEA search then retrain:
// runs/<task>/gaea-seed<S>, with search/ and retrain/ inside).
std::string OutDir(const ExperimentConfig& config, bool both_stages = false) {
  if (!absl::GetFlag(FLAGS_out).empty()) return UserPath(absl::GetFlag(FLAGS_out));
  return UserPath(both_stages ? absl::StrCat("runs/", NB360_TASK, "/gaea-seed", config.seed())
                              : absl::StrCat("runs/", NB360_TASK, "/", config.method(), "-", config.mode(), "-seed",
                                             config.seed()));
}

// GAEA: the genotype (a file path relative to where `bazel run` was invoked) and the network config,
// checked before any work; a resumable run directory that holds another genotype is refused.
absl::StatusOr<std::pair<nas::GenotypeChoice, nas::darts::EvalNetworkConfig>> ResolveGaea(
    const ExperimentConfig& config, const tasks::TaskInfo& info, const std::string& out_dir) {
  std::string spec = config.darts().genotype();
  if (!spec.empty() && (spec.find('/') != std::string::npos || std::filesystem::exists(UserPath(spec)))) {
    spec = UserPath(spec);
  }
  absl::StatusOr<nas::GenotypeChoice> g = nas::ResolveGenotype(NB360_TASK, spec);
  if (!g.ok()) return g.status();
  absl::StatusOr<nas::darts::EvalNetworkConfig> nc =
      nas::RetrainNetworkConfig(info, config.darts().channels(), config.darts().layers());
  if (!nc.ok()) return nc.status();
  const std::string saved = (std::filesystem::path(out_dir) / "genotype.pbtxt").string();
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

absl::StatusOr<tasks::TaskData> LoadData(const ExperimentConfig& config, const tasks::Task& task,
                                         tasks::DataVariant variant) {
  tasks::DataOptions data_options;
  data_options.mode = config.mode() == "search" ? tasks::RunMode::kSearch : tasks::RunMode::kRetrain;
  data_options.variant = variant;
  data_options.data = absl::GetFlag(FLAGS_data);
  if (data_options.data != "auto" && data_options.data != "synthetic" && data_options.data != "generated") {
    data_options.data = UserPath(data_options.data);
  }
  if (data_options.data == "auto" && task.HasGenerator() && !tasks::LooksLikeDataset(tasks::DefaultDataDir(NB360_TASK))) {
    std::printf("%s: no prepared data in %s: generating the benchmark-sized set there once (our solver; about "
                "2 minutes on 2 cores) ...\n",
                NB360_TASK, tasks::DefaultDataDir(NB360_TASK).c_str());
    std::fflush(stdout);
  }
  data_options.seed = static_cast<uint64_t>(config.seed());
  data_options.synthetic_fraction = absl::GetFlag(FLAGS_synthetic_fraction);
  absl::StatusOr<tasks::TaskData> data = tasks::LoadTaskData(task, data_options);
  if (!data.ok()) return data.status();
  std::printf("%s: %s, mode %s, seed %lld\n", NB360_TASK, task.info().title.c_str(), config.mode().c_str(),
              static_cast<long long>(config.seed()));
  std::printf("data: %s%s — %s\n", data->source == "synthetic" ? "SYNTHETIC " : "", data->source.c_str(),
              data->description.c_str());
  return data;
}

// The run settings shared by both kinds of run (trainer and search).
tasks::TrainConfig BaseTrainConfig(const ExperimentConfig& config, const tasks::TaskData& data, const std::string& out) {
  tasks::TrainConfig tc;
  tc.task = NB360_TASK;
  tc.method = config.method();
  tc.mode = config.mode() == "search" ? tasks::RunMode::kSearch : tasks::RunMode::kRetrain;
  tc.epochs = config.epochs();
  tc.batch_size = config.batch_size();
  tc.eval_batch_size = config.eval_batch_size();
  tc.lr = config.lr();
  tc.momentum = config.momentum();
  tc.weight_decay = config.weight_decay();
  tc.nesterov = !config.plain_momentum();
  tc.schedule = config.schedule();
  tc.cosine_t_max = config.cosine_t_max();
  tc.cosine_eta_min = config.cosine_eta_min();
  tc.clip_grad_norm = config.clip_grad_norm();
  tc.seed = static_cast<uint64_t>(config.seed());
  tc.out_dir = out;
  tc.resume = absl::GetFlag(FLAGS_resume);
  tc.max_steps_per_epoch = absl::GetFlag(FLAGS_max_steps_per_epoch);
  tc.max_eval_batches = absl::GetFlag(FLAGS_max_eval_batches);
  tc.num_workers = absl::GetFlag(FLAGS_workers);
  tc.device = *ResolveDevice();
  tc.allow_tf32 = absl::GetFlag(FLAGS_tf32);
  tc.autocast = absl::GetFlag(FLAGS_autocast) == "bf16" ? MathPrecision::kBFloat16 : MathPrecision::kFloat32;
  tc.cuda_graph = absl::GetFlag(FLAGS_cuda_graph);
  tc.data_source = data.source;
  tc.data_description = data.description;
  tc.config_text = ExperimentConfigText(config);
  return tc;
}

// The GAEA search stage into `out`; *genotype_path receives <out>/genotype.pbtxt.
int SearchStage(const ExperimentConfig& config, const tasks::Task& task, const std::string& out,
                std::string* genotype_path) {
  absl::StatusOr<nas::darts::SearchNetworkConfig> nc = nas::SearchNetworkConfigFor(
      task.info(), config.darts().channels(), config.darts().layers(), config.darts().partial_channels());
  if (!nc.ok()) return Fail(std::string(nc.status().message()));
  absl::StatusOr<tasks::TaskData> data = LoadData(config, task, tasks::DataVariant::kDartsSearch);
  if (!data.ok()) return Fail(std::string(data.status().message()));
  Generator init = Generator(static_cast<uint64_t>(config.seed())).Fork("model/init");
  nas::darts::SearchNetwork net(*nc, init);
  std::printf("model: GAEA PC-DARTS search supernet, C=%d, %d cells, K=%d, %lld weights + %lld architecture "
              "parameters; architecture steps from epoch %lld (EG lr %g)\n",
              nc->C, nc->layers, nc->K, static_cast<long long>(net.NumWeightParameters()),
              static_cast<long long>(net.NumArchParameters()),
              static_cast<long long>(config.darts().arch_warmup_epochs() + 1), config.darts().arch_lr());
  nas::GaeaSearchConfig sc;
  sc.train = BaseTrainConfig(config, *data, out);
  sc.arch_lr = config.darts().arch_lr();
  sc.arch_warmup_epochs = config.darts().arch_warmup_epochs();
  absl::StatusOr<nas::GaeaSearchResult> r = nas::RunGaeaSearch(net, task, *data, sc);
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", NB360_TASK, std::string(r.status().message()).c_str());
    return absl::IsCancelled(r.status()) ? 130 : 1;
  }
  std::printf("%s: search done: final val %s = %.6g on %s data; genotype in %s\n", NB360_TASK,
              r->train.final.primary.c_str(), r->train.final.primary_value(), data->source.c_str(),
              r->genotype_path.c_str());
  *genotype_path = r->genotype_path;
  return 0;
}

// A training run: WRN, or the GAEA retrain stage of the config's genotype, into `out`.
int TrainStage(const ExperimentConfig& config_in, const tasks::Task& task, const std::string& out) {
  const ExperimentConfig* config = &config_in;
  const bool gaea = config->method() == "gaea";
  absl::StatusOr<std::pair<nas::GenotypeChoice, nas::darts::EvalNetworkConfig>> darts;
  if (gaea) {
    darts = ResolveGaea(*config, task.info(), out);
    if (!darts.ok()) return Fail(std::string(darts.status().message()));
  }
  // The DARTS retrain path's data (FSD50K drops the first frame there, as the original's DARTS loader).
  const tasks::DataVariant variant = gaea ? tasks::DataVariant::kDartsEval : tasks::DataVariant::kBackbone;
  absl::StatusOr<tasks::TaskData> data = LoadData(*config, task, variant);
  if (!data.ok()) return Fail(std::string(data.status().message()));
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
    model = baselines::MakeWrn(task.info(), wrn, init);
    std::printf("model: WRN-%lld-%lld, %lld parameters\n", static_cast<long long>(config->depth()),
                static_cast<long long>(config->widen()), static_cast<long long>(model->NumParameters()));
  }

  tasks::TrainConfig tc = BaseTrainConfig(*config, *data, out);
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
  absl::StatusOr<tasks::TrainResult> result = tasks::Train(*model, task, *data, tc);
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", NB360_TASK, std::string(result.status().message()).c_str());
    return absl::IsCancelled(result.status()) ? 130 : 1;
  }
  std::printf("%s: final %s = %.6g on %s data; results in %s/results.json\n", NB360_TASK,
              result->final.primary.c_str(), result->final.primary_value(), data->source.c_str(), tc.out_dir.c_str());
  return 0;
}

int Run() {
  absl::StatusOr<Plan> plan = ResolvePlan();
  if (!plan.ok()) return Fail(std::string(plan.status().message()));
  // Every config is resolved and checked before any work.
  absl::StatusOr<ExperimentConfig> search_config, train_config;
  if (plan->search) {
    search_config = ResolveConfig("search");
    if (!search_config.ok()) return Fail(std::string(search_config.status().message()));
  }
  if (!plan->gaea || plan->retrain) {
    train_config = ResolveConfig(plan->gaea ? "retrain" : "");
    if (!train_config.ok()) return Fail(std::string(train_config.status().message()));
  }
  absl::StatusOr<std::unique_ptr<tasks::Task>> task = tasks::MakeTask(NB360_TASK);
  if (!task.ok()) return Fail(std::string(task.status().message()));
  if (!plan->search) return TrainStage(*train_config, **task, OutDir(*train_config));
  const bool both = plan->retrain;
  if (both) {  // the retrain network must be buildable before hours of search
    absl::StatusOr<nas::darts::EvalNetworkConfig> nc = nas::RetrainNetworkConfig(
        (*task)->info(), train_config->darts().channels(), train_config->darts().layers());
    if (!nc.ok()) return Fail(std::string(nc.status().message()));
  }
  const std::string base = OutDir(*search_config, both);
  const std::string search_out = both ? (std::filesystem::path(base) / "search").string() : base;
  std::string genotype_path;
  if (both) std::printf("GAEA PC-DARTS: search into %s, then retrain of the found genotype into %s/retrain\n",
                        search_out.c_str(), base.c_str());
  if (int rc = SearchStage(*search_config, **task, search_out, &genotype_path); rc != 0) return rc;
  if (!both) return 0;
  train_config->mutable_darts()->set_genotype(genotype_path);
  std::printf("retraining the searched genotype (%s)\n", genotype_path.c_str());
  return TrainStage(*train_config, **task, (std::filesystem::path(base) / "retrain").string());
}

}  // namespace
}  // namespace nb360

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(absl::StrCat("Trains and evaluates a method on ", NB360_TASK,
                                            ".\n  bazel run -c opt //tasks:", NB360_TASK,
                                            " -- --method=wrn|gaea [--data=synthetic] [--epochs=N] [--seed=S] [--out=DIR]"
                                            " [--stage=search|retrain --genotype=FILE|NAME (gaea)]"));
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "%s: unexpected argument '%s'\n", NB360_TASK, rest[1]);
    return 1;
  }
  return nb360::Run();
}
