// tests/tasks/train/trainer_test.cc: Train() on NinaPro's synthetic set with a tiny conv net (conv, batch
// norm, dropout, linear): the files a run writes, and that interrupted runs (SIGKILL at a chosen step,
// SIGKILL after random delays, SIGTERM, a non-finite loss) resume to bit-identical final weights and
// metrics. SIGKILL runs happen in a child process: the test binary re-executes itself with
// NB360_TRAIN_CHILD_DIR set, which makes TrainerChild.Run train (and die where told) instead of skip.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/atomic_file.h"
#include "engine/io/checkpoint.h"
#include "engine/io/json.h"
#include "engine/io/tensor_bytes.h"
#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "tasks/registry.h"
#include "tasks/train/schedule.h"
#include "tasks/train/trainer.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kEpochs = 3;
constexpr int64_t kSteps = 5;

class TinyNet : public nn::Module {
 public:
  TinyNet(int64_t in_channels, int64_t classes, uint64_t seed) : Module("TinyNet") {
    Generator gen(seed);
    conv_ = RegisterModule("conv", std::make_shared<nn::Conv2d>(in_channels, 8, 3, gen, nn::Conv2dOptions(1, 1)));
    bn_ = RegisterModule("bn", std::make_shared<nn::BatchNorm2d>(8));
    drop_ = RegisterModule("drop", std::make_shared<nn::Dropout>(0.3, gen));
    fc_ = RegisterModule("fc", std::make_shared<nn::Linear>(8 * 4 * 4, classes, gen));
  }
  Tensor Forward(const Tensor& x) override {
    Tensor h = drop_->Forward(Relu(bn_->Forward(conv_->Forward(x))));
    return fc_->Forward(AdaptiveAvgPool2d(h, 4, 4).Flatten(1));
  }

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
  std::shared_ptr<nn::Dropout> drop_;
  std::shared_ptr<nn::Linear> fc_;
};

struct Fixture {
  std::unique_ptr<Task> task;
  TaskData data;
};

const Fixture& Data() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    absl::StatusOr<std::unique_ptr<Task>> t = MakeTask("ninapro");
    NB_CHECK(t.ok(), t.status().ToString());
    fx->task = *std::move(t);
    absl::StatusOr<TaskData> d = LoadTaskData(*fx->task, {.mode = RunMode::kSearch, .data = "synthetic", .seed = 3});
    NB_CHECK(d.ok(), d.status().ToString());
    fx->data = *std::move(d);
    return fx;
  }();
  return *f;
}

TrainConfig Config(const std::string& dir) {
  TrainConfig c;
  c.task = "ninapro";
  c.method = "tiny";
  c.mode = RunMode::kSearch;
  c.epochs = kEpochs;
  c.batch_size = 16;
  c.eval_batch_size = 32;
  c.lr = 0.05;
  c.momentum = 0.9;
  c.weight_decay = 5e-4;
  c.seed = 11;
  c.out_dir = dir;
  c.max_steps_per_epoch = kSteps;
  c.max_eval_batches = 3;
  c.log_every_steps = 2;
  return c;
}

absl::StatusOr<TrainResult> RunTraining(const TrainConfig& c) {
  const TaskInfo& info = Data().task->info();
  TinyNet model(info.input_shape[0], info.num_classes, 5);
  return Train(model, *Data().task, Data().data, c);
}

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(base ? base : "/tmp") / ("trainer_test_" + name);
  fs::remove_all(dir);
  return dir.string();
}

// Name -> bytes of every tensor of the newest checkpoint in `dir`.
std::map<std::string, std::string> FinalState(const std::string& dir) {
  std::map<std::string, std::string> out;
  absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(dir);
  EXPECT_TRUE(latest.ok() && latest->has_value()) << dir;
  if (!latest.ok() || !latest->has_value()) return out;
  absl::StatusOr<io::Checkpoint> c = io::LoadCheckpoint(**latest);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return out;
  for (const auto& [name, t] : c->tensors) out[name] = std::string(io::TensorBytes(io::HostContiguous(t)));
  out["#step"] = c->metadata.at("step");
  for (const auto& [k, v] : c->metadata) {
    if (k.rfind("rng.", 0) == 0) out["#" + k] = v;
  }
  return out;
}

io::JsonValue ReadJson(const std::string& path) {
  absl::StatusOr<std::string> text = io::ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return io::JsonValue();
  absl::StatusOr<io::JsonValue> v = io::ParseJson(*text);
  EXPECT_TRUE(v.ok()) << path << ": " << v.status();
  return v.ok() ? *v : io::JsonValue();
}

// Everything in log.jsonl except timings.
std::vector<std::string> LogWithoutTimes(const std::string& dir) {
  std::vector<std::string> out;
  absl::StatusOr<std::string> text = io::ReadFile(dir + "/log.jsonl");
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return out;
  size_t pos = 0;
  while (pos < text->size()) {
    const size_t end = text->find('\n', pos);
    absl::StatusOr<io::JsonValue> v = io::ParseJson(text->substr(pos, end - pos));
    EXPECT_TRUE(v.ok());
    if (!v.ok()) break;
    io::JsonValue::Object kept;
    for (const auto& [k, x] : v->as_object()) {
      if (k.find("second") == std::string::npos && k.find("wait") == std::string::npos) kept.emplace_back(k, x);
    }
    out.push_back(io::JsonValue(kept).Serialize());
    pos = end + 1;
  }
  return out;
}

// The uninterrupted run everyone compares with.
const std::string& ReferenceDir() {
  static std::string* dir = [] {
    auto* d = new std::string(TempDir("reference"));
    absl::StatusOr<TrainResult> r = RunTraining(Config(*d));
    NB_CHECK(r.ok(), r.status().ToString());
    return d;
  }();
  return *dir;
}

void ExpectSameAsReference(const std::string& dir) {
  const io::JsonValue ref = ReadJson(ReferenceDir() + "/results.json");
  const io::JsonValue got = ReadJson(dir + "/results.json");
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.Find("final")->Serialize(), ref.Find("final")->Serialize());
  EXPECT_EQ(got.Find("final_test")->Serialize(), ref.Find("final_test")->Serialize());
  EXPECT_EQ(got.Find("steps")->as_int(), ref.Find("steps")->as_int());
  EXPECT_EQ(LogWithoutTimes(dir), LogWithoutTimes(ReferenceDir()));
  const auto a = FinalState(ReferenceDir()), b = FinalState(dir);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_TRUE(b.at(name) == bytes) << name << " differs";
  }
}

// ---- Child process (SIGKILL tests) ------------------------------------------------------------

// Runs only when re-executed by a parent test.
TEST(TrainerChild, Run) {
  const char* dir = std::getenv("NB360_TRAIN_CHILD_DIR");
  if (!dir) GTEST_SKIP() << "runs only as a child of the kill tests";
  TrainConfig c = Config(dir);
  const char* kill_at = std::getenv("NB360_TRAIN_CHILD_KILL_AT");
  const int64_t global = kill_at ? std::atoll(kill_at) : -1;
  // Slows each step down (timed kills need a run that lasts long enough to be hit mid-way).
  const char* slow = std::getenv("NB360_TRAIN_CHILD_STEP_MS");
  const int step_ms = slow ? std::atoi(slow) : 0;
  c.hooks.after_step = [global, step_ms](const StepPosition& p) {
    if (p.global_step == global) raise(SIGKILL);
    if (step_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  };
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_TRUE(r.ok()) << r.status();
}

// Starts this binary as TrainerChild.Run; returns its pid.
pid_t SpawnChild(const std::string& dir, int64_t kill_at_step, int step_ms = 0) {
  const pid_t pid = fork();
  if (pid == 0) {
    // The child is not a test of its own for Bazel: no XML, sharding or premature-exit files.
    for (const char* var : {"XML_OUTPUT_FILE", "GTEST_OUTPUT", "TEST_PREMATURE_EXIT_FILE", "TEST_SHARD_STATUS_FILE",
                            "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"}) {
      unsetenv(var);
    }
    setenv("NB360_TRAIN_CHILD_DIR", dir.c_str(), 1);
    if (kill_at_step >= 0) setenv("NB360_TRAIN_CHILD_KILL_AT", std::to_string(kill_at_step).c_str(), 1);
    if (step_ms > 0) setenv("NB360_TRAIN_CHILD_STEP_MS", std::to_string(step_ms).c_str(), 1);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    char arg0[] = "trainer_test";
    char arg1[] = "--gtest_filter=TrainerChild.Run";
    char* argv[] = {arg0, arg1, nullptr};
    execv("/proc/self/exe", argv);
    _exit(127);
  }
  return pid;
}

int WaitChild(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// ---- Tests ---------------------------------------------------------------------------------

TEST(Trainer, ThreeEpochRunWritesResultsAndLog) {
  const std::string& dir = ReferenceDir();
  const io::JsonValue v = ReadJson(dir + "/results.json");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.Find("task")->as_string(), "ninapro");
  EXPECT_EQ(v.Find("method")->as_string(), "tiny");
  EXPECT_EQ(v.Find("mode")->as_string(), std::string(RunModeName(RunMode::kSearch)));
  EXPECT_EQ(v.Find("seed")->as_int(), 11);
  EXPECT_EQ(v.Find("data_source")->as_string(), "synthetic");
  EXPECT_TRUE(v.Find("synthetic_data")->as_bool());
  EXPECT_NE(v.Find("data_note")->as_string().find("SYNTHETIC"), std::string::npos);
  EXPECT_FALSE(v.Find("data_description")->as_string().empty());
  EXPECT_EQ(v.Find("nb360_version")->as_string(), kNb360Version);
  EXPECT_FALSE(v.Find("git_commit")->as_string().empty());
  EXPECT_FALSE(v.Find("machine")->Find("hostname")->as_string().empty());
  EXPECT_GT(v.Find("machine")->Find("cores")->as_int(), 0);
  EXPECT_GT(v.Find("wall_seconds")->as_double(), 0.0);
  const double wait = v.Find("data_wait_fraction")->as_double();
  EXPECT_GE(wait, 0.0);
  EXPECT_LE(wait, 1.0);
  EXPECT_EQ(v.Find("steps")->as_int(), kEpochs * kSteps);
  EXPECT_EQ(v.Find("epochs_completed")->as_int(), kEpochs);
  EXPECT_EQ(v.Find("resumes")->as_int(), 0);
  // Every config field.
  const io::JsonValue* config = v.Find("config");
  for (const char* key : {"task", "method", "mode", "epochs", "batch_size", "eval_batch_size", "lr", "momentum",
                          "weight_decay", "nesterov", "schedule", "seed", "out_dir", "resume",
                          "max_steps_per_epoch", "max_eval_batches", "eval_every_epochs", "num_workers",
                          "keep_checkpoints", "log_every_steps", "data_source", "data_description", "config_text"}) {
    EXPECT_NE(config->Find(key), nullptr) << key;
  }
  EXPECT_TRUE(config->Find("nesterov")->as_bool());
  EXPECT_EQ(config->Find("schedule")->as_string(), "wrn_step");
  // Final metric: validation (search mode), NinaPro's primary metric, plus the test split at the end.
  const io::JsonValue* fin = v.Find("final");
  EXPECT_EQ(fin->Find("split")->as_string(), "val");
  EXPECT_EQ(fin->Find("primary")->as_string(), Data().task->info().metric);
  EXPECT_TRUE(fin->Find("primary_value")->is_number());
  EXPECT_NE(v.Find("final_test"), nullptr);
  // History: 3 epochs with the wrn_step lr (E = 3: x0.2, x0.2, x0.04).
  const auto& epochs = v.Find("history")->Find("epochs")->as_array();
  ASSERT_EQ(epochs.size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(epochs[e].Find("epoch")->as_int(), e);
    EXPECT_EQ(epochs[e].Find("steps")->as_int(), kSteps);
    EXPECT_EQ(epochs[e].Find("samples")->as_int(), kSteps * 16);
    EXPECT_DOUBLE_EQ(epochs[e].Find("lr")->as_double(), 0.05 * WrnStepMultiplier(e, kEpochs));
    EXPECT_TRUE(std::isfinite(epochs[e].Find("train_loss")->as_double()));
  }
  // log.jsonl: epoch, eval, epoch, eval, epoch, eval(val), eval(test).
  const std::vector<std::string> log = LogWithoutTimes(dir);
  ASSERT_EQ(log.size(), 7u);
  EXPECT_NE(log[0].find("\"event\":\"epoch\""), std::string::npos);
  EXPECT_NE(log[1].find("\"event\":\"eval\""), std::string::npos);
  EXPECT_NE(log[5].find("\"split\":\"val\""), std::string::npos);
  EXPECT_NE(log[6].find("\"split\":\"test\""), std::string::npos);
  // Two checkpoints kept.
  int ckpts = 0;
  for (const auto& entry : fs::directory_iterator(dir)) ckpts += io::CheckpointStep(entry.path().filename().string()).has_value();
  EXPECT_EQ(ckpts, 2);
}

TEST(Trainer, SameSeedSameBytes) {
  const std::string dir = TempDir("again");
  ASSERT_TRUE(RunTraining(Config(dir)).ok());
  ExpectSameAsReference(dir);
}

TEST(Trainer, ResumeOfFinishedRunChangesNothing) {
  const std::string dir = TempDir("finished");
  ASSERT_TRUE(RunTraining(Config(dir)).ok());
  absl::StatusOr<TrainResult> again = RunTraining(Config(dir));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->resumes, 1);
  ExpectSameAsReference(dir);
}

TEST(Trainer, ResumeRefusesAnotherRunsCheckpoint) {
  const std::string dir = TempDir("mismatch");
  TrainConfig c = Config(dir);
  c.epochs = 1;
  ASSERT_TRUE(RunTraining(c).ok());
  c.lr = 0.01;
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("lr"), std::string::npos) << r.status();
}

TEST(Trainer, SigkillAtAStepThenResumeIsIdentical) {
  const std::string& ref = ReferenceDir();
  (void)ref;
  // A step drawn at random (fixed seed): mid epoch 1 (global steps kSteps .. 2 kSteps - 1).
  Generator gen(20261128);
  const int64_t kill_at = kSteps + static_cast<int64_t>(gen.RandInt(kSteps));
  const std::string dir = TempDir("sigkill_step");
  const int status = WaitChild(SpawnChild(dir, kill_at));
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  EXPECT_FALSE(fs::exists(dir + "/results.json"));
  const int resumed = WaitChild(SpawnChild(dir, -1));
  ASSERT_TRUE(WIFEXITED(resumed) && WEXITSTATUS(resumed) == 0) << "resumed child status " << resumed;
  ExpectSameAsReference(dir);
  EXPECT_EQ(ReadJson(dir + "/results.json").Find("resumes")->as_int(), 1);
}

TEST(Trainer, SigkillAfterRandomDelaysThenResumeIsIdentical) {
  const std::string& ref = ReferenceDir();
  (void)ref;
  const std::string dir = TempDir("sigkill_timed");
  Generator gen(7);
  int kills = 0;
  for (int attempt = 0; attempt < 30; ++attempt) {
    // 15 steps of >= 40 ms each: the run lasts well over the first delays, which grow so that it
    // eventually finishes.
    const pid_t pid = SpawnChild(dir, -1, 40);
    const int ms = 50 + static_cast<int>(gen.RandInt(300)) + 100 * attempt;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    const int status = WaitChild(pid);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0);
      break;
    }
    ++kills;
  }
  ASSERT_TRUE(fs::exists(dir + "/results.json"));
  std::printf("killed %d times before the run completed\n", kills);
  EXPECT_GE(kills, 1);
  ExpectSameAsReference(dir);
}

TEST(Trainer, SigtermSavesMidEpochAndResumeIsIdentical) {
  const std::string& ref = ReferenceDir();
  (void)ref;
  const std::string dir = TempDir("sigterm");
  TrainConfig c = Config(dir);
  c.hooks.after_step = [](const StepPosition& p) {
    if (p.epoch == 1 && p.batch == 2) raise(SIGTERM);
  };
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsCancelled(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("SIGTERM"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("epoch 1, batch 3"), std::string::npos) << r.status();
  absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(dir);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(**latest, io::CheckpointPath(dir, kSteps + 3));
  // Resuming with another number of loader threads changes nothing.
  TrainConfig resume = Config(dir);
  resume.num_workers = 0;
  ASSERT_TRUE(RunTraining(resume).ok());
  ExpectSameAsReference(dir);
}

TEST(Trainer, DamagedLatestCheckpointFallsBackToThePreviousOne) {
  const std::string& ref = ReferenceDir();
  (void)ref;
  const std::string dir = TempDir("damaged");
  TrainConfig c = Config(dir);
  c.hooks.after_step = [](const StepPosition& p) {
    if (p.epoch == 2 && p.batch == 0) raise(SIGTERM);
  };
  ASSERT_TRUE(absl::IsCancelled(RunTraining(c).status()));
  // Checkpoints now: end of epoch 1 (step 10) and mid epoch 2 (step 11). Damage the newest's data.
  const std::string newest = io::CheckpointPath(dir, 2 * kSteps + 1);
  std::string bytes = io::ReadFile(newest).value();
  bytes[bytes.size() - 3] ^= 0x55;
  ASSERT_TRUE(io::WriteFileAtomically(newest, bytes).ok());
  ASSERT_TRUE(RunTraining(Config(dir)).ok());
  EXPECT_TRUE(fs::exists(newest + ".corrupt"));
  ExpectSameAsReference(dir);
}

TEST(Trainer, NonFiniteLossStopsAndKeepsLastGoodCheckpoint) {
  const std::string& ref = ReferenceDir();
  (void)ref;
  const std::string dir = TempDir("nan");
  TrainConfig c = Config(dir);
  std::string good_path, good_bytes;
  c.hooks.after_step = [&](const StepPosition& p) {
    if (p.epoch == 1 && p.batch == 0) {
      good_path = io::CheckpointPath(dir, kSteps);
      good_bytes = io::ReadFile(good_path).value_or("");
    }
  };
  c.hooks.inject_nan = [](const StepPosition& p) { return p.epoch == 1 && p.batch == 2; };
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_FALSE(r.ok());
  const std::string msg(r.status().message());
  EXPECT_NE(msg.find("non-finite training loss"), std::string::npos) << msg;
  EXPECT_NE(msg.find("epoch 1, step 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find(good_path), std::string::npos) << msg;
  absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(dir);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(**latest, good_path);
  EXPECT_FALSE(good_bytes.empty());
  EXPECT_TRUE(io::ReadFile(good_path).value_or("") == good_bytes);
  EXPECT_FALSE(fs::exists(dir + "/results.json"));
  // The good checkpoint resumes to the uninterrupted result.
  ASSERT_TRUE(RunTraining(Config(dir)).ok());
  ExpectSameAsReference(dir);
}

TEST(Trainer, FreshRunReplacesOldCheckpoints) {
  const std::string dir = TempDir("fresh");
  TrainConfig c = Config(dir);
  c.lr = 0.01;
  ASSERT_TRUE(RunTraining(c).ok());
  TrainConfig fresh = Config(dir);
  fresh.resume = false;
  ASSERT_TRUE(RunTraining(fresh).ok());
  ExpectSameAsReference(dir);
}

TEST(Trainer, RetrainModeEvaluatesTest) {
  const Task& task = *Data().task;
  absl::StatusOr<TaskData> d = LoadTaskData(task, {.mode = RunMode::kRetrain, .data = "synthetic", .seed = 3});
  ASSERT_TRUE(d.ok()) << d.status();
  TrainConfig c = Config(TempDir("retrain"));
  c.mode = RunMode::kRetrain;
  c.epochs = 2;
  TinyNet model(task.info().input_shape[0], task.info().num_classes, 5);
  absl::StatusOr<TrainResult> r = Train(model, task, *d, c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->final_split, "test");
  EXPECT_FALSE(r->has_final_test);
  ASSERT_EQ(r->history.evals.size(), 2u);
  for (const EvalRecord& e : r->history.evals) EXPECT_EQ(e.split, "test");
  // The final metric equals a fresh evaluation of the trained model.
  absl::StatusOr<MetricValues> again = EvaluateSplit(model, task, *d, Split::kTest, c, 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->primary_value(), r->final.primary_value());
}

TEST(Trainer, GradientClippingBoundsTheStep) {
  // One plain SGD step (no momentum, no weight decay, lr 1) with the gradient norm clipped to 1e-3:
  // the parameters move by exactly the clipped gradient, so the L2 norm of the change is 1e-3 (times
  // norm / (norm + 1e-6), torch's clip_grad_norm_). Without clipping the gradient norm is far larger.
  const TaskInfo& info = Data().task->info();
  auto run_one_step = [&](double clip) {
    const std::string dir = TempDir(clip > 0 ? "clip" : "noclip");
    TrainConfig c = Config(dir);
    c.epochs = 1;
    c.max_steps_per_epoch = 1;
    c.lr = 1.0;
    c.momentum = 0.0;
    c.weight_decay = 0.0;
    c.schedule = "constant";
    c.clip_grad_norm = clip;
    TinyNet before(info.input_shape[0], info.num_classes, 5);
    TinyNet model(info.input_shape[0], info.num_classes, 5);
    EXPECT_TRUE(Train(model, *Data().task, Data().data, c).ok());
    double sq = 0;
    auto a = before.NamedParameters(), b = model.NamedParameters();
    EXPECT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      const Tensor d = b[i].second.Contiguous();
      const Tensor d0 = a[i].second.Contiguous();
      const float* x = d.data<float>();
      const float* x0 = d0.data<float>();
      for (int64_t j = 0; j < d.numel(); ++j) sq += (double(x[j]) - x0[j]) * (double(x[j]) - x0[j]);
    }
    return std::sqrt(sq);
  };
  const double clipped = run_one_step(1e-3);
  EXPECT_NEAR(clipped, 1e-3, 2e-5);  // float32 weights: the difference is rounded
  EXPECT_GT(run_one_step(0.0), 1e-2);
}

TEST(Trainer, PlainMomentumDiffersFromNesterov) {
  TrainConfig c = Config(TempDir("plain_momentum"));
  c.nesterov = false;
  ASSERT_TRUE(RunTraining(c).ok());
  EXPECT_EQ(ReadJson(c.out_dir + "/results.json").Find("config")->Find("nesterov")->Serialize(), "false");
  const auto a = FinalState(ReferenceDir()), b = FinalState(c.out_dir);
  EXPECT_FALSE(a.at("model.fc.weight") == b.at("model.fc.weight"));
  // ... and a checkpoint of the Nesterov run is not resumed by it.
  TrainConfig other = Config(ReferenceDir());
  other.nesterov = false;
  absl::StatusOr<TrainResult> r = RunTraining(other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesterov"), std::string::npos) << r.status();
}

TEST(Trainer, Bf16AutocastTrainsIsRecordedAndGuardsResume) {
  TrainConfig c = Config(TempDir("autocast"));
  c.autocast = MathPrecision::kBFloat16;
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ReadJson(c.out_dir + "/results.json").Find("config")->Find("autocast")->Serialize(), "\"bf16\"");
  const auto a = FinalState(ReferenceDir()), b = FinalState(c.out_dir);
  EXPECT_FALSE(a.at("model.fc.weight") == b.at("model.fc.weight"));  // bf16 products change the trajectory
  TrainConfig other = Config(ReferenceDir());
  other.autocast = MathPrecision::kBFloat16;
  absl::StatusOr<TrainResult> resumed = RunTraining(other);
  ASSERT_FALSE(resumed.ok());
  EXPECT_NE(resumed.status().message().find("autocast"), std::string::npos) << resumed.status();
}

TEST(Trainer, GpuFastPathsNeedACudaDevice) {
  TrainConfig c = Config(TempDir("gpu_only"));
  c.allow_tf32 = true;
  c.cuda_graph = true;
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("TF32"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("CUDA graph"), std::string::npos) << r.status();
}

TEST(Trainer, InvalidConfigIsRefused) {
  TrainConfig c = Config(TempDir("invalid"));
  c.batch_size = 0;
  c.schedule = "cosine";
  absl::StatusOr<TrainResult> r = RunTraining(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch_size"), std::string::npos);
  EXPECT_NE(r.status().message().find("cosine"), std::string::npos);
}

}  // namespace
}  // namespace nb360::tasks
