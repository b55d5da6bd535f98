// tasks/run/run_main.cc: `bazel run //tasks:<task> -- --method=wrn [--data=synthetic|auto|DIR]
// [--mode=retrain|search] [--epochs=N] [--seed=S] [--out=DIR] ...`.
//
// One binary per task (NB360_TASK is set by its BUILD rule). It reads configs/<task>/<method>[_retrain].pbtxt
// (or --config=FILE), applies every flag that was given on top, checks the result before any work, says
// where the data comes from (real / generated / synthetic), builds the model, and trains with
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
#include "engine/rng.h"
#include "tasks/common/task.h"
#include "tasks/registry.h"
#include "tasks/train/trainer.h"

#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif

#ifndef NB360_TASK
#error "NB360_TASK must name the task (set by the BUILD rule)"
#endif

ABSL_FLAG(std::string, method, "wrn", "Method: wrn (Wide ResNet baseline).");
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
ABSL_FLAG(double, momentum, NAN, "Override: SGD momentum (Nesterov when > 0).");
ABSL_FLAG(double, weight_decay, NAN, "Override: weight decay.");
ABSL_FLAG(double, dropout, NAN, "Override: dropout between the block convolutions.");
ABSL_FLAG(int64_t, depth, -1, "Override: WRN depth (6n + 4).");
ABSL_FLAG(int64_t, widen, -1, "Override: WRN widen factor.");
ABSL_FLAG(std::string, schedule, "", "Override: wrn_step | constant.");
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
  if (method != "wrn") return absl::InvalidArgumentError(absl::StrCat("--method=", method, " is not available (wrn)"));
  if (mode != "search" && mode != "retrain") {
    return absl::InvalidArgumentError(absl::StrCat("--mode=", mode, " must be retrain or search"));
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

int Run() {
  absl::StatusOr<ExperimentConfig> config = ResolveConfig();
  if (!config.ok()) return Fail(std::string(config.status().message()));
  absl::StatusOr<std::unique_ptr<tasks::Task>> task = tasks::MakeTask(NB360_TASK);
  if (!task.ok()) return Fail(std::string(task.status().message()));
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
  baselines::WrnOptions wrn;
  wrn.depth = static_cast<int>(config->depth());
  wrn.widen = static_cast<int>(config->widen());
  wrn.dropout = config->dropout();
  std::shared_ptr<nn::Module> model = baselines::MakeWrn((*task)->info(), wrn, init);
  std::printf("model: WRN-%lld-%lld, %lld parameters\n", static_cast<long long>(config->depth()),
              static_cast<long long>(config->widen()), static_cast<long long>(model->NumParameters()));

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
  tc.schedule = config->schedule();
  tc.seed = static_cast<uint64_t>(config->seed());
  tc.out_dir = absl::GetFlag(FLAGS_out).empty()
                   ? UserPath(absl::StrCat("runs/", NB360_TASK, "/", config->method(), "-", config->mode(), "-seed",
                                           config->seed()))
                   : UserPath(absl::GetFlag(FLAGS_out));
  tc.resume = absl::GetFlag(FLAGS_resume);
  tc.max_steps_per_epoch = absl::GetFlag(FLAGS_max_steps_per_epoch);
  tc.max_eval_batches = absl::GetFlag(FLAGS_max_eval_batches);
  tc.num_workers = absl::GetFlag(FLAGS_workers);
  tc.device = *ResolveDevice();
  tc.data_source = data->source;
  tc.data_description = data->description;
  tc.config_text = ExperimentConfigText(*config);
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
                                            " -- --method=wrn [--data=synthetic] [--epochs=N] [--seed=S] [--out=DIR]"));
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "%s: unexpected argument '%s'\n", NB360_TASK, rest[1]);
    return 1;
  }
  return nb360::Run();
}
