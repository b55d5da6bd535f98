// tests/tasks/train/schedule_test.cc: the wrn_step lr multipliers (baselines spec §3.1).
#include "tasks/train/schedule.h"

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

}  // namespace
}  // namespace nb360::tasks
