// tests/tasks/psicov/psicov_prepare_test.cc: Prepare on tiny protein.zip-layout files written by
// testdata/make_psicov_testdata.py (pickled feature dicts, object .npy distance triples), the round trip
// to Build, and damaged inputs.
#include <cmath>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tasks/common/canonical.h"
#include "tasks/psicov/psicov.h"
#include "tasks/psicov/psicov_raw.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

const std::string kTestdata = "tests/tasks/psicov/testdata";

// A writable copy of testdata/raw.
std::string CopyRaw(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/psicov_", name);
  fs::remove_all(dir);
  fs::copy(kTestdata + "/raw", dir, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
  }
  return dir;
}

absl::Status Prepare(const std::string& raw, const std::string& out, bool allow = true) {
  PsicovTask task;
  return task.Prepare(raw, out, {.allow_count_mismatch = allow, .threads = 2});
}

// The closed formulas of make_psicov_testdata.py.
double Dist(int64_t p, int64_t q) { return 0.5 + 0.4 * std::abs(p - q) + (p == 0 && q == 2 ? 0.25 : 0.0); }

TEST(PsicovPrepare, ConvertsListsFeaturesAndDistances) {
  const std::string raw = CopyRaw("good");
  const std::string out = raw + "_out";
  absl::Status s = Prepare(raw, out);
  ASSERT_TRUE(s.ok()) << s;
  absl::StatusOr<Dataset> d = OpenDataset(out, "psicov");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "real");
  EXPECT_EQ(d->arrays.at("deepcov_length").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{8, 30, 12}));
  EXPECT_EQ(d->arrays.at("psicov_length").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{30, 10}));
  EXPECT_EQ(d->arrays.at("deepcov_offset1d").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{0, 8, 38}));
  EXPECT_EQ(d->arrays.at("deepcov_offset2d").ToTensor().ToVector<int64_t>(),
            (std::vector<int64_t>{0, 4 * 64, 4 * 64 + 4 * 900}));
  // Protein d2 (L = 30, stored as float32 in a protocol-4 pickle).
  const int64_t n = 30;
  const float* f = d->arrays.at("deepcov_feat1d").data<float>() + 8 * 27;
  for (int64_t r = 0; r < n; ++r) {
    for (int k = 0; k < 3; ++k) ASSERT_FLOAT_EQ(f[r * 27 + k], static_cast<float>(0.1 * k + 0.01 * r));
    for (int k = 0; k < 22; ++k) ASSERT_FLOAT_EQ(f[r * 27 + 3 + k], static_cast<float>(0.001 * (22 * r + k)));
    ASSERT_FLOAT_EQ(f[r * 27 + 25], static_cast<float>(0.5 + 0.01 * r));
    ASSERT_FLOAT_EQ(f[r * 27 + 26], static_cast<float>(1 + 0.02 * r));
  }
  const float* pair = d->arrays.at("deepcov_pair").data<float>() + 4 * 64;
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t q = 0; q < n; ++q) {
      ASSERT_FLOAT_EQ(pair[p * n + q], static_cast<float>(0.01 * (p - q)));
      ASSERT_FLOAT_EQ(pair[n * n + p * n + q], static_cast<float>(0.001 * (p + q)));
      ASSERT_FLOAT_EQ(pair[2 * n * n + p * n + q], static_cast<float>(-0.0005 * p * q));
      // Repaired map: < 1 -> 1, then the diagonal from its row neighbours (all 1 here except
      // Y[0,0] = Y[0,1] = 1 too).
      const double want = p == q ? 1.0 : std::max(1.0, Dist(p, q));
      ASSERT_FLOAT_EQ(pair[3 * n * n + p * n + q], static_cast<float>(want)) << p << " " << q;
    }
  }
  // Round trip: Build in both modes.
  PsicovTask task;
  absl::StatusOr<TaskData> retrain = task.Build(*d, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(retrain.ok()) << retrain.status();
  EXPECT_EQ(retrain->train->size(), 3);
  EXPECT_EQ(retrain->test->size(), 2);
  absl::StatusOr<TaskData> search = task.Build(*d, {.mode = RunMode::kSearch});
  ASSERT_TRUE(search.ok()) << search.status();
  EXPECT_EQ(search->val->size(), 1);
  EXPECT_EQ(search->train->size(), 2);
}

TEST(PsicovPrepare, CountsAreCheckedUnlessAllowed) {
  const std::string raw = CopyRaw("count");
  absl::Status s = Prepare(raw, raw + "_out", /*allow=*/false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deepcov.lst"), std::string::npos) << s;
  EXPECT_NE(s.message().find("3456"), std::string::npos) << s;
}

// Replaces `target` (relative to the raw copy) with testdata/broken/<broken> and returns the error.
std::string BrokenError(const std::string& name, const std::string& target, const std::string& broken) {
  const std::string raw = CopyRaw(name);
  fs::copy_file(kTestdata + "/broken/" + broken, raw + "/" + target, fs::copy_options::overwrite_existing);
  absl::Status s = Prepare(raw, raw + "_out");
  EXPECT_FALSE(s.ok()) << name;
  EXPECT_NE(s.message().find(target), std::string::npos) << s;
  EXPECT_FALSE(fs::exists(raw + "_out")) << "nothing may be written on failure";
  return std::string(s.message());
}

TEST(PsicovPrepare, BrokenInputsNameFileAndProblem) {
  EXPECT_NE(BrokenError("trunc", "deepcov/features/d1.pkl", "truncated.pkl").find("truncated"), std::string::npos);
  const std::string pssm = BrokenError("pssm", "deepcov/features/d1.pkl", "pssm_shape.pkl");
  EXPECT_NE(pssm.find("'pssm' has shape"), std::string::npos) << pssm;
  EXPECT_NE(pssm.find("21"), std::string::npos) << pssm;
  EXPECT_NE(BrokenError("range", "deepcov/features/d1.pkl", "out_of_range.pkl").find("'ccmpred' value 150"),
            std::string::npos);
  EXPECT_NE(BrokenError("nanf", "deepcov/features/d1.pkl", "nan_feature.pkl").find("'sa' value nan"),
            std::string::npos);
  EXPECT_NE(BrokenError("nand", "deepcov/distance/d1-cb.npy", "nan_distance.npy").find("NaN at (2, 5)"),
            std::string::npos);
  EXPECT_NE(BrokenError("far", "deepcov/distance/d1-cb.npy", "far_distance.npy").find("distance 600"),
            std::string::npos);
  EXPECT_NE(BrokenError("len", "deepcov/distance/d1-cb.npy", "wrong_length.npy").find("L = 9"), std::string::npos);
  EXPECT_NE(BrokenError("num", "deepcov/distance/d1-cb.npy", "numeric.npy").find("object array"), std::string::npos);
}

TEST(PsicovPrepare, MissingFiles) {
  const std::string raw = CopyRaw("missing");
  fs::remove(raw + "/psicov/features/p2.pkl");
  absl::Status s = Prepare(raw, raw + "_out");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("p2.pkl"), std::string::npos) << s;
  fs::remove(raw + "/deepcov.lst");
  s = Prepare(raw, raw + "_out");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deepcov.lst"), std::string::npos) << s;
}

TEST(PsicovPrepare, LaterFolderWinsAsInTheOriginal) {
  // A psicov/ copy of d3's files replaces deepcov/'s (the original searches deepcov, psicov, cameo).
  const std::string raw = CopyRaw("order");
  fs::copy_file(raw + "/psicov/features/p2.pkl", raw + "/psicov/features/d3.pkl");
  fs::copy_file(raw + "/psicov/distance/p2-cb.npy", raw + "/psicov/distance/d3-cb.npy");
  ASSERT_TRUE(Prepare(raw, raw + "_out").ok());
  absl::StatusOr<Dataset> d = OpenDataset(raw + "_out");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->arrays.at("deepcov_length").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{8, 30, 10}));
}

}  // namespace
}  // namespace nb360::tasks
