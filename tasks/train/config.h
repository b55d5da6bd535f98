// tasks/train/config.h: the settings of one training run (TrainConfig) and their JSON form.
//
// Hyperparameters follow the backbone runs (baselines spec §3): SGD with momentum, weight decay coupled
// into the gradient of every parameter, Nesterov whenever momentum > 0, a per-epoch lr multiplier
// (schedule.h). Optional, off by default (so backbone runs are unchanged): plain (non-Nesterov)
// momentum, the per-epoch cosine schedule, gradient L2-norm clipping, a hook at the start of every
// training epoch (GAEA retrain sets its drop-path probability there) and extra model random streams to
// checkpoint (spec nas_darts_densenas.md §A.8). Test hooks let tests interrupt a run at an exact step or
// inject a non-finite loss.
//
// Leaves out: the per-task default values (the caller fills them from the spec tables).
#ifndef NB360_TASKS_TRAIN_CONFIG_H_
#define NB360_TASKS_TRAIN_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/io/json.h"
#include "engine/precision.h"
#include "engine/rng.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

// Where a run is: the step just taken (hooks) counts from 0 within the epoch.
struct StepPosition {
  int64_t epoch = 0;
  int64_t batch = 0;        // batch index within the epoch
  int64_t global_step = 0;  // optimizer steps taken before this one, over the whole run
};

// For tests only; empty by default.
struct TrainHooks {
  // Called after each optimizer step (before the interrupt check), e.g. to raise a signal.
  std::function<void(const StepPosition&)> after_step;
  // Return true to replace this step's loss value with NaN (before Backward).
  std::function<bool(const StepPosition&)> inject_nan;
};

struct TrainConfig {
  std::string task;            // registry name, e.g. "ninapro"
  std::string method = "wrn";  // what the model is, for results and reports
  RunMode mode = RunMode::kSearch;
  int64_t epochs = 200;
  int64_t batch_size = 0;
  int64_t eval_batch_size = 0;  // 0: batch_size
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  bool nesterov = true;             // Nesterov whenever momentum > 0; false: plain momentum (GAEA)
  std::string schedule = "wrn_step";  // wrn_step | constant | cosine (schedule.h)
  double cosine_t_max = 0;          // "cosine": T_max in epochs (> 0)
  double cosine_eta_min = 0;        // "cosine": the floor
  double clip_grad_norm = 0;        // > 0: clip the gradients' total L2 norm to this before each step
  // Describes the model beyond `method` (e.g. GAEA's genotype, C, layers, drop path): recorded in
  // results.json's config as "model" and compared on resume. Empty: not recorded (backbone runs).
  std::vector<std::pair<std::string, std::string>> model_info;
  uint64_t seed = 0;
  std::string out_dir;
  bool resume = true;               // continue from the latest checkpoint in out_dir
  int64_t max_steps_per_epoch = 0;  // 0: full epoch (floor(N / batch) batches); else at most this
  int64_t max_eval_batches = 0;     // 0: the whole split
  int64_t eval_every_epochs = 1;    // the last epoch is always evaluated
  int num_workers = 2;              // loader threads
  Device device = Device::CPU();    // where the model trains (batches are moved there)
  // Fast paths (engine/precision.h): TF32 tensor cores for float32 GEMMs/convolutions on a CUDA
  // device; bf16 autocast of the training forward (convolutions and matrix products; backward follows);
  // the training step (forward, loss, backward) replayed as a recorded CUDA graph (graphed_step.h).
  bool allow_tf32 = false;
  MathPrecision autocast = MathPrecision::kFloat32;
  bool cuda_graph = false;
  int keep_checkpoints = 2;
  int64_t log_every_steps = 50;     // plain progress lines when stdout is not a terminal
  std::string data_source;          // "real" | "generated" | "synthetic" (from TaskData when empty)
  std::string data_description;
  std::string config_text;          // the experiment config the run came from, recorded verbatim
  TrainHooks hooks;                 // not serialized
  // Not serialized. Called at the start (or resumed start) of every training epoch, after the lr is
  // set and before the first batch, with the 0-based epoch: per-epoch model settings (drop path).
  std::function<void(int64_t epoch)> on_epoch_start;
  // Not serialized. Random streams the model owns besides its Dropout modules' (which are found by
  // themselves), e.g. a drop-path generator: saved in every checkpoint as "gen.<name>" and restored.
  std::vector<std::pair<std::string, Generator*>> model_generators;
};

// Checks values a run cannot start with (empty task/out_dir, non-positive sizes, unknown schedule).
absl::Status ValidateConfig(const TrainConfig& config);

// Every serializable field, in declaration order.
io::JsonValue ConfigToJson(const TrainConfig& config);

// The fields that must match for a checkpoint to be resumed by this config (everything that changes the
// trajectory: task, method, mode, epochs, batch sizes, lr, momentum, Nesterov, weight decay, schedule
// and its cosine parameters, clipping, model info, bf16 autocast, seed, step/eval limits). A key that an older
// checkpoint lacks matches its default. Empty when they match, else a message naming each difference.
std::string ResumeMismatch(const io::JsonValue& saved, const io::JsonValue& current);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_CONFIG_H_
