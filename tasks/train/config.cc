#include "tasks/train/config.h"

#include <string>
#include <vector>

#include "tasks/train/schedule.h"

namespace nb360::tasks {

absl::Status ValidateConfig(const TrainConfig& c) {
  std::vector<std::string> bad;
  if (c.task.empty()) bad.push_back("task is empty");
  if (c.out_dir.empty()) bad.push_back("out_dir is empty");
  if (c.epochs <= 0) bad.push_back("epochs " + std::to_string(c.epochs) + " <= 0");
  if (c.batch_size <= 0) bad.push_back("batch_size " + std::to_string(c.batch_size) + " <= 0");
  if (c.eval_batch_size < 0) bad.push_back("eval_batch_size < 0");
  if (!(c.lr >= 0)) bad.push_back("lr must be >= 0");
  if (!(c.momentum >= 0)) bad.push_back("momentum must be >= 0");
  if (!(c.weight_decay >= 0)) bad.push_back("weight_decay must be >= 0");
  if (!IsKnownSchedule(c.schedule)) bad.push_back("unknown schedule '" + c.schedule + "'");
  if (c.schedule == "cosine" && !(c.cosine_t_max > 0)) bad.push_back("the cosine schedule needs cosine_t_max > 0");
  if (!(c.cosine_eta_min >= 0)) bad.push_back("cosine_eta_min must be >= 0");
  if (!(c.clip_grad_norm >= 0)) bad.push_back("clip_grad_norm must be >= 0");
  if (c.max_steps_per_epoch < 0) bad.push_back("max_steps_per_epoch < 0");
  if (c.max_eval_batches < 0) bad.push_back("max_eval_batches < 0");
  if (c.eval_every_epochs <= 0) bad.push_back("eval_every_epochs <= 0");
  if (c.num_workers < 0) bad.push_back("num_workers < 0");
  if (c.keep_checkpoints < 1) bad.push_back("keep_checkpoints < 1");
  if (c.log_every_steps <= 0) bad.push_back("log_every_steps <= 0");
  if (c.allow_tf32 && c.device.is_cpu()) bad.push_back("TF32 applies to CUDA devices only (device is cpu)");
  if (c.cuda_graph && c.device.type != DeviceType::kCUDA) {
    bad.push_back("CUDA graph capture needs the cuda device (device is " + c.device.ToString() + ")");
  }
  if (bad.empty()) return absl::OkStatus();
  std::string msg = "invalid training config:";
  for (size_t i = 0; i < bad.size(); ++i) msg += (i ? "; " : " ") + bad[i];
  return absl::InvalidArgumentError(msg);
}

io::JsonValue ConfigToJson(const TrainConfig& c) {
  io::JsonValue v = io::JsonValue::MakeObject();
  v.Set("task", c.task);
  v.Set("method", c.method);
  v.Set("mode", std::string(RunModeName(c.mode)));
  v.Set("epochs", c.epochs);
  v.Set("batch_size", c.batch_size);
  v.Set("eval_batch_size", c.eval_batch_size);
  v.Set("lr", c.lr);
  v.Set("momentum", c.momentum);
  v.Set("weight_decay", c.weight_decay);
  v.Set("nesterov", c.nesterov && c.momentum > 0);
  v.Set("schedule", c.schedule);
  if (c.schedule == "cosine") {
    v.Set("cosine_t_max", c.cosine_t_max);
    v.Set("cosine_eta_min", c.cosine_eta_min);
  }
  if (c.clip_grad_norm > 0) v.Set("clip_grad_norm", c.clip_grad_norm);
  if (!c.model_info.empty()) {
    io::JsonValue m = io::JsonValue::MakeObject();
    for (const auto& [k, x] : c.model_info) m.Set(k, x);
    v.Set("model", std::move(m));
  }
  v.Set("seed", c.seed);
  v.Set("out_dir", c.out_dir);
  if (c.allow_tf32) v.Set("tf32", true);
  if (c.autocast != MathPrecision::kFloat32) v.Set("autocast", std::string(MathPrecisionName(c.autocast)));
  if (c.cuda_graph) v.Set("cuda_graph", true);
  v.Set("resume", c.resume);
  v.Set("max_steps_per_epoch", c.max_steps_per_epoch);
  v.Set("max_eval_batches", c.max_eval_batches);
  v.Set("eval_every_epochs", c.eval_every_epochs);
  v.Set("num_workers", c.num_workers);
  v.Set("device", c.device.ToString());
  v.Set("keep_checkpoints", c.keep_checkpoints);
  v.Set("log_every_steps", c.log_every_steps);
  v.Set("data_source", c.data_source);
  v.Set("data_description", c.data_description);
  v.Set("config_text", c.config_text);
  return v;
}

std::string ResumeMismatch(const io::JsonValue& saved, const io::JsonValue& current) {
  static const char* const kKeys[] = {"task",     "method",       "mode",     "epochs",
                                      "batch_size", "eval_batch_size", "lr", "momentum",
                                      "weight_decay", "schedule", "seed", "max_steps_per_epoch",
                                      "max_eval_batches", "eval_every_epochs", "nesterov",
                                      "cosine_t_max", "cosine_eta_min", "clip_grad_norm", "model",
                                      "autocast"};
  // Keys written only when not at their default (or added later): a missing one reads as the default.
  auto text = [](const io::JsonValue& config, const char* key) -> std::string {
    if (const io::JsonValue* x = config.Find(key)) return x->Serialize();
    const std::string k = key;
    if (k == "nesterov") {
      const io::JsonValue* m = config.Find("momentum");
      return m != nullptr && m->is_number() && m->as_double() > 0 ? "true" : "false";
    }
    if (k == "cosine_t_max" || k == "cosine_eta_min" || k == "clip_grad_norm" || k == "model" || k == "autocast") {
      return "(default)";
    }
    return "(missing)";
  };
  std::string msg;
  for (const char* key : kKeys) {
    const std::string sa = text(saved, key);
    const std::string sb = text(current, key);
    if (sa != sb) msg += (msg.empty() ? "" : ", ") + std::string(key) + " " + sa + " -> " + sb;
  }
  return msg;
}

}  // namespace nb360::tasks
