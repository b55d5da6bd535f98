// Tests for EcgTask::Prepare on tiny challenge2017.pkl files in the real layout
// (testdata/make_ecg_pickles.py), the round trip Prepare -> OpenDataset -> Build, and broken inputs.
#include <cstdlib>
#include <filesystem>

#include "engine/io/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/common/canonical.h"
#include "tasks/ecg/ecg.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kData = "tests/tasks/ecg/testdata/";

std::string TempDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(t != nullptr ? t : "/tmp") + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

PrepareOptions Lenient() {
  PrepareOptions o;
  o.allow_count_mismatch = true;
  return o;
}

TEST(EcgPrepare, RoundTripBothProtocols) {
  for (const char* folder : {"ok_p4", "ok_p2"}) {
    const std::string out = TempDir(std::string("ecg_") + folder) + "/ds";
    EcgTask task;
    absl::Status s = task.Prepare(kData + folder, out, Lenient());
    ASSERT_TRUE(s.ok()) << s;
    absl::StatusOr<Dataset> d = OpenDataset(out, "ecg");
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->manifest.source, "real");
    // make_ecg_pickles.py: 12 records of 1100 + 50 i samples, labels N, A, O, ~ repeated.
    const std::vector<int64_t> labels = d->arrays.at("labels").ToTensor().ToVector<int64_t>();
    EXPECT_EQ(labels, (std::vector<int64_t>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}));
    const std::vector<int64_t> off = d->arrays.at("offsets").ToTensor().ToVector<int64_t>();
    ASSERT_EQ(off.size(), 13u);
    EXPECT_EQ(off[1], 1100);
    EXPECT_EQ(off[2], 1100 + 1150);
    const float* x = d->arrays.at("samples").data<float>();
    EXPECT_EQ(x[0], -939.0f);
    EXPECT_EQ(x[1], -1765.0f);
    EXPECT_EQ(x[2], 1980.0f);
    EXPECT_EQ(x[off[12] - 1], -1184.0f);
    auto td = task.Build(*d, {});
    ASSERT_TRUE(td.ok()) << td.status();
    // 12 records: 80/20 -> 9 train / 3, then 3 -> 1 val / 2 test (ceil).
    EXPECT_GT(td->train->size(), 0);
  }
}

std::string PrepareError(const std::string& raw, const PrepareOptions& o = Lenient()) {
  const std::string out = TempDir("ecg_bad") + "/ds";
  absl::Status s = EcgTask().Prepare(raw, out, o);
  EXPECT_FALSE(LooksLikeDataset(out));
  return std::string(s.message());
}

TEST(EcgPrepare, BrokenInputsNameTheFileAndProblem) {
  EXPECT_THAT(PrepareError(kData + "ok_p4", PrepareOptions{}),
              HasSubstr("ok_p4/challenge2017.pkl: 12 records, expected 8528"));
  EXPECT_THAT(PrepareError(kData + "bad_label"),
              HasSubstr("challenge2017.pkl: 'label'[3] is 'X', expected one of N, A, O, ~"));
  EXPECT_THAT(PrepareError(kData + "nan"),
              HasSubstr("challenge2017.pkl: 'data'[2] has a non-finite sample at position 7"));
  EXPECT_THAT(PrepareError(kData + "no_label"), HasSubstr("challenge2017.pkl: the dict has no 'label' key"));
  EXPECT_THAT(PrepareError(kData + "missing_dir"), HasSubstr("missing_dir/challenge2017.pkl"));
  // Truncated: the first 300 bytes of a good file.
  const std::string dir = TempDir("ecg_trunc");
  absl::StatusOr<std::string> bytes = io::ReadFile(kData + "ok_p4/challenge2017.pkl");
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/challenge2017.pkl", bytes->substr(0, 300)).ok());
  EXPECT_THAT(PrepareError(dir), HasSubstr("challenge2017.pkl"));
}

}  // namespace
}  // namespace nb360::tasks
