// Tests for tasks/satellite: synthetic set, last-T validation split and retrain, labels - 1, per-series
// z-normalisation against NumPy's output, loss/metric wiring, loader pass, Prepare from np.save'd dicts
// and broken inputs.
#include "tasks/satellite/satellite.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "engine/io/npy.h"
#include "gtest/gtest.h"
#include "tests/tasks/common/array_task_test_util.h"

namespace nb360::tasks {
namespace {

using testing_util::ReadSample;
using testing_util::SameDataset;
using testing_util::TempPath;

bool Contains(const absl::Status& s, const std::string& what) {
  return std::string(s.message()).find(what) != std::string::npos;
}

std::string TestData(const std::string& sub) { return "tests/tasks/satellite/testdata/" + sub; }

TEST(Satellite, InfoMatchesSpec) {
  SatelliteTask t;
  EXPECT_EQ(t.info().input_shape, (Shape{1, 46}));
  EXPECT_EQ(t.info().output_shape, (Shape{24}));
  EXPECT_TRUE(t.info().one_d);
  EXPECT_EQ(t.info().metric, "error_pct");
  EXPECT_EQ(t.info().batch.wrn, 4096);
  EXPECT_EQ(t.info().batch.darts_search, 4096);
  EXPECT_EQ(t.info().batch.darts_eval, 1024);
}

TEST(Satellite, ZNormalizeUsesPopulationStd) {
  const double x[4] = {1, 2, 3, 6};  // mean 3, population var (4 + 1 + 0 + 9) / 4 = 3.5
  float out[4];
  ZNormalize(x, 4, out);
  const double sd = std::sqrt(3.5);
  EXPECT_FLOAT_EQ(out[0], static_cast<float>(-2 / sd));
  EXPECT_FLOAT_EQ(out[3], static_cast<float>(3 / sd));
  const double c[3] = {4, 4, 4};
  ZNormalize(c, 3, out);
  EXPECT_EQ(out[0], 0.f);
  EXPECT_EQ(out[2], 0.f);
}

TEST(Satellite, SyntheticIsDeterministicShapedAndLearnable) {
  SatelliteTask t;
  Dataset a = t.MakeSynthetic({7, 0.0}), b = t.MakeSynthetic({7, 0.0}), c = t.MakeSynthetic({8, 0.0});
  EXPECT_TRUE(SameDataset(a, b));
  EXPECT_FALSE(SameDataset(a, c));
  EXPECT_EQ(a.manifest.source, "synthetic");
  EXPECT_EQ(a.arrays.at("train_x").shape, (Shape{1800, 46}));
  EXPECT_EQ(a.arrays.at("train_x").dtype, DType::kFloat64);
  EXPECT_EQ(a.arrays.at("test_y").shape, (Shape{200}));
  const ArrayView& y = a.arrays.at("train_y");
  for (int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_GE(y.data<int64_t>()[i], 0);
    ASSERT_LT(y.data<int64_t>()[i], 24);
  }
  Dataset f = t.MakeSynthetic({7, 0.001});
  EXPECT_EQ(f.arrays.at("train_x").dim(0), 900);
  EXPECT_EQ(f.arrays.at("test_x").dim(0), 100);
  auto data = t.Build(a, {});
  ASSERT_TRUE(data.ok());
  EXPECT_GT(testing_util::NearestCentroidAccuracy(*data->train, *data->test, 24), 0.3);
}

TEST(Satellite, SplitsPerMode) {
  SatelliteTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  auto s = t.Build(d, {});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->train->size(), 1600);  // real: 800,000
  EXPECT_EQ(s->val->size(), 200);     // real: the last 100,000 rows
  EXPECT_EQ(s->test->size(), 200);
  EXPECT_FALSE(s->augment_train || s->augment_val || s->augment_test);
  EXPECT_EQ(s->train->size() / 2, 800);  // DARTS bi-level pairs (real: 400,000)
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto r = t.Build(d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->train->size(), 1800);
  EXPECT_EQ(r->val, nullptr);
  auto a = ReadSample(*s->val, 0), b = ReadSample(*r->train, 1600);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  // Too few training rows for a validation split of the test size.
  Dataset small = InMemoryDataset({"satellite", "synthetic", ""},
                                  {{"train_x", Tensor::Zeros({3, 46}, DType::kFloat64)},
                                   {"train_y", Tensor::Zeros({3}, DType::kInt64)},
                                   {"test_x", Tensor::Zeros({3, 46}, DType::kFloat64)},
                                   {"test_y", Tensor::Zeros({3}, DType::kInt64)}});
  EXPECT_TRUE(Contains(t.Build(small, {}).status(), "3 training rows cannot hold a validation split"));
  EXPECT_TRUE(t.Build(small, o).ok());
}

TEST(Satellite, LossMetricAndLoader) {
  SatelliteTask t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  Batch b;
  b.y = Tensor::FromVector<int64_t>({0, 23}, {2});
  b.index = b.group = {0, 1};
  b.extra = {0, 0};
  Tensor logits = Tensor::Zeros({2, 24});
  EXPECT_NEAR(data->objective->Loss(logits, b).data<float>()[0], std::log(24.0), 1e-5);
  logits.data<float>()[0] = 1;
  logits.data<float>()[24 + 23] = 1;
  auto m = data->objective->NewMetric(Split::kTest);
  m->Add(logits, b);
  EXPECT_EQ(m->Result().primary_value(), 0.0);
  EXPECT_EQ(testing_util::LoaderPass(data->test, 64, false), 200);
}

TEST(Satellite, PrepareRoundTripMatchesNumpyNormalisation) {
  SatelliteTask t;
  const std::string out = TempPath("satellite_out");
  PrepareOptions po;
  absl::Status strict = t.Prepare(TestData("good"), out, po);
  EXPECT_TRUE(Contains(strict, "satellite_train.npy: ['data'] rows: 20 samples, the published file has 900000"))
      << strict;
  po.allow_count_mismatch = true;
  ASSERT_TRUE(t.Prepare(TestData("good"), out, po).ok());
  auto d = OpenDataset(out, "satellite");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_NE(d->manifest.description.find("1 constant series"), std::string::npos) << d->manifest.description;
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto data = t.Build(*d, o);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->train->size(), 20);
  EXPECT_EQ(data->test->size(), 5);
  auto expected = io::ReadNpy(TestData("expected_train_norm.npy"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  for (int64_t i = 0; i < 20; ++i) {
    auto s = ReadSample(*data->train, i);
    EXPECT_EQ(s.y, i % 24);  // stored label i % 24 + 1, minus 1
    for (int64_t k = 0; k < 46; ++k) EXPECT_NEAR(s.x[k], expected->data<float>()[i * 46 + k], 2e-7) << i << " " << k;
  }
  auto s = t.Build(*d, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->train->size(), 15);
  EXPECT_EQ(s->val->size(), 5);
  EXPECT_EQ(ReadSample(*s->val, 0).y, 15);
}

TEST(Satellite, PrepareRejectsBrokenInputs) {
  SatelliteTask t;
  PrepareOptions po;
  po.allow_count_mismatch = true;
  const std::string out = TempPath("satellite_bad_out");
  {
    const std::string raw = TempPath("satellite_missing");
    std::filesystem::create_directories(raw);
    EXPECT_TRUE(Contains(t.Prepare(raw, out, po), "satellite_train.npy"));
  }
  {
    auto bytes = io::ReadFile(TestData("good/satellite_test.npy"));
    ASSERT_TRUE(bytes.ok());
    const std::string raw = TempPath("satellite_trunc");
    std::filesystem::create_directories(raw);
    std::filesystem::copy_file(TestData("good/satellite_train.npy"), raw + "/satellite_train.npy",
                               std::filesystem::copy_options::overwrite_existing);
    ASSERT_TRUE(io::WriteFileAtomically(raw + "/satellite_test.npy", bytes->substr(0, bytes->size() - 40)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "satellite_test.npy")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("bad_label"), out, po);
    EXPECT_TRUE(Contains(s, "satellite_train.npy: ['label']: label 0 at index 4 is not an integer in [1, 24]")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("nan"), out, po);
    EXPECT_TRUE(Contains(s, "satellite_test.npy: ['data']: non-finite value nan at flat index 102")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("bad_shape"), out, po);
    EXPECT_TRUE(Contains(s, "satellite_train.npy: ['data'] is a ndarray")) << s;
    EXPECT_TRUE(Contains(s, "expected a numeric array (N, 46)")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("no_dict"), out, po);
    EXPECT_TRUE(Contains(s, "satellite_train.npy: holds a ndarray")) << s;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Satellite, BuildRejectsMisshapedDataset) {
  SatelliteTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  d.arrays["train_x"] = ViewOf(Tensor::Zeros({1800, 46}));
  EXPECT_TRUE(Contains(t.Build(d, {}).status(), "'train_x' has dtype float32, expected float64"));
}

}  // namespace
}  // namespace nb360::tasks
