// tests/nas/search/gaea_search_test.cc: the GAEA PC-DARTS search run (nas/search/gaea_search.h) on a tiny
// supernet (NinaPro synthetic data, C = 8, 3 cells, K = 4; 3 epochs of 2 pairs of batch 4; warm-up 2
// epochs): the warm-up is respected (alpha/beta stay all ones in epochs 0-1 and move in epoch 2), the
// EG steps leave every alpha row and the whole beta on the simplex, the outputs (genotype.pbtxt equal to
// the network's genotype, genotype.dot, results.json, log.jsonl with a genotype per epoch) are written,
// the weight lr is the cosine of §A.6, a run interrupted by SIGTERM or stopped mid-epoch (as a SIGKILL
// leaves it: last checkpoint from the end of the epoch before) and resumed ends bit for bit like an
// uninterrupted one, and a non-finite loss stops the run clearly.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/atomic_file.h"
#include "engine/io/checkpoint.h"
#include "engine/io/json.h"
#include "engine/io/tensor_bytes.h"
#include "engine/rng.h"
#include "gtest/gtest.h"
#include "nas/darts/genotype_check.h"
#include "nas/darts/genotype_text.h"
#include "nas/search/gaea_search.h"
#include "tasks/registry.h"

namespace nb360::nas {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(base ? base : "/tmp") + "/gaea_search_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct Fixture {
  std::unique_ptr<tasks::Task> task;
  tasks::TaskData data;
};

const Fixture& Data() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    absl::StatusOr<std::unique_ptr<tasks::Task>> t = tasks::MakeTask("ninapro");
    NB_CHECK(t.ok(), t.status().ToString());
    fx->task = *std::move(t);
    absl::StatusOr<tasks::TaskData> d = tasks::LoadTaskData(
        *fx->task, {.mode = tasks::RunMode::kSearch, .variant = tasks::DataVariant::kDartsSearch,
                    .data = "synthetic", .seed = 3});
    NB_CHECK(d.ok(), d.status().ToString());
    fx->data = *std::move(d);
    return fx;
  }();
  return *f;
}

GaeaSearchConfig Config(const std::string& dir) {
  GaeaSearchConfig c;
  tasks::TrainConfig& t = c.train;
  t.task = "ninapro";
  t.method = "gaea";
  t.mode = tasks::RunMode::kSearch;
  t.epochs = 3;
  t.batch_size = 4;
  t.eval_batch_size = 8;
  t.lr = 0.1;
  t.momentum = 0.9;
  t.nesterov = false;
  t.weight_decay = 3e-4;
  t.schedule = "cosine";
  t.cosine_t_max = 3;
  t.clip_grad_norm = 5;
  t.seed = 11;
  t.out_dir = dir;
  t.max_steps_per_epoch = 2;
  t.max_eval_batches = 1;
  t.num_workers = 1;
  c.arch_lr = 0.1;
  c.arch_warmup_epochs = 2;
  return c;
}

struct Searched {
  std::unique_ptr<darts::SearchNetwork> net;
  absl::StatusOr<GaeaSearchResult> result;
};

Searched Search(const GaeaSearchConfig& c) {
  absl::StatusOr<darts::SearchNetworkConfig> nc = SearchNetworkConfigFor(Data().task->info(), 8, 3, 4);
  NB_CHECK(nc.ok(), nc.status().ToString());
  Generator init = Generator(c.train.seed).Fork("model/init");
  Searched s;
  s.net = std::make_unique<darts::SearchNetwork>(*nc, init);
  s.result = RunGaeaSearch(*s.net, *Data().task, Data().data, c);
  return s;
}

bool AllOnes(const Tensor& t) {
  for (float v : t.ToVector<float>()) {
    if (v != 1.0f) return false;
  }
  return true;
}

std::map<std::string, std::string> FinalState(const std::string& dir) {
  std::map<std::string, std::string> out;
  absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(dir);
  EXPECT_TRUE(latest.ok() && latest->has_value()) << dir;
  if (!latest.ok() || !latest->has_value()) return out;
  absl::StatusOr<io::Checkpoint> c = io::LoadCheckpoint(**latest);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return out;
  for (const auto& [name, t] : c->tensors) out[name] = std::string(io::TensorBytes(io::HostContiguous(t)));
  for (const char* k : {"step", "arch_steps", "epoch", "nb360.genotypes"}) out[std::string("#") + k] = c->metadata[k];
  return out;
}

const std::string& ReferenceDir() {
  static std::string* dir = [] {
    auto* d = new std::string(TempDir("reference"));
    Searched s = Search(Config(*d));
    NB_CHECK(s.result.ok(), s.result.status().ToString());
    return d;
  }();
  return *dir;
}

void ExpectSameAsReference(const std::string& dir) {
  const auto a = FinalState(ReferenceDir()), b = FinalState(dir);
  ASSERT_GT(a.size(), 20u);
  EXPECT_TRUE(a.count("model.alphas_normal") || a.count("model.alpha_normal")) << "alpha not checkpointed";
  EXPECT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) EXPECT_TRUE(b.count(name) && b.at(name) == bytes) << name;
  absl::StatusOr<std::string> ga = io::ReadFile(ReferenceDir() + "/genotype.pbtxt");
  absl::StatusOr<std::string> gb = io::ReadFile(dir + "/genotype.pbtxt");
  ASSERT_TRUE(ga.ok() && gb.ok());
  EXPECT_EQ(*ga, *gb);
}

TEST(GaeaSearch, WarmupSimplexAndOutputs) {
  const std::string dir = TempDir("warmup");
  GaeaSearchConfig c = Config(dir);
  std::vector<std::pair<tasks::StepPosition, bool>> ones;  // after each pair of steps: alpha/beta all ones?
  darts::SearchNetwork* live = nullptr;
  c.train.hooks.after_step = [&](const tasks::StepPosition& p) {
    ones.emplace_back(p, AllOnes(live->alpha_normal()) && AllOnes(live->alpha_reduce()) &&
                             AllOnes(live->beta_normal()) && AllOnes(live->beta_reduce()));
  };
  absl::StatusOr<darts::SearchNetworkConfig> nc = SearchNetworkConfigFor(Data().task->info(), 8, 3, 4);
  ASSERT_TRUE(nc.ok()) << nc.status();
  Generator init = Generator(c.train.seed).Fork("model/init");
  darts::SearchNetwork net(*nc, init);
  live = &net;
  absl::StatusOr<GaeaSearchResult> r = RunGaeaSearch(net, *Data().task, Data().data, c);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(ones.size(), 6u);
  for (const auto& [p, all_ones] : ones) {
    EXPECT_EQ(all_ones, p.epoch < 2) << "epoch " << p.epoch << " batch " << p.batch;
  }
  // On the simplex: every alpha row and the whole beta sum to 1, all entries positive.
  for (bool reduce : {false, true}) {
    const std::vector<float> a = (reduce ? net.alpha_reduce() : net.alpha_normal()).ToVector<float>();
    ASSERT_EQ(a.size(), 14u * 8u);
    for (int e = 0; e < 14; ++e) {
      double sum = 0;
      for (int o = 0; o < 8; ++o) {
        EXPECT_GT(a[e * 8 + o], 0.0f);
        sum += a[e * 8 + o];
      }
      EXPECT_NEAR(sum, 1.0, 1e-6) << (reduce ? "reduce" : "normal") << " edge " << e;
    }
    const std::vector<float> b = (reduce ? net.beta_reduce() : net.beta_normal()).ToVector<float>();
    double sum = 0;
    for (float v : b) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-6);
    // Moved away from uniform by the gradients (not just normalised).
    EXPECT_NE(a[0], 0.125f);
  }
  // Outputs.
  absl::StatusOr<darts::Genotype> g = darts::ReadGenotypeFile(dir + "/genotype.pbtxt");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(darts::GenotypeToText(*g), darts::GenotypeToText(net.genotype()));
  EXPECT_EQ(r->genotype_text, darts::GenotypeToText(*g));
  ASSERT_EQ(r->genotype_per_epoch.size(), 3u);
  EXPECT_EQ(r->genotype_per_epoch[2], darts::GenotypeShorthand(*g));
  // Before any architecture step every edge and op ties: the §A.7 all-max_pool genotype.
  Generator other(1);
  const std::string untrained = darts::GenotypeShorthand(darts::SearchNetwork(*nc, other).genotype());
  EXPECT_EQ(untrained.find("sep"), std::string::npos) << untrained;  // all max_pool_3x3
  EXPECT_EQ(r->genotype_per_epoch[0], untrained);
  EXPECT_EQ(r->genotype_per_epoch[1], untrained);
  absl::StatusOr<std::string> dot = io::ReadFile(dir + "/genotype.dot");
  ASSERT_TRUE(dot.ok());
  EXPECT_NE(dot->find("digraph"), std::string::npos);
  absl::StatusOr<std::string> text = io::ReadFile(dir + "/results.json");
  ASSERT_TRUE(text.ok());
  absl::StatusOr<io::JsonValue> j = io::ParseJson(*text);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->Find("stage")->as_string(), "search");
  EXPECT_EQ(j->Find("genotype_text")->as_string(), r->genotype_text);
  EXPECT_EQ(j->Find("seed")->Serialize(), "11");
  EXPECT_EQ(j->Find("arch_steps")->Serialize(), "2");
  EXPECT_EQ(j->Find("val_per_epoch")->as_array().size(), 3u);
  EXPECT_EQ(j->Find("genotype_per_epoch")->as_array().size(), 3u);
  EXPECT_TRUE(j->Find("synthetic_data")->as_bool());
  EXPECT_EQ(j->Find("config")->Find("model")->Find("arch_warmup_epochs")->as_string(), "2");
  // Cosine lr per epoch: 0.05 (1 + cos(pi e / 3)).
  const auto& epochs = j->Find("history")->Find("epochs")->as_array();
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_DOUBLE_EQ(epochs[0].Find("lr")->as_double(), 0.1);
  EXPECT_DOUBLE_EQ(epochs[1].Find("lr")->as_double(), 0.075);
  EXPECT_NEAR(epochs[2].Find("lr")->as_double(), 0.025, 1e-15);
  absl::StatusOr<std::string> log = io::ReadFile(dir + "/log.jsonl");
  ASSERT_TRUE(log.ok());
  int genotype_lines = 0;
  for (size_t pos = 0; (pos = log->find("\"event\":\"genotype\"", pos)) != std::string::npos; ++pos) ++genotype_lines;
  EXPECT_EQ(genotype_lines, 3);
}

TEST(GaeaSearch, SigtermThenResumeIsBitIdentical) {
  const std::string dir = TempDir("sigterm");
  GaeaSearchConfig c = Config(dir);
  c.train.hooks.after_step = [](const tasks::StepPosition& p) {
    if (p.epoch == 2 && p.batch == 0) std::raise(SIGTERM);  // mid-epoch, after an architecture step
  };
  Searched first = Search(c);
  EXPECT_TRUE(absl::IsCancelled(first.result.status())) << first.result.status();
  Searched second = Search(Config(dir));
  ASSERT_TRUE(second.result.ok()) << second.result.status();
  EXPECT_EQ(second.result->train.resumes, 1);
  ExpectSameAsReference(dir);
}

TEST(GaeaSearch, StoppedMidEpochThenResumeIsBitIdentical) {
  // A NaN in epoch 2 stops the run before that update; the newest checkpoint is then the one from the end
  // of epoch 1, exactly what a SIGKILL in the middle of epoch 2 leaves behind.
  const std::string dir = TempDir("killed");
  GaeaSearchConfig c = Config(dir);
  c.train.hooks.inject_nan = [](const tasks::StepPosition& p) { return p.epoch == 2 && p.batch == 1; };
  Searched first = Search(c);
  ASSERT_FALSE(first.result.ok());
  EXPECT_TRUE(absl::IsInternal(first.result.status())) << first.result.status();
  const std::string msg(first.result.status().message());
  EXPECT_NE(msg.find("non-finite weight loss"), std::string::npos) << msg;
  EXPECT_NE(msg.find("epoch 2, step 1"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir + "/genotype.pbtxt"));
  Searched second = Search(Config(dir));
  ASSERT_TRUE(second.result.ok()) << second.result.status();
  ExpectSameAsReference(dir);
}

TEST(GaeaSearch, BadSettingsAreRefused) {
  GaeaSearchConfig c = Config(TempDir("bad"));
  c.train.nesterov = true;
  EXPECT_NE(std::string(Search(c).result.status().message()).find("plain"), std::string::npos);
  c = Config(TempDir("bad"));
  c.arch_lr = 0;
  EXPECT_NE(std::string(Search(c).result.status().message()).find("arch lr"), std::string::npos);
  EXPECT_FALSE(SearchNetworkConfigFor(Data().task->info(), 6, 3, 4).ok());   // C % K
  EXPECT_FALSE(SearchNetworkConfigFor(Data().task->info(), 4, 3, 4).ok());   // C/K odd with reductions
}

}  // namespace
}  // namespace nb360::nas
