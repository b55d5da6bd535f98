// tests/tasks/train/report_test.cc: aggregation of results.json files into the mean ± std table.
#include "tasks/train/report.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/io/atomic_file.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

std::string FakeResults(const std::string& task, uint64_t seed, double value, const std::string& source) {
  return absl::StrFormat(
      R"({"task":"%s","method":"wrn","mode":"retrain","seed":%d,"data_source":"%s",)"
      R"("final":{"primary":"error_pct","primary_value":%.17g,"lower_is_better":true,"split":"test",)"
      R"("values":{"error_pct":%.17g}}})",
      task, seed, source, value, value);
}

std::string Dir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const fs::path d = fs::path(base ? base : "/tmp") / ("report_test_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

void Put(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(io::WriteFileAtomically(path, text).ok());
}

TEST(Report, MeanAndSampleStdOverSeeds) {
  const std::string dir = Dir("two");
  Put(dir + "/a/seed0/results.json", FakeResults("ninapro", 0, 10.0, "real"));
  Put(dir + "/b/seed1/results.json", FakeResults("ninapro", 1, 14.0, "real"));
  const Report report = BuildReport({dir});
  ASSERT_EQ(report.rows.size(), 1u);
  const ReportRow& r = report.rows[0];
  EXPECT_EQ(r.task, "ninapro");
  EXPECT_EQ(r.method, "wrn");
  EXPECT_EQ(r.mode, "retrain");
  EXPECT_EQ(r.metric, "error_pct");
  EXPECT_EQ(r.values.size(), 2u);
  EXPECT_DOUBLE_EQ(r.mean, 12.0);
  EXPECT_DOUBLE_EQ(r.std, std::sqrt(8.0));  // sample std of {10, 14}
  const std::string md = ReportMarkdown(report);
  EXPECT_NE(md.find("| ninapro | wrn | retrain | real | error_pct (lower is better) | test | 2 | 12.0000 ± 2.8284 | 0 1 |"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("SYNTHETIC"), std::string::npos);
  const std::string csv = ReportCsv(report);
  EXPECT_NE(csv.find("ninapro,wrn,retrain,real,error_pct,true,test,2,12,2.828427125,0 1,10 14"), std::string::npos)
      << csv;
  const std::string prefix = dir + "/table";
  ASSERT_TRUE(WriteReport(report, prefix).ok());
  EXPECT_EQ(*io::ReadFile(prefix + ".md"), md);
  EXPECT_EQ(*io::ReadFile(prefix + ".csv"), csv);
}

TEST(Report, GroupsOrderSyntheticAndBadFiles) {
  const std::string dir = Dir("groups");
  Put(dir + "/x/results.json", FakeResults("deepsea", 0, 1.0, "synthetic"));
  Put(dir + "/y/results.json", FakeResults("cifar100", 2, 30.0, "real"));
  Put(dir + "/z/results.json", "{\"task\": 3}");
  Put(dir + "/w/other.json", "not json");  // not a results.json: ignored
  const Report report = BuildReport({dir, dir + "/missing"});
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].task, "cifar100");  // paper order
  EXPECT_EQ(report.rows[1].task, "deepsea");
  EXPECT_EQ(report.rows[0].std, 0.0);
  ASSERT_EQ(report.skipped.size(), 2u);
  const std::string md = ReportMarkdown(report);
  EXPECT_NE(md.find("SYNTHETIC"), std::string::npos);
  EXPECT_NE(md.find("z/results.json"), std::string::npos);
  EXPECT_NE(md.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace nb360::tasks
