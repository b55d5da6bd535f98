// tests/tasks/common/parallel_jobs_test.cc: every job runs once; failures report the smallest index.
#include "tasks/common/parallel_jobs.h"

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

TEST(ParallelJobs, RunsEveryJobOnce) {
  for (int threads : {1, 2, 4}) {
    std::vector<std::atomic<int>> runs(1000);
    for (auto& r : runs) r = 0;
    EXPECT_TRUE(ParallelJobs(1000, threads, [&](int64_t i) {
                  runs[i]++;
                  return absl::OkStatus();
                }).ok());
    for (auto& r : runs) ASSERT_EQ(r.load(), 1);
  }
  EXPECT_TRUE(ParallelJobs(0, 2, [](int64_t) { return absl::InternalError("never"); }).ok());
}

TEST(ParallelJobs, ReportsTheFirstFailureByIndex) {
  for (int threads : {1, 2, 3}) {
    absl::Status s = ParallelJobs(200, threads, [](int64_t i) {
      return i == 17 || i == 150 ? absl::InvalidArgumentError(absl::StrCat("file ", i, " is bad")) : absl::OkStatus();
    });
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.message(), "file 17 is bad") << threads;
  }
}

}  // namespace
}  // namespace nb360::tasks
