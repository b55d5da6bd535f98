// Tests for tasks/spherical: synthetic set, 80/20 index split and retrain merge, the plain float cast
// (no scaling), loss/metric wiring, loader pass, Prepare from real-format gzip'd pickles (uint8 and
// float images) and broken inputs.
#include "tasks/spherical/spherical.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
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

std::string TestData(const std::string& sub) { return "tests/tasks/spherical/testdata/" + sub; }

float Pattern(int64_t i, int64_t c, int64_t r, int64_t q) { return static_cast<float>((3 * i + 5 * c + r + 2 * q) % 256); }

TEST(Spherical, InfoMatchesSpec) {
  SphericalTask t;
  EXPECT_EQ(t.info().input_shape, (Shape{3, 60, 60}));
  EXPECT_EQ(t.info().output_shape, (Shape{100}));
  EXPECT_EQ(t.info().metric, "error_pct");
  EXPECT_EQ(t.info().batch.wrn, 128);
  EXPECT_EQ(t.info().batch.darts_search, 64);
  EXPECT_EQ(t.info().batch.darts_eval, 64);
}

TEST(Spherical, SyntheticIsDeterministicShapedAndLearnable) {
  SphericalTask t;
  Dataset a = t.MakeSynthetic({7, 0.0}), b = t.MakeSynthetic({7, 0.0}), c = t.MakeSynthetic({8, 0.0});
  EXPECT_TRUE(SameDataset(a, b));
  EXPECT_FALSE(SameDataset(a, c));
  EXPECT_EQ(a.manifest.source, "synthetic");
  EXPECT_EQ(a.arrays.at("train_x").shape, (Shape{500, 3, 60, 60}));
  EXPECT_EQ(a.arrays.at("train_x").dtype, DType::kUInt8);
  EXPECT_EQ(a.arrays.at("test_y").shape, (Shape{100}));
  Dataset f = t.MakeSynthetic({7, 0.002});
  EXPECT_EQ(f.arrays.at("train_x").dim(0), 100);
  EXPECT_EQ(f.arrays.at("test_x").dim(0), 20);
  auto data = t.Build(a, {});
  ASSERT_TRUE(data.ok());
  EXPECT_GT(testing_util::NearestCentroidAccuracy(*data->train, *data->test, 100), 0.1);
}

TEST(Spherical, SplitsPerModeAndPlainCast) {
  SphericalTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  auto s = t.Build(d, {});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->train->size(), 400);  // int(0.8 * 500); real data: 40,000
  EXPECT_EQ(s->val->size(), 100);
  EXPECT_EQ(s->test->size(), 100);
  EXPECT_FALSE(s->augment_train || s->augment_val || s->augment_test);
  EXPECT_EQ(s->train->size() / 2, 200);  // DARTS bi-level pairs
  const ArrayView& x = d.arrays.at("train_x");
  auto v = ReadSample(*s->val, 2);
  for (int64_t k : {0, 1, 5000, 10799}) EXPECT_EQ(v.x[k], static_cast<float>(x.data<uint8_t>()[402 * 10800 + k]));
  EXPECT_EQ(v.y, d.arrays.at("train_y").data<int64_t>()[402]);
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto r = t.Build(d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->train->size(), 500);
  EXPECT_EQ(r->val, nullptr);
  EXPECT_EQ(ReadSample(*r->train, 402).x, v.x);
}

TEST(Spherical, LossMetricAndLoader) {
  SphericalTask t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  Batch b;
  b.y = Tensor::FromVector<int64_t>({1, 2}, {2});
  b.index = b.group = {0, 1};
  b.extra = {0, 0};
  Tensor logits = Tensor::Zeros({2, 100});
  EXPECT_NEAR(data->objective->Loss(logits, b).data<float>()[0], std::log(100.0), 1e-5);
  logits.data<float>()[1] = 4;
  logits.data<float>()[100 + 3] = 4;  // wrong
  auto m = data->objective->NewMetric(Split::kVal);
  m->Add(logits, b);
  EXPECT_DOUBLE_EQ(m->Result().primary_value(), 50.0);
  EXPECT_EQ(testing_util::LoaderPass(data->val, 32, false), 100);
}

TEST(Spherical, PrepareUint8RoundTrip) {
  SphericalTask t;
  const std::string out = TempPath("spherical_out");
  PrepareOptions po;
  absl::Status strict = t.Prepare(TestData("good"), out, po);
  EXPECT_TRUE(Contains(strict, "s2_cifar100.gz: ['train']['images']: 10 samples, the published file has 50000"))
      << strict;
  po.allow_count_mismatch = true;
  ASSERT_TRUE(t.Prepare(TestData("good"), out, po).ok());
  auto d = OpenDataset(out, "spherical");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->arrays.at("train_x").dtype, DType::kUInt8);
  EXPECT_EQ(d->arrays.at("test_x").shape, (Shape{4, 3, 60, 60}));
  auto data = t.Build(*d, {});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train->size(), 8);
  EXPECT_EQ(data->val->size(), 2);
  auto s = ReadSample(*data->val, 1);  // training row 9
  EXPECT_EQ(s.y, (13 * 9) % 100);
  EXPECT_EQ(s.x[(2 * 60 + 7) * 60 + 11], Pattern(9, 2, 7, 11));
  auto te = ReadSample(*data->test, 3);
  EXPECT_EQ(te.y, (13 * 3 + 1) % 100);
  EXPECT_EQ(te.x[(1 * 60 + 59) * 60 + 0], Pattern(3, 1, 59, 0));
}

TEST(Spherical, PrepareFloatImagesStoredAsFloat32Unscaled) {
  SphericalTask t;
  const std::string out = TempPath("spherical_float_out");
  PrepareOptions po;
  po.allow_count_mismatch = true;
  ASSERT_TRUE(t.Prepare(TestData("float"), out, po).ok());
  auto d = OpenDataset(out, "spherical");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->arrays.at("train_x").dtype, DType::kFloat32);
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto data = t.Build(*d, o);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train->size(), 5);
  auto s = ReadSample(*data->train, 4);
  EXPECT_EQ(s.y, 52);
  EXPECT_EQ(s.x[(0 * 60 + 10) * 60 + 20], Pattern(4, 0, 10, 20) + 0.5f);
}

TEST(Spherical, PrepareRejectsBrokenInputs) {
  SphericalTask t;
  PrepareOptions po;
  po.allow_count_mismatch = true;
  const std::string out = TempPath("spherical_bad_out");
  {
    const std::string empty = TempPath("spherical_empty");
    std::filesystem::create_directories(empty);
    EXPECT_TRUE(Contains(t.Prepare(empty, out, po), "s2_cifar100.gz"));
  }
  {
    auto bytes = io::ReadFile(TestData("good/s2_cifar100.gz"));
    ASSERT_TRUE(bytes.ok());
    const std::string raw = TempPath("spherical_trunc");
    std::filesystem::create_directories(raw);
    ASSERT_TRUE(io::WriteFileAtomically(raw + "/s2_cifar100.gz", bytes->substr(0, bytes->size() - 30)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "s2_cifar100.gz")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("bad_label"), out, po);
    EXPECT_TRUE(Contains(s, "['train']['labels']: label -1 at index 7 is not an integer in [0, 99]")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("nan"), out, po);
    EXPECT_TRUE(Contains(s, "s2_cifar100.gz: ['test']['images']: non-finite value nan")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("bad_shape"), out, po);
    EXPECT_TRUE(Contains(s, "['test']['images'] is a ndarray")) << s;
    EXPECT_TRUE(Contains(s, "expected a numeric array (N, 3, 60, 60)")) << s;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Spherical, BuildRejectsMisshapedDataset) {
  SphericalTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  d.arrays["test_x"] = ViewOf(Tensor::Zeros({100, 3, 32, 32}, DType::kUInt8));
  EXPECT_TRUE(Contains(t.Build(d, {}).status(), "'test_x' has shape"));
}

}  // namespace
}  // namespace nb360::tasks
