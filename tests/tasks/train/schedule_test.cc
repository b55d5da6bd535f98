// tests/tasks/train/schedule_test.cc: the wrn_step lr multipliers (baselines spec §3.1) and the cosine
// schedule of the GAEA retrain (spec nas_darts_densenas.md §A.8, §D).
#include "tasks/train/schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

TEST(Schedule, TwoHundredEpochTable) {
  for (int64_t e = 0; e < 200; ++e) {
    const double want = e < 60 ? 1.0 : e < 120 ? 0.2 : e < 160 ? 0.2 * 0.2 : 0.2 * 0.2 * 0.2;
    EXPECT_EQ(WrnStepMultiplier(e, 200), want) << "epoch " << e;
  }
  EXPECT_EQ(WrnStepMultiplier(59, 200), 1.0);
  EXPECT_EQ(WrnStepMultiplier(60, 200), 0.2);
  EXPECT_EQ(WrnStepMultiplier(119, 200), 0.2);
  EXPECT_EQ(WrnStepMultiplier(120, 200), 0.2 * 0.2);
  EXPECT_EQ(WrnStepMultiplier(159, 200), 0.2 * 0.2);
  EXPECT_EQ(WrnStepMultiplier(160, 200), 0.2 * 0.2 * 0.2);
  EXPECT_EQ(WrnStepMultiplier(199, 200), 0.2 * 0.2 * 0.2);
}

TEST(Schedule, OtherEpochCountsUseFlooredThresholds) {
  // E = 100: x0.2 from 30 (inclusive), again after 60 and after 80.
  EXPECT_EQ(WrnStepMultiplier(29, 100), 1.0);
  EXPECT_EQ(WrnStepMultiplier(30, 100), 0.2);
  EXPECT_EQ(WrnStepMultiplier(60, 100), 0.2);
  EXPECT_EQ(WrnStepMultiplier(61, 100), 0.2 * 0.2);
  EXPECT_EQ(WrnStepMultiplier(80, 100), 0.2 * 0.2);
  EXPECT_EQ(WrnStepMultiplier(81, 100), 0.2 * 0.2 * 0.2);
  // E = 50: floor(15) = 15, floor(30) = 30, floor(40) = 40.
  EXPECT_EQ(WrnStepMultiplier(14, 50), 1.0);
  EXPECT_EQ(WrnStepMultiplier(15, 50), 0.2);
  EXPECT_EQ(WrnStepMultiplier(31, 50), 0.2 * 0.2);
  EXPECT_EQ(WrnStepMultiplier(41, 50), 0.2 * 0.2 * 0.2);
  // E = 7: floor(2.1) = 2, floor(4.2) = 4, floor(5.6) = 5.
  const double want7[] = {1, 1, 0.2, 0.2, 0.2, 0.2 * 0.2, 0.2 * 0.2 * 0.2};
  for (int e = 0; e < 7; ++e) EXPECT_EQ(WrnStepMultiplier(e, 7), want7[e]) << e;
  // E = 3: floor(0.9) = 0, floor(1.8) = 1, floor(2.4) = 2.
  EXPECT_EQ(WrnStepMultiplier(0, 3), 0.2);
  EXPECT_EQ(WrnStepMultiplier(1, 3), 0.2);
  EXPECT_EQ(WrnStepMultiplier(2, 3), 0.2 * 0.2);
}

TEST(Schedule, Names) {
  EXPECT_EQ(*ScheduleMultiplier("wrn_step", 70, 200), 0.2);
  EXPECT_EQ(*ScheduleMultiplier("constant", 199, 200), 1.0);
  absl::StatusOr<double> bad = ScheduleMultiplier("cosine", 0, 200);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cosine"), std::string::npos);
  EXPECT_TRUE(IsKnownSchedule("wrn_step"));
  EXPECT_FALSE(IsKnownSchedule("step"));
}

TEST(Schedule, CosineGaeaRetrainValues) {
  // lr(e) = 0.0125 (1 + cos(pi e / 150)) for lr 0.025, T_max 150, eta_min 0 (spec §D).
  EXPECT_DOUBLE_EQ(CosineLr(0.025, 0.0, 150, 0), 0.025);
  EXPECT_DOUBLE_EQ(CosineLr(0.025, 0.0, 150, 75), 0.0125);
  EXPECT_NEAR(CosineLr(0.025, 0.0, 150, 150), 0.0, 1e-18);
  EXPECT_NEAR(CosineLr(0.025, 0.0, 150, 149), 0.0125 * (1 + std::cos(M_PI * 149 / 150)), 1e-18);
  EXPECT_NEAR(CosineLr(0.025, 0.0, 150, 149), 2.7412e-6, 1e-9);
  // A floor: halfway is the mean of lr and eta_min.
  EXPECT_DOUBLE_EQ(CosineLr(0.1, 0.02, 10, 5), 0.06);
  EXPECT_DOUBLE_EQ(CosineLr(0.1, 0.02, 10, 10), 0.02);
  for (int64_t e = 1; e <= 150; ++e) EXPECT_LT(CosineLr(0.025, 0, 150, e), CosineLr(0.025, 0, 150, e - 1)) << e;
}

TEST(Schedule, ScheduledLr) {
  absl::StatusOr<double> lr = ScheduledLr("cosine", 0.025, 75, 150, 150, 0);
  ASSERT_TRUE(lr.ok());
  EXPECT_DOUBLE_EQ(*lr, 0.0125);
  EXPECT_FALSE(ScheduledLr("cosine", 0.025, 75, 150, 0, 0).ok());  // no T_max
  lr = ScheduledLr("wrn_step", 0.1, 60, 200, 0, 0);
  ASSERT_TRUE(lr.ok());
  EXPECT_EQ(*lr, 0.1 * 0.2);  // the multiplier form, bit for bit
  EXPECT_TRUE(IsKnownSchedule("cosine"));
  EXPECT_FALSE(ScheduledLr("linear", 0.1, 0, 10, 0, 0).ok());
}

}  // namespace
}  // namespace nb360::tasks
