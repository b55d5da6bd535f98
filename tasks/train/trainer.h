// tasks/train/trainer.h: one training job of a model on a task (baselines spec §3), resumable.
//
// Train() runs SGD (momentum, weight decay coupled into every parameter's gradient, Nesterov whenever
// momentum > 0 unless config.nesterov is false) with a per-epoch lr schedule (schedule.h; cosine
// optional), optional gradient-norm clipping (config.clip_grad_norm, torch clip_grad_norm_ before the
// step) and an optional per-epoch hook (config.on_epoch_start) over the task's training split, evaluates
// the selection split after every epoch (validation in search mode, test in retrain mode; spec tasks
// §0.1) and, in search mode, the test split after the last epoch. Inputs larger than the task's training
// window (PSICOV's 512 x 512 test canvas) are predicted tile by tile (tiling.h).
//
// Robustness:
//  * A checkpoint (<out_dir>/ckpt-<global step>.safetensors, atomic) is written after every epoch: model
//    parameters and buffers (BatchNorm statistics), optimizer state, every Dropout generator and the
//    config's model_generators (e.g. GAEA's drop-path stream), the
//    position (epoch, batch, step), the run's history and the partial-epoch accumulators. The last
//    `keep_checkpoints` are kept. With config.resume, a run continues from the newest one, so a run
//    killed at any point (even SIGKILL) ends with exactly the weights and metrics of an uninterrupted
//    run: the loader is a pure function of (seed, epoch, batch) and every other piece of state is saved.
//  * SIGINT / SIGTERM: the current step finishes, a mid-epoch checkpoint is saved, and Train returns
//    absl::CancelledError saying where (the caller chooses the exit code). A second signal kills.
//  * A non-finite loss stops the run before the update (absl::InternalError naming epoch and step); the
//    last good checkpoint is never overwritten.
//
// Fast paths (off by default): config.allow_tf32 (TF32 tensor cores on a CUDA device),
// config.autocast = bf16 (the training forward's convolutions and matrix products in bf16,
// engine/precision.h; evaluation stays float32), config.cuda_graph (the step recorded once and
// replayed, graphed_step.h).
//
// Leaves out: multi-device training, EMA, early stopping (none are in the original backbone runs),
// and choosing per-task defaults (the caller sets the config).
#ifndef NB360_TASKS_TRAIN_TRAINER_H_
#define NB360_TASKS_TRAIN_TRAINER_H_

#include "absl/status/statusor.h"
#include "engine/nn/module.h"
#include "tasks/common/task.h"
#include "tasks/train/config.h"
#include "tasks/train/results.h"

namespace nb360::tasks {

// Trains `model` (already initialised; with resume its state is replaced by the checkpoint's) and
// writes <out_dir>/results.json, <out_dir>/log.jsonl and the checkpoints. Model outputs: (N, K) for
// point and 1-D tasks, (N, 1, H, W) for dense tasks.
absl::StatusOr<TrainResult> Train(nn::Module& model, const Task& task, const TaskData& data,
                                  const TrainConfig& config);

// The evaluation of one split as Train does it (eval mode, no gradients, tiled where needed). `epoch`
// keys the augmentation streams of splits evaluated with augmentation.
absl::StatusOr<MetricValues> EvaluateSplit(nn::Module& model, const Task& task, const TaskData& data,
                                           Split split, const TrainConfig& config, int64_t epoch);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_TRAINER_H_
