// Tests for tasks/common/array_task: objective, FnSampleSet, array checks.
#include "tasks/common/array_task.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

TEST(ClassificationObjective, MeanCrossEntropyByHand) {
  ClassificationObjective obj;
  Batch b;
  b.y = Tensor::FromVector<int64_t>({1, 0}, {2});
  b.index = {0, 1};
  Tensor logits = Tensor::FromVector<float>({0.f, 0.f, std::log(3.f), 0.f}, {2, 2});
  const double want = (std::log(2.0) + std::log(4.0 / 3.0)) / 2;
  EXPECT_NEAR(obj.Loss(logits, b).data<float>()[0], want, 1e-6);
}

TEST(ClassificationObjective, PerfectPredictionsGiveZeroError) {
  ClassificationObjective obj;
  for (Split s : {Split::kTrain, Split::kVal, Split::kTest}) {
    auto m = obj.NewMetric(s);
    Batch b;
    b.y = Tensor::FromVector<int64_t>({2, 0, 1}, {3});
    b.index = b.group = {0, 1, 2};
    b.extra = {0, 0, 0};
    m->Add(Tensor::FromVector<float>({0, 0, 9, 9, 0, 0, 0, 9, 0}, {3, 3}), b);
    MetricValues v = m->Result();
    EXPECT_EQ(v.primary, "error_pct");
    EXPECT_DOUBLE_EQ(v.primary_value(), 0.0);
  }
}

TEST(FnSampleSet, CallsFunctionAndSetsGroup) {
  SampleLayout l{{2}, {}, DType::kInt64, {}};
  auto set = NewFnSampleSet(5, l, [](int64_t i, Generator*, SampleOut* out) {
    out->x[0] = static_cast<float>(i);
    out->x[1] = -1;
    *static_cast<int64_t*>(out->y) = 10 * i;
  });
  EXPECT_EQ(set->size(), 5);
  float x[2];
  int64_t y;
  SampleOut out{x, &y};
  out.group = 99;
  set->Read(3, nullptr, &out);
  EXPECT_EQ(x[0], 3.f);
  EXPECT_EQ(y, 30);
  EXPECT_EQ(out.group, 3);
}

TEST(GetArrayChecked, NamesDatasetArrayAndProblem) {
  Dataset d = InMemoryDataset({"t", "synthetic", ""}, {{"a", Tensor::Zeros({4, 3, 2})}});
  EXPECT_TRUE(GetArrayChecked(d, "a", {DType::kFloat32}, {3, 2}).ok());
  auto missing = GetArrayChecked(d, "b", {DType::kFloat32}, {3, 2});
  EXPECT_NE(std::string(missing.status().message()).find("'b' is missing"), std::string::npos);
  auto dtype = GetArrayChecked(d, "a", {DType::kUInt8, DType::kInt64}, {3, 2});
  EXPECT_NE(std::string(dtype.status().message()).find("dtype float32, expected uint8 or int64"), std::string::npos)
      << dtype.status();
  auto shape = GetArrayChecked(d, "a", {DType::kFloat32}, {3, 3});
  EXPECT_NE(std::string(shape.status().message()).find("expected (N, 3, 3)"), std::string::npos) << shape.status();
  EXPECT_NE(std::string(shape.status().message()).find("in-memory t dataset"), std::string::npos);
}

TEST(IntegerLabels, RangeAndIntegrality) {
  auto ok = IntegerLabels("f.npy", Tensor::FromVector<double>({1, 24, 3}, {3}), 1, 24);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->dtype(), DType::kInt64);
  EXPECT_EQ(ok->data<int64_t>()[1], 24);
  auto big = IntegerLabels("f.npy", Tensor::FromVector<int64_t>({1, 25}, {2}), 1, 24);
  EXPECT_EQ(big.status().message(), "f.npy: label 25 at index 1 is not an integer in [1, 24]");
  auto frac = IntegerLabels("f.npy", Tensor::FromVector<float>({1.5f}, {1}), 0, 24);
  EXPECT_FALSE(frac.ok());
  auto nan = IntegerLabels("f.npy", Tensor::FromVector<float>({std::nanf("")}, {1}), 0, 24);
  EXPECT_FALSE(nan.ok());
}

TEST(Checks, CountAndFinite) {
  EXPECT_TRUE(CheckCount("x.npy: rows", 5, 5, false).ok());
  EXPECT_FALSE(CheckCount("x.npy: rows", 4, 5, false).ok());
  EXPECT_TRUE(CheckCount("x.npy: rows", 4, 5, true).ok());
  EXPECT_FALSE(CheckCount("x.npy: rows", 0, 5, true).ok());
  Tensor t = Tensor::FromVector<double>({0, std::numeric_limits<double>::infinity()}, {2});
  absl::Status s = CheckFinite("x.npy", t);
  EXPECT_EQ(s.message(), "x.npy: non-finite value inf at flat index 1");
  EXPECT_TRUE(CheckFinite("x.npy", Tensor::Zeros({3}, DType::kUInt8)).ok());
}

}  // namespace
}  // namespace nb360::tasks
