// nas/search/gaea_search.cc: the GAEA PC-DARTS search loop (see gaea_search.h).
#include "nas/search/gaea_search.h"

#include <chrono>
#include <cmath>
#include <csignal>
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
#include "engine/io/atomic_file.h"
#include "engine/io/checkpoint.h"
#include "engine/io/json.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/sgd.h"
#include "nas/darts/eg_optimizer.h"
#include "nas/darts/genotype_check.h"
#include "nas/darts/genotype_text.h"
#include "nas/darts/render.h"
#include "tasks/common/bilevel.h"
#include "tasks/train/progress.h"
#include "tasks/train/run_support.h"
#include "tasks/train/schedule.h"
#include "tasks/train/trainer.h"

namespace nb360::nas {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using tasks::Batch;
using tasks::EpochRecord;
using tasks::EvalRecord;
using tasks::Split;
using tasks::StepPosition;

using tasks::Annotate;
using tasks::ExactDouble;
using tasks::GetDouble;
using tasks::Seconds;
using tasks::SignalName;

// ---- Run state -----------------------------------------------------------------------------------

struct SearchState {
  int64_t epoch = 0;        // epoch in progress (or next)
  int64_t batch = 0;        // next batch of `epoch`
  int64_t global_step = 0;  // weight steps taken
  int64_t arch_steps = 0;   // EG steps taken
  tasks::TrainHistory history;
  std::vector<std::string> genotypes;  // shorthand after each finished epoch
  EpochRecord partial;
  double wall_seconds = 0;
  int64_t resumes = 0;
};

io::JsonValue StringsToJson(const std::vector<std::string>& v) {
  io::JsonValue a = io::JsonValue::MakeArray();
  for (const std::string& s : v) a.Append(io::JsonValue(s));
  return a;
}

class SearchRun {
 public:
  SearchRun(darts::SearchNetwork& net, const tasks::Task& task, const tasks::TaskData& data,
            GaeaSearchConfig config)
      : net_(net), task_(task), data_(data), config_(std::move(config)), tc_(config_.train),
        config_json_(tasks::ConfigToJson(tc_)),
        w_opt_(net.WeightParameters(), optim::SGDOptions{.lr = tc_.lr,
                                                         .momentum = tc_.momentum,
                                                         .weight_decay = tc_.weight_decay,
                                                         .nesterov = false}),
        a_opt_(net.ArchParameters(), config_.arch_lr),
        loader_(data.train, tasks::LoaderOptions{.batch_size = tc_.batch_size,
                                                 .shuffle = true,
                                                 .drop_last = true,
                                                 .augment = data.augment_train,
                                                 .seed = tc_.seed,
                                                 .num_workers = tc_.num_workers}) {}

  absl::StatusOr<GaeaSearchResult> Go();

 private:
  int64_t StepsPerEpoch() const {
    const int64_t n = loader_.num_batches();
    return tc_.max_steps_per_epoch > 0 ? std::min(n, tc_.max_steps_per_epoch) : n;
  }
  absl::Status Start();
  absl::Status Restore(const std::string& path);
  absl::Status Save();
  absl::Status TrainEpoch(int64_t steps);
  absl::Status EndEpoch();
  absl::Status WriteLog() const;
  absl::Status WriteOutputs(GaeaSearchResult* result);
  absl::Status NonFinite(const char* which, double value, const StepPosition& pos, int64_t steps) const;
  double WallSeconds() const { return st_.wall_seconds + Seconds(segment_start_, Clock::now()); }

  darts::SearchNetwork& net_;
  const tasks::Task& task_;
  const tasks::TaskData& data_;
  GaeaSearchConfig config_;
  tasks::TrainConfig tc_;
  io::JsonValue config_json_;
  optim::SGD w_opt_;
  darts::EG a_opt_;
  tasks::BilevelLoader loader_;
  SearchState st_;
  tasks::StopSignalScope signals_;
  std::unique_ptr<tasks::Progress> progress_;
  Clock::time_point segment_start_ = Clock::now();
  std::string last_checkpoint_;
};

absl::Status SearchRun::Save() {
  st_.wall_seconds = WallSeconds();
  segment_start_ = Clock::now();
  io::Checkpoint c;
  auto host = [](const Tensor& t) { return t.device().is_cpu() ? t : t.To(Device::CPU()); };
  // StateDict holds the weights, the BatchNorm statistics and alpha/beta (registered as buffers).
  for (auto& [name, t] : net_.StateDict()) c.tensors.emplace_back("model." + name, host(t));
  for (auto& [name, t] : optim::StateToTensors(w_opt_.StateDict())) c.tensors.emplace_back("optim." + name, host(t));
  for (auto& [name, t] : optim::StateToTensors(a_opt_.StateDict())) c.tensors.emplace_back("arch_optim." + name, host(t));
  io::SetInt(&c, "epoch", st_.epoch);
  io::SetInt(&c, "batch", st_.batch);
  io::SetInt(&c, "step", st_.global_step);
  io::SetInt(&c, "arch_steps", st_.arch_steps);
  io::SetInt(&c, "resumes", st_.resumes);
  io::SetInt(&c, "partial.steps", st_.partial.steps);
  io::SetInt(&c, "partial.samples", st_.partial.samples);
  c.metadata["partial.loss_sum"] = ExactDouble(st_.partial.train_loss);
  c.metadata["partial.seconds"] = ExactDouble(st_.partial.seconds);
  c.metadata["partial.wait_seconds"] = ExactDouble(st_.partial.data_wait_seconds);
  c.metadata["wall_seconds"] = ExactDouble(st_.wall_seconds);
  c.metadata["nb360.history"] = tasks::HistoryToJson(st_.history).Serialize();
  c.metadata["nb360.genotypes"] = StringsToJson(st_.genotypes).Serialize();
  c.metadata["nb360.config"] = config_json_.Serialize();
  const std::string path = io::CheckpointPath(tc_.out_dir, st_.global_step);
  if (absl::Status s = io::SaveCheckpoint(path, c); !s.ok()) return s;
  last_checkpoint_ = path;
  return io::PruneCheckpoints(tc_.out_dir, tc_.keep_checkpoints);
}

absl::Status SearchRun::Restore(const std::string& path) {
  absl::StatusOr<io::Checkpoint> c = io::LoadCheckpoint(path);
  if (!c.ok()) return absl::DataLossError(std::string(c.status().message()));
  auto cfg = c->metadata.find("nb360.config");
  if (cfg == c->metadata.end()) return absl::DataLossError(path + ": checkpoint has no config");
  absl::StatusOr<io::JsonValue> saved = io::ParseJson(cfg->second);
  if (!saved.ok()) return Annotate(saved.status(), path + ": config metadata: ");
  if (const std::string diff = tasks::ResumeMismatch(*saved, config_json_); !diff.empty()) {
    return absl::FailedPreconditionError(path + ": checkpoint belongs to a different search (" + diff +
                                         "); use another out_dir or resume = false");
  }
  nn::NamedTensors model_state;
  std::vector<std::pair<std::string, Tensor>> w_state, a_state;
  for (auto& [name, t] : c->tensors) {
    if (name.rfind("model.", 0) == 0) model_state.emplace_back(name.substr(6), t);
    if (name.rfind("optim.", 0) == 0) w_state.emplace_back(name.substr(6), t);
    if (name.rfind("arch_optim.", 0) == 0) a_state.emplace_back(name.substr(11), t);
  }
  if (absl::Status s = net_.LoadStateDict(model_state); !s.ok()) return Annotate(s, path + ": model: ");
  if (absl::Status s = w_opt_.LoadStateDict(optim::StateFromTensors(w_state)); !s.ok()) {
    return Annotate(s, path + ": weight optimizer: ");
  }
  if (absl::Status s = a_opt_.LoadStateDict(optim::StateFromTensors(a_state)); !s.ok()) {
    return Annotate(s, path + ": architecture optimizer: ");
  }
  SearchState r;
  for (auto [key, dst] : {std::pair<const char*, int64_t*>{"epoch", &r.epoch}, {"batch", &r.batch},
                          {"step", &r.global_step}, {"arch_steps", &r.arch_steps}, {"resumes", &r.resumes},
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
  for (const char* key : {"nb360.history", "nb360.genotypes"}) {
    if (!c->metadata.count(key)) return absl::DataLossError(absl::StrCat(path, ": checkpoint has no ", key));
  }
  absl::StatusOr<io::JsonValue> hj = io::ParseJson(c->metadata.at("nb360.history"));
  if (!hj.ok()) return Annotate(hj.status(), path + ": history: ");
  absl::StatusOr<tasks::TrainHistory> h = tasks::HistoryFromJson(*hj);
  if (!h.ok()) return Annotate(h.status(), path + ": ");
  r.history = std::move(*h);
  absl::StatusOr<io::JsonValue> gj = io::ParseJson(c->metadata.at("nb360.genotypes"));
  if (!gj.ok() || !gj->is_array()) return absl::DataLossError(path + ": bad genotype log");
  for (const io::JsonValue& g : gj->as_array()) {
    if (!g.is_string()) return absl::DataLossError(path + ": bad genotype log");
    r.genotypes.push_back(g.as_string());
  }
  r.resumes += 1;
  st_ = std::move(r);
  return absl::OkStatus();
}

absl::Status SearchRun::Start() {
  absl::StatusOr<std::string> path = tasks::StartOrResume(
      tc_.out_dir, tc_.resume, [&](const std::string& p) { return Restore(p); }, [&] { st_ = SearchState{}; },
      [&](const std::string& text) { progress_->Line(text); });
  if (!path.ok()) return path.status();
  if (path->empty()) return absl::OkStatus();
  last_checkpoint_ = *path;
  progress_->Line(absl::StrFormat("resuming from %s: epoch %d, batch %d, step %d", last_checkpoint_, st_.epoch,
                                  st_.batch, st_.global_step));
  return absl::OkStatus();
}

absl::Status SearchRun::NonFinite(const char* which, double value, const StepPosition& pos, int64_t steps) const {
  const std::string where = last_checkpoint_.empty() ? "no checkpoint was written yet"
                                                     : "the last good checkpoint is " + last_checkpoint_;
  progress_->Line(absl::StrFormat("non-finite %s loss (%g) at epoch %d step %d", which, value, pos.epoch, pos.batch));
  return absl::InternalError(absl::StrFormat(
      "%s: GAEA search: non-finite %s loss (%g) at epoch %d, step %d of %d (global step %d); stopped before "
      "the update; %s (lr %g, arch lr %g: try smaller learning rates)",
      tc_.task, which, value, pos.epoch, pos.batch, steps, pos.global_step, where,
      w_opt_.param_groups()[0].lr, config_.arch_lr));
}

absl::Status SearchRun::TrainEpoch(int64_t steps) {
  absl::StatusOr<double> lr = tasks::ScheduledLr(tc_.schedule, tc_.lr, st_.epoch, tc_.epochs, tc_.cosine_t_max,
                                                 tc_.cosine_eta_min);
  if (!lr.ok()) return lr.status();
  w_opt_.SetLearningRate(*lr);
  const bool arch_updates = st_.epoch >= config_.arch_warmup_epochs;
  std::vector<Tensor> weights = net_.WeightParameters();
  net_.train();
  loader_.StartEpoch(st_.epoch, st_.batch);
  progress_->StartEpoch(st_.epoch, st_.batch);
  EpochRecord& acc = st_.partial;
  while (st_.batch < steps) {
    const StepPosition pos{st_.epoch, st_.batch, st_.global_step};
    const Clock::time_point t0 = Clock::now();
    const double wait0 = loader_.wait_seconds();
    Batch wb, ab;
    if (!loader_.Next(&wb, &ab)) {
      return absl::InternalError(absl::StrFormat("bi-level loader ended early at epoch %d batch %d", pos.epoch,
                                                 pos.batch));
    }
    if (!tc_.device.is_cpu()) {
      wb = OnDevice(std::move(wb), tc_.device);
      ab = OnDevice(std::move(ab), tc_.device);
    }
    // 1. Weight step, architecture frozen.
    net_.SetArchRequiresGrad(false);
    w_opt_.ZeroGrad();
    Tensor loss = data_.objective->Loss(net_.Forward(wb.x), wb);
    double value = loss.item();
    if (tc_.hooks.inject_nan && tc_.hooks.inject_nan(pos)) value = std::numeric_limits<double>::quiet_NaN();
    if (!std::isfinite(value)) return NonFinite("weight", value, pos, steps);
    loss.Backward();
    if (tc_.clip_grad_norm > 0) optim::ClipGradNorm(weights, tc_.clip_grad_norm);
    w_opt_.Step();
    // 2. Architecture step at the just-updated weights, weights frozen (first order).
    if (arch_updates) {
      for (Tensor& w : weights) w.set_requires_grad(false);
      net_.SetArchRequiresGrad(true);
      net_.ZeroArchGrad();
      Tensor arch_loss = data_.objective->Loss(net_.Forward(ab.x), ab);
      const double av = arch_loss.item();
      if (!std::isfinite(av)) {
        for (Tensor& w : weights) w.set_requires_grad(true);
        return NonFinite("architecture", av, pos, steps);
      }
      arch_loss.Backward();
      a_opt_.Step();
      net_.ZeroArchGrad();
      net_.SetArchRequiresGrad(false);
      for (Tensor& w : weights) w.set_requires_grad(true);
      ++st_.arch_steps;
    }
    ++st_.global_step;
    ++st_.batch;
    tasks::AccountStep(acc, value, wb.size(), t0, loader_.wait_seconds() - wait0, pos.batch, *progress_);
    if (tc_.hooks.after_step) tc_.hooks.after_step(pos);
    if (int sig = signals_.pending()) {
      if (absl::Status s = Save(); !s.ok()) return s;
      const std::string msg = absl::StrFormat(
          "%s: GAEA search interrupted by %s at epoch %d, batch %d of %d (global step %d); checkpoint saved to "
          "%s; run again with resume to continue",
          tc_.task, SignalName(sig), st_.epoch, st_.batch, steps, st_.global_step, last_checkpoint_);
      progress_->Line(msg);
      return absl::CancelledError(msg);
    }
  }
  return absl::OkStatus();
}

absl::Status SearchRun::EndEpoch() {
  EpochRecord r = st_.partial;
  r.epoch = st_.epoch;
  r.lr = w_opt_.param_groups()[0].lr;
  r.train_loss = r.steps > 0 ? r.train_loss / r.steps : 0.0;
  st_.history.epochs.push_back(r);
  progress_->Line(absl::StrFormat("search epoch %d/%d done: lr %g train loss %.6g, %d steps%s", r.epoch + 1,
                                  tc_.epochs, r.lr, r.train_loss, r.steps,
                                  st_.epoch >= config_.arch_warmup_epochs ? " (+ architecture steps)"
                                                                          : " (warm-up: weights only)"));
  const Clock::time_point t0 = Clock::now();
  absl::StatusOr<tasks::MetricValues> m = tasks::EvaluateSplit(net_, task_, data_, Split::kVal, tc_, st_.epoch);
  net_.train();
  if (!m.ok()) return m.status();
  EvalRecord e{st_.epoch, "val", *m, Seconds(t0, Clock::now())};
  progress_->Line(absl::StrFormat("epoch %d val %s = %.6g (%.1fs)", st_.epoch + 1, m->primary, m->primary_value(),
                                  e.seconds));
  st_.history.evals.push_back(std::move(e));
  const std::string g = darts::GenotypeShorthand(net_.genotype());
  progress_->Line(absl::StrFormat("epoch %d genotype: %s", st_.epoch + 1, g));
  st_.genotypes.push_back(g);
  st_.epoch += 1;
  st_.batch = 0;
  st_.partial = EpochRecord{};
  if (absl::Status s = Save(); !s.ok()) return s;
  return WriteLog();
}

absl::Status SearchRun::WriteLog() const {
  std::string text;
  size_t ev = 0;
  for (size_t i = 0; i < st_.history.epochs.size(); ++i) {
    const EpochRecord& r = st_.history.epochs[i];
    text += tasks::EpochRecordToJson(r).Serialize() + "\n";
    while (ev < st_.history.evals.size() && st_.history.evals[ev].epoch <= r.epoch) {
      text += tasks::EvalRecordToJson(st_.history.evals[ev++]).Serialize() + "\n";
    }
    if (i < st_.genotypes.size()) {
      io::JsonValue g = io::JsonValue::MakeObject();
      g.Set("event", "genotype");
      g.Set("epoch", r.epoch);
      g.Set("arch_updates", r.epoch >= config_.arch_warmup_epochs);
      g.Set("genotype", st_.genotypes[i]);
      text += g.Serialize() + "\n";
    }
  }
  return io::WriteFileAtomically((fs::path(tc_.out_dir) / "log.jsonl").string(), text);
}

absl::Status SearchRun::WriteOutputs(GaeaSearchResult* out) {
  const fs::path dir(tc_.out_dir);
  out->genotype = net_.genotype();
  out->genotype_text = darts::GenotypeToText(out->genotype);
  out->genotype_per_epoch = st_.genotypes;
  out->genotype_path = (dir / "genotype.pbtxt").string();
  if (absl::Status s = darts::WriteGenotypeFile(out->genotype_path, out->genotype); !s.ok()) return s;
  const std::string dot_path = (dir / "genotype.dot").string();
  const std::string title = absl::StrCat(tc_.task, " GAEA search, seed ", tc_.seed);
  if (absl::Status s = io::WriteFileAtomically(dot_path, darts::GenotypeToDot(out->genotype, title)); !s.ok()) {
    return s;
  }
  std::string picture = "genotype.dot (no SVG: Graphviz's `dot` is not installed)";
  if (const std::string dot = darts::FindDotProgram(); !dot.empty()) {
    picture = darts::RenderDotFile(dot, dot_path, (dir / "genotype.svg").string()).ok()
                  ? "genotype.dot and genotype.svg"
                  : "genotype.dot (dot failed to make the SVG)";
  }
  tasks::TrainResult& r = out->train;
  r.history = st_.history;
  r.final_split = "val";
  if (!st_.history.evals.empty()) r.final = st_.history.evals.back().metrics;
  r.wall_seconds = WallSeconds();
  r.steps = st_.global_step;
  r.resumes = st_.resumes;
  r.results_path = (dir / "results.json").string();
  io::JsonValue v = tasks::ResultsToJson(tc_, r);
  v.Set("stage", "search");
  v.Set("arch_steps", st_.arch_steps);
  v.Set("genotype", darts::GenotypeShorthand(out->genotype));
  v.Set("genotype_text", out->genotype_text);
  v.Set("genotype_file", out->genotype_path);
  v.Set("genotype_per_epoch", StringsToJson(st_.genotypes));
  io::JsonValue per_epoch = io::JsonValue::MakeArray();
  for (const EvalRecord& e : st_.history.evals) {
    io::JsonValue x = io::JsonValue::MakeObject();
    x.Set("epoch", e.epoch);
    x.Set(e.metrics.primary, e.metrics.primary_value());
    per_epoch.Append(std::move(x));
  }
  v.Set("val_per_epoch", std::move(per_epoch));
  if (absl::Status s = io::WriteFileAtomically(r.results_path, v.Serialize(2) + "\n"); !s.ok()) return s;
  if (absl::Status s = WriteLog(); !s.ok()) return s;
  progress_->Line(absl::StrFormat("%s GAEA search done: genotype %s; wrote %s, %s, results.json in %s", tc_.task,
                                  darts::GenotypeShorthand(out->genotype), "genotype.pbtxt", picture, tc_.out_dir));
  return absl::OkStatus();
}

absl::StatusOr<GaeaSearchResult> SearchRun::Go() {
  const int64_t steps = StepsPerEpoch();
  if (steps <= 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: each half of the training split has %d samples, fewer than one batch of %d", tc_.task,
        loader_.half_size(), tc_.batch_size));
  }
  progress_ = std::make_unique<tasks::Progress>(tasks::Progress::StdoutIsTty(), tc_.log_every_steps, tc_.epochs,
                                                steps);
  if (absl::Status s = Start(); !s.ok()) return s;
  while (st_.epoch < tc_.epochs) {
    if (absl::Status s = TrainEpoch(steps); !s.ok()) return s;
    if (absl::Status s = EndEpoch(); !s.ok()) return s;
    if (int sig = signals_.pending()) {
      const std::string msg = absl::StrFormat(
          "%s: GAEA search interrupted by %s after epoch %d (global step %d); checkpoint saved to %s; run again "
          "with resume to continue", tc_.task, SignalName(sig), st_.epoch, st_.global_step, last_checkpoint_);
      progress_->Line(msg);
      return absl::CancelledError(msg);
    }
  }
  GaeaSearchResult result;
  if (absl::Status s = WriteOutputs(&result); !s.ok()) return s;
  return result;
}

}  // namespace

absl::StatusOr<darts::SearchNetworkConfig> SearchNetworkConfigFor(const tasks::TaskInfo& info, int64_t channels,
                                                                  int64_t layers, int64_t k) {
  darts::SearchNetworkConfig c;
  c.kind = info.dense ? darts::SearchNetworkConfig::kDense
                      : info.one_d ? darts::SearchNetworkConfig::k1d : darts::SearchNetworkConfig::kPoint2d;
  c.in_channels = static_cast<int>(info.input_shape[0]);
  c.num_classes = static_cast<int>(info.num_classes);
  if (layers < 1) return absl::InvalidArgumentError(absl::StrCat("search layers = ", layers, " must be at least 1"));
  if (k < 1 || channels < 1 || channels % k != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("search C = ", channels, " must be a positive multiple of K = ", k, " (partial channels)"));
  }
  const bool reduces = c.kind != darts::SearchNetworkConfig::kDense;  // cells layers/3, 2 layers/3
  if (reduces && (channels / k) % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("search C / K = ", channels / k,
                                                   " must be even when the network reduces (stride-2 edges)"));
  }
  c.C = static_cast<int>(channels);
  c.layers = static_cast<int>(layers);
  c.K = static_cast<int>(k);
  return c;
}

absl::StatusOr<GaeaSearchResult> RunGaeaSearch(darts::SearchNetwork& net, const tasks::Task& task,
                                               const tasks::TaskData& data, const GaeaSearchConfig& config_in) {
  GaeaSearchConfig config = config_in;
  tasks::TrainConfig& tc = config.train;
  if (tc.data_source.empty()) tc.data_source = data.source;
  if (tc.data_description.empty()) tc.data_description = data.description;
  if (tc.mode != tasks::RunMode::kSearch) return absl::InvalidArgumentError("the GAEA search runs in search mode");
  if (tc.nesterov && tc.momentum > 0) {
    return absl::InvalidArgumentError("the GAEA search uses plain (non-Nesterov) momentum (spec §A.6)");
  }
  if (!(config.arch_lr > 0) || !std::isfinite(config.arch_lr)) {
    return absl::InvalidArgumentError(absl::StrCat("arch lr = ", config.arch_lr, " must be positive"));
  }
  if (config.arch_warmup_epochs < 0) {
    return absl::InvalidArgumentError(absl::StrCat("arch warm-up epochs = ", config.arch_warmup_epochs, " must be >= 0"));
  }
  if (absl::Status s = tasks::ValidateConfig(tc); !s.ok()) return s;
  if (!data.train || !data.val || !data.objective) {
    return absl::InvalidArgumentError(tc.task + ": the GAEA search needs training and validation splits");
  }
  const darts::SearchNetworkConfig& nc = net.config();
  const char* kind = nc.kind == darts::SearchNetworkConfig::kDense ? "dense"
                     : nc.kind == darts::SearchNetworkConfig::k1d  ? "1d"
                                                                   : "point2d";
  tc.model_info = {{"network", absl::StrCat("gaea_search_", kind)},
                   {"C", absl::StrCat(nc.C)},
                   {"layers", absl::StrCat(nc.layers)},
                   {"K", absl::StrCat(nc.K)},
                   {"arch_lr", ExactDouble(config.arch_lr)},
                   {"arch_warmup_epochs", absl::StrCat(config.arch_warmup_epochs)},
                   {"arch_optimizer", "EG"}};
  net.To(tc.device);
  SearchRun run(net, task, data, std::move(config));
  return run.Go();
}

}  // namespace nb360::nas
