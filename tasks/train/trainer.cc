#include "tasks/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/autograd.h"
#include "engine/io/checkpoint.h"
#include "engine/nn/dropout.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/sgd.h"
#include "tasks/common/loader.h"
#include "tasks/common/tiling.h"
#include "tasks/train/graphed_step.h"
#include "tasks/train/progress.h"
#include "tasks/train/run_support.h"
#include "tasks/train/schedule.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- Small helpers -------------------------------------------------------------------------------

// Every Dropout module of the model with its dotted name ("" for the root).
std::vector<std::pair<std::string, nn::Dropout*>> DropoutModules(nn::Module& model) {
  std::vector<std::pair<std::string, nn::Dropout*>> out;
  for (auto& [name, m] : model.NamedModules()) {
    if (auto* d = dynamic_cast<nn::Dropout*>(m)) out.emplace_back(name.empty() ? "root" : name, d);
  }
  return out;
}

// ---- Run state -----------------------------------------------------------------------------------

// Everything that evolves during a run and must survive a restart.
struct RunState {
  int64_t epoch = 0;        // epoch in progress (or next to start)
  int64_t batch = 0;        // next batch of `epoch`
  int64_t global_step = 0;  // optimizer steps taken
  TrainHistory history;
  EpochRecord partial;      // accumulators of the epoch in progress (loss sum in train_loss)
  double wall_seconds = 0;  // before this segment
  int64_t resumes = 0;
};

io::Checkpoint MakeCheckpoint(nn::Module& model, const optim::Optimizer& opt, const RunState& st,
                              const io::JsonValue& config_json,
                              const std::vector<std::pair<std::string, Generator*>>& generators) {
  io::Checkpoint c;
  // Checkpoints hold host tensors (a model on a device is copied out).
  auto host = [](const Tensor& t) { return t.device().is_cpu() ? t : t.To(Device::CPU()); };
  for (auto& [name, t] : model.StateDict()) c.tensors.emplace_back("model." + name, host(t));
  for (auto& [name, t] : optim::StateToTensors(opt.StateDict())) {
    c.tensors.emplace_back("optim." + name, host(t));
  }
  for (auto& [name, d] : DropoutModules(model)) io::SetGeneratorState(&c, "dropout." + name, d->generator());
  for (auto& [name, g] : generators) io::SetGeneratorState(&c, "gen." + name, *g);
  io::SetInt(&c, "epoch", st.epoch);
  io::SetInt(&c, "batch", st.batch);
  io::SetInt(&c, "step", st.global_step);
  io::SetInt(&c, "resumes", st.resumes);
  io::SetInt(&c, "partial.steps", st.partial.steps);
  io::SetInt(&c, "partial.samples", st.partial.samples);
  c.metadata["partial.loss_sum"] = ExactDouble(st.partial.train_loss);
  c.metadata["partial.seconds"] = ExactDouble(st.partial.seconds);
  c.metadata["partial.wait_seconds"] = ExactDouble(st.partial.data_wait_seconds);
  c.metadata["wall_seconds"] = ExactDouble(st.wall_seconds);
  c.metadata["nb360.history"] = HistoryToJson(st.history).Serialize();
  c.metadata["nb360.config"] = config_json.Serialize();
  return c;
}

absl::Status RestoreCheckpoint(const std::string& path, const io::JsonValue& config_json, nn::Module& model,
                               optim::Optimizer& opt,
                               const std::vector<std::pair<std::string, Generator*>>& generators,
                               RunState* st) {
  absl::StatusOr<io::Checkpoint> c = io::LoadCheckpoint(path);
  if (!c.ok()) return absl::DataLossError(std::string(c.status().message()));
  if (auto it = c->metadata.find("nb360.config"); it != c->metadata.end()) {
    absl::StatusOr<io::JsonValue> saved = io::ParseJson(it->second);
    if (!saved.ok()) return Annotate(saved.status(), path + ": config metadata: ");
    const std::string diff = ResumeMismatch(*saved, config_json);
    if (!diff.empty()) {
      return absl::FailedPreconditionError(path + ": checkpoint belongs to a different run (" + diff +
                                           "); use another out_dir or resume = false");
    }
  }
  nn::NamedTensors model_state;
  std::vector<std::pair<std::string, Tensor>> optim_state;
  for (auto& [name, t] : c->tensors) {
    if (name.rfind("model.", 0) == 0) model_state.emplace_back(name.substr(6), t);
    if (name.rfind("optim.", 0) == 0) optim_state.emplace_back(name.substr(6), t);
  }
  if (absl::Status s = model.LoadStateDict(model_state); !s.ok()) return Annotate(s, path + ": model: ");
  if (absl::Status s = opt.LoadStateDict(optim::StateFromTensors(optim_state)); !s.ok()) {
    return Annotate(s, path + ": optimizer: ");
  }
  for (auto& [name, d] : DropoutModules(model)) {
    if (absl::Status s = io::RestoreGeneratorState(*c, "dropout." + name, &d->generator()); !s.ok()) {
      return Annotate(s, path + ": ");
    }
  }
  for (auto& [name, g] : generators) {
    if (absl::Status s = io::RestoreGeneratorState(*c, "gen." + name, g); !s.ok()) return Annotate(s, path + ": ");
  }
  RunState r;
  for (auto [key, dst] : {std::pair<const char*, int64_t*>{"epoch", &r.epoch}, {"batch", &r.batch},
                          {"step", &r.global_step}, {"resumes", &r.resumes},
                          {"partial.steps", &r.partial.steps}, {"partial.samples", &r.partial.samples}}) {
    absl::StatusOr<int64_t> v = io::GetInt(*c, key);
    if (!v.ok()) return Annotate(v.status(), path + ": ");
    *dst = *v;
  }
  for (auto [key, dst] : {std::pair<const char*, double*>{"partial.loss_sum", &r.partial.train_loss},
                          {"partial.seconds", &r.partial.seconds},
                          {"partial.wait_seconds", &r.partial.data_wait_seconds},
                          {"wall_seconds", &r.wall_seconds}}) {
    absl::StatusOr<double> v = GetDouble(*c, key, path);
    if (!v.ok()) return v.status();
    *dst = *v;
  }
  auto hist = c->metadata.find("nb360.history");
  if (hist == c->metadata.end()) return absl::DataLossError(path + ": checkpoint has no training history");
  absl::StatusOr<io::JsonValue> hj = io::ParseJson(hist->second);
  if (!hj.ok()) return Annotate(hj.status(), path + ": history: ");
  absl::StatusOr<TrainHistory> h = HistoryFromJson(*hj);
  if (!h.ok()) return Annotate(h.status(), path + ": ");
  r.history = std::move(*h);
  r.resumes += 1;
  *st = std::move(r);
  return absl::OkStatus();
}

// ---- Evaluation ----------------------------------------------------------------------------------

// The square tile to predict `set` with, or 0 when its inputs fit the training window.
int64_t TileFor(const Task& task, const SampleSet& set) {
  const TaskInfo& info = task.info();
  const Shape x = set.layout().x;
  if (info.one_d || info.input_shape.size() != 3 || x.size() != 3) return 0;
  if (x[1] <= info.input_shape[1] && x[2] <= info.input_shape[2]) return 0;
  NB_CHECK(info.input_shape[1] == info.input_shape[2], "tiled evaluation needs a square training window");
  return info.input_shape[1];
}

// ---- The run -------------------------------------------------------------------------------------

class Run {
 public:
  Run(nn::Module& model, const Task& task, const TaskData& data, TrainConfig config)
      : model_(model), task_(task), data_(data), config_(std::move(config)),
        config_json_(ConfigToJson(config_)),
        opt_(model.Parameters(), optim::SGDOptions{.lr = config_.lr,
                                                   .momentum = config_.momentum,
                                                   .weight_decay = config_.weight_decay,
                                                   .nesterov = config_.nesterov && config_.momentum > 0}),
        loader_(data.train, LoaderOptions{.batch_size = config_.batch_size,
                                          .shuffle = true,
                                          .drop_last = true,
                                          .augment = data.augment_train,
                                          .seed = config_.seed,
                                          .num_workers = config_.num_workers}) {}

  absl::StatusOr<TrainResult> Go();

 private:
  int64_t StepsPerEpoch() const {
    const int64_t n = loader_.num_batches();
    return config_.max_steps_per_epoch > 0 ? std::min(n, config_.max_steps_per_epoch) : n;
  }
  absl::Status Start();
  absl::Status TrainEpoch(int64_t steps);
  absl::Status EndEpoch();
  absl::Status Evaluate(Split split);
  absl::Status Save();
  double WallSeconds() const { return st_.wall_seconds + Seconds(segment_start_, Clock::now()); }
  TrainResult Result() const;

  nn::Module& model_;
  const Task& task_;
  const TaskData& data_;
  TrainConfig config_;
  io::JsonValue config_json_;
  optim::SGD opt_;
  Loader loader_;
  RunState st_;
  StopSignalScope signals_;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<GraphedStep> graphed_;  // --cuda_graph
  bool graph_note_shown_ = false;
  Clock::time_point segment_start_ = Clock::now();
  std::string last_checkpoint_;
};

absl::Status Run::Start() {
  absl::StatusOr<std::string> path = StartOrResume(
      config_.out_dir, config_.resume,
      [&](const std::string& p) {
        return RestoreCheckpoint(p, config_json_, model_, opt_, config_.model_generators, &st_);
      },
      [&] { st_ = RunState{}; }, [&](const std::string& text) { progress_->Line(text); });
  if (!path.ok()) return path.status();
  if (path->empty()) return absl::OkStatus();
  last_checkpoint_ = *path;
  progress_->Line(absl::StrFormat("resuming from %s: epoch %d, batch %d, step %d", last_checkpoint_, st_.epoch,
                                  st_.batch, st_.global_step));
  return absl::OkStatus();
}

absl::Status Run::Save() {
  st_.wall_seconds = WallSeconds();
  segment_start_ = Clock::now();
  const std::string path = io::CheckpointPath(config_.out_dir, st_.global_step);
  if (absl::Status s = io::SaveCheckpoint(path, MakeCheckpoint(model_, opt_, st_, config_json_, config_.model_generators)); !s.ok()) {
    return s;
  }
  last_checkpoint_ = path;
  return io::PruneCheckpoints(config_.out_dir, config_.keep_checkpoints);
}

absl::Status Run::TrainEpoch(int64_t steps) {
  absl::StatusOr<double> lr = ScheduledLr(config_.schedule, config_.lr, st_.epoch, config_.epochs,
                                          config_.cosine_t_max, config_.cosine_eta_min);
  if (!lr.ok()) return lr.status();
  opt_.SetLearningRate(*lr);
  if (config_.on_epoch_start) config_.on_epoch_start(st_.epoch);
  model_.train();
  loader_.StartEpoch(st_.epoch, st_.batch);
  progress_->StartEpoch(st_.epoch, st_.batch);
  EpochRecord& acc = st_.partial;
  while (st_.batch < steps) {
    const StepPosition pos{st_.epoch, st_.batch, st_.global_step};
    const Clock::time_point t0 = Clock::now();
    const double wait0 = loader_.wait_seconds();
    Batch batch;
    if (!loader_.Next(&batch)) {
      return absl::InternalError(absl::StrFormat("training loader ended early at epoch %d batch %d", pos.epoch,
                                                 pos.batch));
    }
    Tensor loss;
    if (graphed_ != nullptr) {
      loss = graphed_->Step(batch);  // forward, loss and backward (a graph replay when recorded)
      if (!graphed_->note().empty() && !graph_note_shown_) {
        progress_->Line(graphed_->note());
        graph_note_shown_ = true;
      }
    } else {
      model_.ZeroGrad();
      if (!config_.device.is_cpu()) batch = OnDevice(batch, config_.device);
      AutocastScope autocast(config_.autocast);
      loss = data_.objective->Loss(model_.Forward(batch.x), batch);
    }
    double value = loss.item();
    if (config_.hooks.inject_nan && config_.hooks.inject_nan(pos)) value = std::numeric_limits<double>::quiet_NaN();
    if (!std::isfinite(value)) {
      const std::string where = last_checkpoint_.empty() ? "no checkpoint was written yet"
                                                         : "the last good checkpoint is " + last_checkpoint_;
      progress_->Line(absl::StrFormat("non-finite loss (%g) at epoch %d step %d", value, pos.epoch, pos.batch));
      return absl::InternalError(absl::StrFormat(
          "%s: non-finite training loss (%g) at epoch %d, step %d of %d (global step %d); stopped before "
          "the update; %s (lr %g: try a smaller learning rate)",
          config_.task, value, pos.epoch, pos.batch, steps, pos.global_step, where, *lr));
    }
    if (graphed_ == nullptr) loss.Backward();  // the graphed step ran it (before the update, too)
    if (config_.clip_grad_norm > 0) optim::ClipGradNorm(model_.Parameters(), config_.clip_grad_norm);
    opt_.Step();
    ++st_.global_step;
    ++st_.batch;
    AccountStep(acc, value, batch.size(), t0, loader_.wait_seconds() - wait0, pos.batch, *progress_);
    if (config_.hooks.after_step) config_.hooks.after_step(pos);
    if (int sig = signals_.pending()) {
      if (absl::Status s = Save(); !s.ok()) return s;
      const std::string msg = absl::StrFormat(
          "%s: interrupted by %s at epoch %d, batch %d of %d (global step %d); checkpoint saved to %s; "
          "run again with resume to continue",
          config_.task, SignalName(sig), st_.epoch, st_.batch, steps, st_.global_step, last_checkpoint_);
      progress_->Line(msg);
      return absl::CancelledError(msg);
    }
  }
  return absl::OkStatus();
}

absl::Status Run::Evaluate(Split split) {
  const Clock::time_point t0 = Clock::now();
  absl::StatusOr<MetricValues> m = EvaluateSplit(model_, task_, data_, split, config_, st_.epoch);
  model_.train();
  if (!m.ok()) return m.status();
  EvalRecord r{st_.epoch, std::string(SplitName(split)), *m, Seconds(t0, Clock::now())};
  progress_->Line(absl::StrFormat("epoch %d %s %s = %.6g (%.1fs)", st_.epoch + 1, r.split, m->primary,
                                  m->primary_value(), r.seconds));
  st_.history.evals.push_back(std::move(r));
  return absl::OkStatus();
}

absl::Status Run::EndEpoch() {
  EpochRecord r = st_.partial;
  r.epoch = st_.epoch;
  r.lr = opt_.param_groups()[0].lr;
  r.train_loss = r.steps > 0 ? r.train_loss / r.steps : 0.0;
  st_.history.epochs.push_back(r);
  progress_->Line(absl::StrFormat("epoch %d/%d done: lr %g train loss %.6g, %d steps, %.1f samples/s, "
                                  "data-wait %.1f%%",
                                  r.epoch + 1, config_.epochs, r.lr, r.train_loss, r.steps,
                                  r.seconds > 0 ? r.samples / r.seconds : 0.0, 100 * r.data_wait_fraction()));
  const bool last = st_.epoch + 1 == config_.epochs;
  const Split selection = config_.mode == RunMode::kSearch ? Split::kVal : Split::kTest;
  if (last || (st_.epoch + 1) % config_.eval_every_epochs == 0) {
    if (absl::Status s = Evaluate(selection); !s.ok()) return s;
  }
  if (last && config_.mode == RunMode::kSearch && data_.test) {
    if (absl::Status s = Evaluate(Split::kTest); !s.ok()) return s;
  }
  st_.epoch += 1;
  st_.batch = 0;
  st_.partial = EpochRecord{};
  if (absl::Status s = Save(); !s.ok()) return s;
  if (absl::Status s = WriteLog(config_.out_dir, st_.history); !s.ok()) return s;
  return absl::OkStatus();
}

TrainResult Run::Result() const {
  TrainResult r;
  r.history = st_.history;
  r.final_split = config_.mode == RunMode::kSearch ? "val" : "test";
  for (const EvalRecord& e : st_.history.evals) {
    if (e.split == r.final_split) r.final = e.metrics;
    if (config_.mode == RunMode::kSearch && e.split == "test" && e.epoch + 1 == config_.epochs) {
      r.has_final_test = true;
      r.final_test = e.metrics;
    }
  }
  r.wall_seconds = WallSeconds();
  r.steps = st_.global_step;
  r.resumes = st_.resumes;
  r.results_path = (fs::path(config_.out_dir) / "results.json").string();
  return r;
}

absl::StatusOr<TrainResult> Run::Go() {
  const int64_t steps = StepsPerEpoch();
  if (steps <= 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the training split has %d samples, fewer than one batch of %d", config_.task,
        loader_.num_samples(), config_.batch_size));
  }
  progress_ = std::make_unique<Progress>(Progress::StdoutIsTty(), config_.log_every_steps, config_.epochs, steps);
  SetAllowTf32(config_.allow_tf32);
  if (config_.cuda_graph) {
    graphed_ = std::make_unique<GraphedStep>(model_, *data_.objective, config_.device, config_.autocast);
  }
  if (absl::Status s = Start(); !s.ok()) return s;
  while (st_.epoch < config_.epochs) {
    if (absl::Status s = TrainEpoch(steps); !s.ok()) return s;
    if (absl::Status s = EndEpoch(); !s.ok()) return s;
    if (int sig = signals_.pending()) {
      const std::string msg = absl::StrFormat(
          "%s: interrupted by %s after epoch %d (global step %d); checkpoint saved to %s; run again with "
          "resume to continue", config_.task, SignalName(sig), st_.epoch, st_.global_step, last_checkpoint_);
      progress_->Line(msg);
      return absl::CancelledError(msg);
    }
  }
  TrainResult result = Result();
  if (absl::Status s = WriteLog(config_.out_dir, st_.history); !s.ok()) return s;
  if (absl::Status s = WriteResults(config_, result); !s.ok()) return s;
  progress_->Line(absl::StrFormat("%s %s final %s %s = %.6g; results in %s", config_.task, config_.method,
                                  result.final_split, result.final.primary,
                                  result.final.values.count(result.final.primary)
                                      ? result.final.primary_value()
                                      : std::numeric_limits<double>::quiet_NaN(),
                                  result.results_path));
  return result;
}

}  // namespace

absl::StatusOr<MetricValues> EvaluateSplit(nn::Module& model, const Task& task, const TaskData& data,
                                           Split split, const TrainConfig& config, int64_t epoch) {
  std::shared_ptr<const SampleSet> set = data.split(split);
  if (!set) {
    return absl::FailedPreconditionError(absl::StrCat(config.task, ": no ", std::string(SplitName(split)),
                                                      " split to evaluate in this mode"));
  }
  NoGradGuard no_grad;
  model.eval();
  const int64_t tile = TileFor(task, *set);
  Loader loader(set, LoaderOptions{.batch_size = config.eval_batch_size > 0 ? config.eval_batch_size
                                                                            : config.batch_size,
                                   .augment = data.augment(split),
                                   .seed = MixSeed(config.seed, 0x6576616cull /* "eval" */,
                                                   static_cast<uint64_t>(split)),
                                   .num_workers = config.num_workers});
  loader.StartEpoch(epoch);
  std::unique_ptr<Metric> metric = data.objective->NewMetric(split);
  Batch batch;
  int64_t n = 0;
  while ((config.max_eval_batches <= 0 || n < config.max_eval_batches) && loader.Next(&batch)) {
    // On a device, inputs go there and predictions come back: metrics read them on the host.
    auto predict = [&](const Tensor& x) { return model.Forward(x.To(config.device)).To(Device::CPU()); };
    Tensor out = tile > 0 ? PredictTiled(predict, batch.x, tile) : predict(batch.x);
    metric->Add(out, batch);
    ++n;
  }
  if (n == 0) {
    return absl::FailedPreconditionError(absl::StrCat(config.task, ": the ", std::string(SplitName(split)),
                                                      " split is empty"));
  }
  return metric->Result();
}

absl::StatusOr<TrainResult> Train(nn::Module& model, const Task& task, const TaskData& data,
                                  const TrainConfig& config_in) {
  TrainConfig config = config_in;
  if (config.data_source.empty()) config.data_source = data.source;
  if (config.data_description.empty()) config.data_description = data.description;
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  if (!data.train || !data.objective) {
    return absl::InvalidArgumentError(config.task + ": TaskData has no training split or objective");
  }
  if (config.mode == RunMode::kSearch && !data.val) {
    return absl::InvalidArgumentError(config.task + ": search mode needs a validation split");
  }
  if (config.mode == RunMode::kRetrain && !data.test) {
    return absl::InvalidArgumentError(config.task + ": retrain mode needs a test split");
  }
  model.To(config.device);  // in place: the optimizer and callers keep their handles
  Run run(model, task, data, std::move(config));
  return run.Go();
}

}  // namespace nb360::tasks
