// Tests for tasks/ninapro: synthetic set, splits per mode, the (N,52,16) -> (N,1,16,52) transpose,
// loss/metric wiring, loader pass, Prepare on small real-format .npy files and broken inputs.
#include "tasks/ninapro/ninapro.h"

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

TEST(NinaPro, InfoMatchesSpec) {
  NinaProTask t;
  EXPECT_EQ(t.info().name, "ninapro");
  EXPECT_EQ(t.info().input_shape, (Shape{1, 16, 52}));
  EXPECT_EQ(t.info().output_shape, (Shape{18}));
  EXPECT_EQ(t.info().metric, "error_pct");
  EXPECT_EQ(t.info().batch.wrn, 128);
  EXPECT_EQ(t.info().batch.darts_search, 256);
  EXPECT_EQ(t.info().batch.darts_eval, 128);
}

TEST(NinaPro, SyntheticIsDeterministicAndShaped) {
  NinaProTask t;
  Dataset a = t.MakeSynthetic({7, 0.0}), b = t.MakeSynthetic({7, 0.0}), c = t.MakeSynthetic({8, 0.0});
  EXPECT_TRUE(SameDataset(a, b));
  EXPECT_FALSE(SameDataset(a, c));
  EXPECT_EQ(a.manifest.source, "synthetic");
  EXPECT_EQ(a.arrays.at("train_x").shape, (Shape{264, 1, 16, 52}));
  EXPECT_EQ(a.arrays.at("val_x").shape, (Shape{66, 1, 16, 52}));
  EXPECT_EQ(a.arrays.at("test_y").shape, (Shape{66}));
  const ArrayView& y = a.arrays.at("train_y");
  std::vector<int> seen(18, 0);
  for (int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_GE(y.data<int64_t>()[i], 0);
    ASSERT_LT(y.data<int64_t>()[i], 18);
    seen[y.data<int64_t>()[i]]++;
  }
  for (int k = 0; k < 18; ++k) EXPECT_GT(seen[k], 0);
  Dataset full = t.MakeSynthetic({7, 1.0});
  EXPECT_EQ(full.arrays.at("train_x").dim(0), 2638);
  EXPECT_EQ(full.arrays.at("val_x").dim(0), 659);
  EXPECT_EQ(full.arrays.at("test_x").dim(0), 659);
}

TEST(NinaPro, SplitsPerMode) {
  NinaProTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  DataOptions o;
  o.mode = RunMode::kSearch;
  auto s = t.Build(d, o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->train->size(), 264);
  EXPECT_EQ(s->val->size(), 66);
  EXPECT_EQ(s->test->size(), 66);
  EXPECT_FALSE(s->augment_train || s->augment_val || s->augment_test);
  // DARTS search halves the training split: floor(264 / 2) pairs (real data: 1,319).
  EXPECT_EQ(s->train->size() / 2, 132);
  o.mode = RunMode::kRetrain;
  auto r = t.Build(d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->train->size(), 264 + 66);
  EXPECT_EQ(r->val, nullptr);
  // Retrain order: train rows, then validation rows.
  auto a = ReadSample(*r->train, 264 + 5), b = ReadSample(*s->val, 5);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  EXPECT_EQ(a.group, 264 + 5);
  EXPECT_EQ(ReadSample(*r->train, 3).x, ReadSample(*s->train, 3).x);
}

TEST(NinaPro, SyntheticIsLearnable) {
  NinaProTask t;
  auto data = t.Build(t.MakeSynthetic({2, 0.0}), {});
  ASSERT_TRUE(data.ok());
  const double acc = testing_util::NearestCentroidAccuracy(*data->train, *data->test, 18);
  EXPECT_GT(acc, 3.0 / 18) << acc;
}

TEST(NinaPro, LossAndMetricWiring) {
  NinaProTask t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  Batch b;
  b.y = Tensor::FromVector<int64_t>({3, 17}, {2});
  b.index = b.group = {0, 1};
  b.extra = {0, 0};
  Tensor logits = Tensor::Zeros({2, 18});
  EXPECT_NEAR(data->objective->Loss(logits, b).data<float>()[0], std::log(18.0), 1e-5);
  logits.data<float>()[3] = 5;
  logits.data<float>()[18 + 17] = 5;
  auto m = data->objective->NewMetric(Split::kTest);
  m->Add(logits, b);
  EXPECT_EQ(m->Result().primary_value(), 0.0);
}

TEST(NinaPro, LoaderPass) {
  NinaProTask t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(testing_util::LoaderPass(data->train, 64, true), 264);
}

// Writes the six raw files with sizes (n, n/4+1, n/4+1); x[i, t, e] = i + t / 100 + e / 10000.
std::string WriteRaw(const std::string& name, int64_t n) {
  const std::string dir = TempPath(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const int64_t sizes[3] = {n, n / 4 + 1, n / 4 + 1};
  const char* splits[3] = {"train", "val", "test"};
  for (int s = 0; s < 3; ++s) {
    Tensor x = Tensor::Empty({sizes[s], 52, 16}, DType::kFloat64);
    Tensor y = Tensor::Empty({sizes[s]}, DType::kInt64);
    for (int64_t i = 0; i < sizes[s]; ++i) {
      y.data<int64_t>()[i] = (i + s) % 18;
      for (int64_t tt = 0; tt < 52; ++tt) {
        for (int64_t e = 0; e < 16; ++e) x.data<double>()[(i * 52 + tt) * 16 + e] = i + tt / 100.0 + e / 10000.0;
      }
    }
    EXPECT_TRUE(io::WriteNpy(absl::StrCat(dir, "/ninapro_", splits[s], ".npy"), x).ok());
    EXPECT_TRUE(io::WriteNpy(absl::StrCat(dir, "/label_", splits[s], ".npy"), y).ok());
  }
  return dir;
}

TEST(NinaPro, PrepareRoundTripTransposes) {
  NinaProTask t;
  const std::string raw = WriteRaw("ninapro_raw", 12);
  const std::string out = TempPath("ninapro_out");
  PrepareOptions po;
  EXPECT_TRUE(Contains(t.Prepare(raw, out, po), "ninapro_train.npy: rows: 12 samples, the published file has 2638"));
  po.allow_count_mismatch = true;
  ASSERT_TRUE(t.Prepare(raw, out, po).ok());
  auto d = OpenDataset(out, "ninapro");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "real");
  EXPECT_EQ(d->arrays.at("train_x").shape, (Shape{12, 1, 16, 52}));
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto data = t.Build(*d, o);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train->size(), 12 + 4);
  EXPECT_EQ(data->test->size(), 4);
  // Sample 5 of train: model input (1, 16, 52) at (0, e, t) = raw (t, e).
  auto s = ReadSample(*data->train, 5);
  EXPECT_EQ(s.y, 5);
  for (int64_t e : {0, 7, 15}) {
    for (int64_t tt : {0, 20, 51}) EXPECT_FLOAT_EQ(s.x[e * 52 + tt], static_cast<float>(5 + tt / 100.0 + e / 10000.0));
  }
  // Validation row 1 follows the 12 training rows; its label is (1 + 1) % 18.
  EXPECT_EQ(ReadSample(*data->train, 13).y, 2);
}

TEST(NinaPro, PrepareAcceptsOtherNumericDtypes) {
  NinaProTask t;
  const std::string raw = WriteRaw("ninapro_dtypes", 8);
  auto x = io::ReadNpy(raw + "/ninapro_val.npy");
  auto y = io::ReadNpy(raw + "/label_val.npy");
  ASSERT_TRUE(x.ok() && y.ok());
  ASSERT_TRUE(io::WriteNpy(raw + "/ninapro_val.npy", x->To(DType::kFloat32)).ok());
  ASSERT_TRUE(io::WriteNpy(raw + "/label_val.npy", y->To(DType::kInt32)).ok());
  PrepareOptions po;
  po.allow_count_mismatch = true;
  const std::string out = TempPath("ninapro_dtypes_out");
  ASSERT_TRUE(t.Prepare(raw, out, po).ok());
  auto d = OpenDataset(out, "ninapro");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->arrays.at("val_y").data<int64_t>()[2], 3);
  EXPECT_FLOAT_EQ(d->arrays.at("val_x").data<float>()[1 * 52 + 3], 0.0301f);  // electrode 1, time 3
  // Integer signals are refused.
  ASSERT_TRUE(io::WriteNpy(raw + "/ninapro_val.npy", x->To(DType::kInt64)).ok());
  EXPECT_TRUE(Contains(t.Prepare(raw, out, po), "ninapro_val.npy: dtype int64, expected float64 or float32"));
}

TEST(NinaPro, PrepareRejectsBrokenInputs) {
  NinaProTask t;
  PrepareOptions po;
  po.allow_count_mismatch = true;
  const std::string out = TempPath("ninapro_bad_out");
  {
    const std::string raw = WriteRaw("ninapro_missing", 8);
    std::filesystem::remove(raw + "/label_val.npy");
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "label_val.npy")) << s;
  }
  {
    const std::string raw = WriteRaw("ninapro_trunc", 8);
    auto bytes = io::ReadFile(raw + "/ninapro_test.npy");
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(io::WriteFileAtomically(raw + "/ninapro_test.npy", bytes->substr(0, bytes->size() - 100)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "ninapro_test.npy")) << s;
  }
  {
    const std::string raw = WriteRaw("ninapro_shape", 8);
    ASSERT_TRUE(io::WriteNpy(raw + "/ninapro_train.npy", Tensor::Zeros({8, 16, 52}, DType::kFloat64)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "ninapro_train.npy: shape [8, 16, 52], expected (N, 52, 16)")) << s;
  }
  {
    const std::string raw = WriteRaw("ninapro_label", 8);
    ASSERT_TRUE(io::WriteNpy(raw + "/label_train.npy", Tensor::Full({8}, 18, DType::kInt64)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "label_train.npy: label 18 at index 0 is not an integer in [0, 17]")) << s;
  }
  {
    const std::string raw = WriteRaw("ninapro_nan", 8);
    Tensor x = Tensor::Zeros({3, 52, 16}, DType::kFloat64);
    x.data<double>()[100] = std::nan("");
    ASSERT_TRUE(io::WriteNpy(raw + "/ninapro_val.npy", x).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "ninapro_val.npy: non-finite value nan at flat index 100")) << s;
  }
  {
    const std::string raw = WriteRaw("ninapro_rows", 8);
    ASSERT_TRUE(io::WriteNpy(raw + "/label_test.npy", Tensor::Zeros({2}, DType::kInt64)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "label_test.npy: shape")) << s;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(NinaPro, BuildRejectsMisshapedDataset) {
  NinaProTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  d.arrays["val_x"] = ViewOf(Tensor::Zeros({66, 1, 52, 16}));
  auto r = t.Build(d, {});
  EXPECT_TRUE(Contains(r.status(), "'val_x' has shape")) << r.status();
  d = t.MakeSynthetic({1, 0.0});
  d.arrays.erase("test_y");
  EXPECT_TRUE(Contains(t.Build(d, {}).status(), "'test_y' is missing"));
}

}  // namespace
}  // namespace nb360::tasks
