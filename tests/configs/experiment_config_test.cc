// tests/configs/experiment_config_test.cc: every committed config parses, validates and holds the
// spec's hyperparameters (baselines.md §3.2); bad configs give located errors.
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

}  // namespace
}  // namespace nb360
