// tests/configs/experiment_config_test.cc: every committed config parses, validates and holds the
// spec's hyperparameters (baselines.md §3.2; GAEA retrain: nas_darts_densenas.md §A.8); bad configs give
// located errors.
#include "configs/experiment_config.h"

#include "gtest/gtest.h"

namespace nb360 {
namespace {

const char* const kTasks[] = {"cifar100", "spherical", "ninapro", "fsd50k", "darcy_flow",
                              "psicov",   "cosmic",    "ecg",     "satellite", "deepsea"};

TEST(ExperimentConfig, EveryCommittedConfigIsValid) {
  for (const char* task : kTasks) {
    for (const char* mode : {"search", "retrain"}) {
      const std::string path = ConfigPath(task, "wrn", mode);
      absl::StatusOr<ExperimentConfig> c = LoadExperimentConfig(path);
      ASSERT_TRUE(c.ok()) << c.status();
      EXPECT_EQ(c->task(), task) << path;
      EXPECT_EQ(c->mode(), mode) << path;
      EXPECT_TRUE(ValidateExperimentConfig(*c).ok()) << ValidateExperimentConfig(*c);
      EXPECT_EQ(c->epochs(), 200);
      EXPECT_EQ(c->depth(), 16);
      EXPECT_EQ(c->widen(), 4);
    }
  }
}

TEST(ExperimentConfig, SpecValues) {
  absl::StatusOr<ExperimentConfig> c = LoadExperimentConfig(ConfigPath("darcy_flow", "wrn", "search"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->lr(), 0.001);
  EXPECT_EQ(c->batch_size(), 8);
  c = LoadExperimentConfig(ConfigPath("darcy_flow", "wrn", "retrain"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->lr(), 0.020726887426218508);
  EXPECT_EQ(c->weight_decay(), 0.0000313486140132894);
  c = LoadExperimentConfig(ConfigPath("deepsea", "wrn", "retrain"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->momentum(), 0.0);  // no Nesterov
  c = LoadExperimentConfig(ConfigPath("spherical", "wrn", "retrain"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->dropout(), 0.6);
  EXPECT_EQ(c->momentum(), 0.6);
  c = LoadExperimentConfig(ConfigPath("satellite", "wrn", "search"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->batch_size(), 4096);
  c = LoadExperimentConfig(ConfigPath("psicov", "wrn", "search"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->eval_batch_size(), 2);
}

TEST(ExperimentConfig, ErrorsAreLocatedAndNamed) {
  absl::StatusOr<ExperimentConfig> c = ParseExperimentConfig("task: \"ecg\"\nlr: fast\n", "x.pbtxt");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("x.pbtxt: line 2"), std::string::npos) << c.status();
  c = ParseExperimentConfig("task: \"ecg\"\nlearning_rate: 1\n", "y.pbtxt");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("learning_rate"), std::string::npos) << c.status();
  EXPECT_FALSE(LoadExperimentConfig("configs/nope/wrn.pbtxt").ok());

  absl::StatusOr<ExperimentConfig> good = LoadExperimentConfig(ConfigPath("ecg", "wrn", "search"));
  ASSERT_TRUE(good.ok());
  ExperimentConfig bad = *good;
  bad.set_lr(-1);
  absl::Status s = ValidateExperimentConfig(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("lr = -1 must be positive"), std::string::npos) << s;
  bad = *good;
  bad.set_depth(17);
  EXPECT_NE(std::string(ValidateExperimentConfig(bad).message()).find("depth"), std::string::npos);
  bad = *good;
  bad.set_mode("final");
  EXPECT_NE(std::string(ValidateExperimentConfig(bad).message()).find("mode"), std::string::npos);
  bad = *good;
  bad.set_momentum(1.0);
  EXPECT_FALSE(ValidateExperimentConfig(bad).ok());
}

TEST(ExperimentConfig, GaeaRetrainConfigsHoldTheSpecValues) {
  struct Want {
    const char* task;
    int64_t batch, channels, drop_path_epochs;
  };
  // §A.8 table: batch sizes, C (FSD50K 16), drop path 0.3 / 150 (dense 0.3 / 600, §C.4).
  for (const Want& w : {Want{"cifar100", 128, 36, 150}, Want{"spherical", 64, 36, 150}, Want{"ninapro", 128, 36, 150},
                        Want{"fsd50k", 32, 16, 150}, Want{"ecg", 180, 36, 150}, Want{"satellite", 1024, 36, 150},
                        Want{"deepsea", 64, 36, 150}, Want{"darcy_flow", 4, 36, 600}, Want{"psicov", 4, 36, 600},
                        Want{"cosmic", 4, 36, 600}}) {
    const std::string path = ConfigPath(w.task, "gaea", "retrain");
    EXPECT_EQ(path, std::string("configs/") + w.task + "/gaea_retrain.pbtxt");
    absl::StatusOr<ExperimentConfig> c = LoadExperimentConfig(path);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_TRUE(ValidateExperimentConfig(*c).ok()) << ValidateExperimentConfig(*c);
    EXPECT_EQ(c->task(), w.task);
    EXPECT_EQ(c->method(), "gaea");
    EXPECT_EQ(c->mode(), "retrain");
    EXPECT_EQ(c->epochs(), 150);
    EXPECT_EQ(c->batch_size(), w.batch) << w.task;
    EXPECT_EQ(c->lr(), 0.025);
    EXPECT_EQ(c->momentum(), 0.9);
    EXPECT_TRUE(c->plain_momentum());
    EXPECT_EQ(c->weight_decay(), 3e-4);
    EXPECT_EQ(c->schedule(), "cosine");
    EXPECT_EQ(c->cosine_t_max(), 150);
    EXPECT_EQ(c->cosine_eta_min(), 0);
    EXPECT_EQ(c->clip_grad_norm(), 5);
    EXPECT_EQ(c->darts().genotype(), "");  // the task's active recorded genotype
    EXPECT_EQ(c->darts().channels(), w.channels) << w.task;
    EXPECT_EQ(c->darts().layers(), 20);
    EXPECT_EQ(c->darts().drop_path_prob(), 0.3);
    EXPECT_EQ(c->darts().drop_path_epochs(), w.drop_path_epochs) << w.task;
  }
}

TEST(ExperimentConfig, GaeaSearchConfigsHoldTheSpecValues) {
  struct Want {
    const char* task;
    int64_t batch, seed;
  };
  // §A.6 table: batch per half; seed 0 in the CIFAR-100 YAML, 2 in the others.
  for (const Want& w : {Want{"cifar100", 256, 0}, Want{"spherical", 64, 2}, Want{"ninapro", 256, 2},
                        Want{"fsd50k", 32, 2}, Want{"ecg", 128, 2}, Want{"satellite", 4096, 2},
                        Want{"deepsea", 128, 2}, Want{"darcy_flow", 4, 2}, Want{"psicov", 8, 2},
                        Want{"cosmic", 8, 2}}) {
    const std::string path = ConfigPath(w.task, "gaea", "search");
    EXPECT_EQ(path, std::string("configs/") + w.task + "/gaea_search.pbtxt");
    absl::StatusOr<ExperimentConfig> c = LoadExperimentConfig(path);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_TRUE(ValidateExperimentConfig(*c).ok()) << ValidateExperimentConfig(*c);
    EXPECT_EQ(c->task(), w.task);
    EXPECT_EQ(c->method(), "gaea");
    EXPECT_EQ(c->mode(), "search");
    EXPECT_EQ(c->epochs(), 50);
    EXPECT_EQ(c->batch_size(), w.batch) << w.task;
    EXPECT_EQ(c->seed(), w.seed) << w.task;
    EXPECT_EQ(c->lr(), 0.1);
    EXPECT_EQ(c->momentum(), 0.9);
    EXPECT_TRUE(c->plain_momentum());
    EXPECT_EQ(c->weight_decay(), 3e-4);
    EXPECT_EQ(c->schedule(), "cosine");
    EXPECT_EQ(c->cosine_t_max(), 50);
    EXPECT_EQ(c->cosine_eta_min(), 0);
    EXPECT_EQ(c->clip_grad_norm(), 5);
    EXPECT_EQ(c->darts().channels(), 16);
    EXPECT_EQ(c->darts().layers(), 8);
    EXPECT_EQ(c->darts().partial_channels(), 4);
    EXPECT_EQ(c->darts().arch_lr(), 0.1);
    EXPECT_EQ(c->darts().arch_warmup_epochs(), 11);
    EXPECT_EQ(c->darts().genotype(), "");
    EXPECT_EQ(c->darts().drop_path_prob(), 0);
  }
  absl::StatusOr<ExperimentConfig> good = LoadExperimentConfig(ConfigPath("ecg", "gaea", "search"));
  ASSERT_TRUE(good.ok());
  auto message = [](const ExperimentConfig& c) { return std::string(ValidateExperimentConfig(c).message()); };
  ExperimentConfig bad = *good;
  bad.mutable_darts()->set_partial_channels(3);  // 16 % 3
  EXPECT_NE(message(bad).find("partial_channels"), std::string::npos);
  bad = *good;
  bad.mutable_darts()->set_arch_lr(0);
  EXPECT_NE(message(bad).find("arch_lr"), std::string::npos);
  bad = *good;
  bad.mutable_darts()->set_arch_warmup_epochs(-1);
  EXPECT_NE(message(bad).find("arch_warmup_epochs"), std::string::npos);
  bad = *good;
  bad.mutable_darts()->set_genotype("ecg_s2");
  EXPECT_NE(message(bad).find("retrain stage"), std::string::npos);
  bad = *good;
  bad.set_plain_momentum(false);
  EXPECT_NE(message(bad).find("plain_momentum"), std::string::npos);
  // Search fields in a retrain config.
  absl::StatusOr<ExperimentConfig> retrain = LoadExperimentConfig(ConfigPath("ecg", "gaea", "retrain"));
  ASSERT_TRUE(retrain.ok());
  bad = *retrain;
  bad.mutable_darts()->set_arch_lr(0.1);
  EXPECT_NE(message(bad).find("search stage"), std::string::npos);
}

TEST(ExperimentConfig, GaeaValidation) {
  absl::StatusOr<ExperimentConfig> good = LoadExperimentConfig(ConfigPath("ecg", "gaea", "retrain"));
  ASSERT_TRUE(good.ok());
  auto message = [](const ExperimentConfig& c) { return std::string(ValidateExperimentConfig(c).message()); };
  ExperimentConfig bad = *good;
  bad.set_cosine_t_max(0);
  EXPECT_NE(message(bad).find("cosine_t_max"), std::string::npos);
  bad = *good;
  bad.set_clip_grad_norm(-1);
  EXPECT_NE(message(bad).find("clip_grad_norm"), std::string::npos);
  bad = *good;
  bad.mutable_darts()->set_channels(0);
  EXPECT_NE(message(bad).find("darts.channels"), std::string::npos);
  bad = *good;
  bad.mutable_darts()->set_drop_path_prob(1.0);
  EXPECT_NE(message(bad).find("drop_path_prob"), std::string::npos);
  bad = *good;
  bad.mutable_darts()->set_drop_path_epochs(40);  // 0.3 * 149 / 40 >= 1
  EXPECT_NE(message(bad).find("reaches 1"), std::string::npos);
  bad = *good;
  bad.set_depth(16);
  EXPECT_NE(message(bad).find("WRN fields"), std::string::npos);
  bad = *good;
  bad.clear_darts();
  EXPECT_NE(message(bad).find("darts"), std::string::npos);
  // A WRN config takes no darts block, and still needs its depth.
  absl::StatusOr<ExperimentConfig> wrn = LoadExperimentConfig(ConfigPath("ecg", "wrn", "retrain"));
  ASSERT_TRUE(wrn.ok());
  bad = *wrn;
  bad.mutable_darts()->set_channels(4);
  EXPECT_NE(message(bad).find("darts"), std::string::npos);
  bad = *wrn;
  bad.set_method("darts");
  EXPECT_NE(message(bad).find("wrn, gaea"), std::string::npos);
}

}  // namespace
}  // namespace nb360
