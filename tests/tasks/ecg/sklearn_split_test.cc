// Tests for tasks/ecg/sklearn_split.h against scikit-learn 1.2 / NumPy 1.24 output
// (testdata/make_ecg_golden.py, Debian /usr/bin/python3).
#include "tasks/ecg/sklearn_split.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/io/npz.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

const std::map<std::string, Tensor>& Golden() {
  static const auto* golden = [] {
    auto m = io::ReadNpzMap("tests/tasks/ecg/testdata/sklearn_split_golden.npz");
    NB_CHECK(m.ok(), std::string(m.status().message()));
    return new std::map<std::string, Tensor>(*std::move(m));
  }();
  return *golden;
}

std::vector<int64_t> GoldenIndices(const std::string& key) {
  return Golden().at(key).ToVector<int64_t>();
}

TEST(LegacyRandomState, FirstOutputsOfSeedZero) {
  // MT19937 init_genrand(0): the reference first outputs.
  LegacyRandomState rs(0);
  EXPECT_EQ(rs.NextUint32(), 2357136044u);
  EXPECT_EQ(rs.NextUint32(), 2546248239u);
  EXPECT_EQ(rs.NextUint32(), 3071714933u);
}

TEST(LegacyRandomState, PermutationMatchesNumpy) {
  for (int64_t n : {1, 2, 3, 7, 300}) {
    LegacyRandomState rs(0);
    EXPECT_EQ(rs.Permutation(n), GoldenIndices(absl::StrCat("perm_", n))) << "n = " << n;
  }
}

TEST(SklearnTrainTestSplit, MatchesScikitLearn) {
  const std::vector<std::pair<int64_t, int>> cases = {{8528, 20}, {8528, 10}, {1706, 50}, {2, 50},
                                                      {5, 20},    {10, 20},   {17, 10},   {100, 50},
                                                      {1000, 20}, {70000, 10}};
  for (const auto& [n, pct] : cases) {
    const TrainTestIndices s = SklearnTrainTestSplit(n, pct / 100.0, 0);
    const std::string key = absl::StrCat(n, "_", pct);
    EXPECT_EQ(s.train, GoldenIndices(key + "_train")) << key;
    EXPECT_EQ(s.test, GoldenIndices(key + "_test")) << key;
  }
}

TEST(SklearnTrainTestSplit, EcgSizes) {
  EXPECT_EQ(SklearnTestCount(8528, 0.2), 1706);
  EXPECT_EQ(SklearnTestCount(1706, 0.5), 853);
  EXPECT_EQ(SklearnTestCount(8528, 0.1), 853);
  EXPECT_EQ(SklearnTrainTestSplit(8528, 0.1, 0).train.size(), 7675u);
}

}  // namespace
}  // namespace nb360::tasks
