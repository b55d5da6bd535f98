// Tests for tasks/deepsea: synthetic set, stored splits in both modes, (1000, 4) -> (4, 1000)
// permutation, BCE loss and AUROC metric wiring, loader pass, Prepare on a small real-format .npz and
// broken inputs.
#include "tasks/deepsea/deepsea.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "engine/io/npz.h"
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

TEST(DeepSea, InfoMatchesSpec) {
  DeepSeaTask t;
  EXPECT_EQ(t.info().input_shape, (Shape{4, 1000}));
  EXPECT_EQ(t.info().output_shape, (Shape{36}));
  EXPECT_TRUE(t.info().multi_label);
  EXPECT_EQ(t.info().loss, LossKind::kBceWithLogits);
  EXPECT_EQ(t.info().metric, "one_minus_auroc");
  EXPECT_EQ(t.info().batch.wrn, 256);
  EXPECT_EQ(t.info().batch.darts_search, 128);
  EXPECT_EQ(t.info().batch.darts_eval, 64);
}

TEST(DeepSea, SyntheticIsDeterministicAndShaped) {
  DeepSeaTask t;
  Dataset a = t.MakeSynthetic({7, 0.0}), b = t.MakeSynthetic({7, 0.0}), c = t.MakeSynthetic({8, 0.0});
  EXPECT_TRUE(SameDataset(a, b));
  EXPECT_FALSE(SameDataset(a, c));
  EXPECT_EQ(a.manifest.source, "synthetic");
  EXPECT_EQ(a.arrays.at("train_x").shape, (Shape{512, 1000, 4}));
  EXPECT_EQ(a.arrays.at("val_y").shape, (Shape{128, 36}));
  EXPECT_EQ(a.arrays.at("test_x").shape, (Shape{256, 1000, 4}));
  // One-hot rows; every label has positives and negatives in validation (AUROC defined).
  const ArrayView& x = a.arrays.at("train_x");
  for (int64_t r = 0; r < 1000; ++r) {
    int sum = 0;
    for (int b = 0; b < 4; ++b) sum += x.data<uint8_t>()[r * 4 + b];
    ASSERT_EQ(sum, 1);
  }
  const ArrayView& y = a.arrays.at("val_y");
  for (int k = 0; k < 36; ++k) {
    int pos = 0;
    for (int64_t i = 0; i < 128; ++i) pos += y.data<uint8_t>()[i * 36 + k];
    EXPECT_GT(pos, 0);
    EXPECT_LT(pos, 128);
  }
  Dataset f = t.MakeSynthetic({7, 0.001});
  EXPECT_EQ(f.arrays.at("train_x").dim(0), 72);
  EXPECT_EQ(f.arrays.at("val_x").dim(0), 32);
  EXPECT_EQ(f.arrays.at("test_x").dim(0), 149);
}

TEST(DeepSea, SplitsPerModeAndPermutation) {
  DeepSeaTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  DataOptions o;
  auto s = t.Build(d, o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->train->size(), 512);
  EXPECT_EQ(s->val->size(), 128);
  EXPECT_EQ(s->test->size(), 256);
  EXPECT_FALSE(s->augment_train || s->augment_val || s->augment_test);
  o.mode = RunMode::kRetrain;
  auto r = t.Build(d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->train->size(), 512);  // validation is not merged (spec §10.2)
  EXPECT_EQ(r->val, nullptr);
  EXPECT_EQ(r->test->size(), 256);
  auto smp = ReadSample(*r->test, 9);
  const ArrayView& x = d.arrays.at("test_x");
  const ArrayView& y = d.arrays.at("test_y");
  for (int64_t p : {0, 1, 500, 999}) {
    for (int64_t b = 0; b < 4; ++b) EXPECT_EQ(smp.x[b * 1000 + p], x.data<uint8_t>()[(9 * 1000 + p) * 4 + b]);
  }
  for (int64_t k = 0; k < 36; ++k) EXPECT_EQ(smp.yv[k], y.data<uint8_t>()[9 * 36 + k]);
  EXPECT_EQ(smp.group, 9);
}

TEST(DeepSea, LossAndMetricWiring) {
  DeepSeaTask t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  Batch b;
  b.y = Tensor::Zeros({2, 36});
  b.y.data<float>()[5] = 1;
  b.y.data<float>()[36 + 5] = 0;
  b.y.data<float>()[36 + 7] = 1;
  b.index = b.group = {0, 1};
  b.extra = {0, 0};
  // Zero logits: ln 2 per element, mean over 2 x 36.
  EXPECT_NEAR(data->objective->Loss(Tensor::Zeros({2, 36}), b).data<float>()[0], std::log(2.0), 1e-6);
  // One logit of 2 on a positive: (71 ln 2 + softplus(-2)) / 72.
  Tensor l = Tensor::Zeros({2, 36});
  l.data<float>()[5] = 2;
  EXPECT_NEAR(data->objective->Loss(l, b).data<float>()[0], (71 * std::log(2.0) + std::log1p(std::exp(-2.0))) / 72,
              1e-6);
  // Perfect ranking on a split where every label has both classes.
  auto m = data->objective->NewMetric(Split::kVal);
  Batch all;
  all.y = Tensor::Empty({128, 36});
  Tensor logits = Tensor::Empty({128, 36});
  for (int64_t i = 0; i < 128; ++i) {
    auto smp = ReadSample(*data->val, i);
    for (int k = 0; k < 36; ++k) {
      all.y.data<float>()[i * 36 + k] = smp.yv[k];
      logits.data<float>()[i * 36 + k] = smp.yv[k] > 0 ? 3.f : -3.f;
    }
    all.index.push_back(i);
  }
  all.group = all.index;
  all.extra.assign(128, 0);
  m->Add(logits, all);
  MetricValues v = m->Result();
  EXPECT_EQ(v.primary, "one_minus_auroc");
  EXPECT_NEAR(v.primary_value(), 0.0, 1e-12);
}

TEST(DeepSea, LoaderPass) {
  DeepSeaTask t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(testing_util::LoaderPass(data->val, 50, false), 128);
}

// Six members with rows (n, 3, 5); x one-hot with base (i + p) % 4, y[i, k] = (i + k) % 2.
io::NamedTensors RawMembers(int64_t n, DType dtype) {
  io::NamedTensors out;
  const int64_t rows[3] = {n, 3, 5};
  const char* splits[3] = {"train", "val", "test"};
  for (int s = 0; s < 3; ++s) {
    Tensor x = Tensor::Zeros({rows[s], 1000, 4}, DType::kUInt8);
    Tensor y = Tensor::Zeros({rows[s], 36}, DType::kUInt8);
    for (int64_t i = 0; i < rows[s]; ++i) {
      for (int64_t p = 0; p < 1000; ++p) x.data<uint8_t>()[(i * 1000 + p) * 4 + (i + p) % 4] = 1;
      for (int64_t k = 0; k < 36; ++k) y.data<uint8_t>()[i * 36 + k] = (i + k) % 2;
    }
    out.emplace_back(absl::StrCat("x_", splits[s]), x.To(dtype));
    out.emplace_back(absl::StrCat("y_", splits[s]), y.To(dtype));
  }
  return out;
}

std::string WriteRaw(const std::string& name, const io::NamedTensors& members) {
  const std::string dir = TempPath(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_TRUE(io::WriteNpz(dir + "/deepsea_filtered.npz", members).ok());
  return dir;
}

TEST(DeepSea, PrepareRoundTrip) {
  DeepSeaTask t;
  const std::string out = TempPath("deepsea_out");
  for (DType dt : {DType::kUInt8, DType::kBool, DType::kFloat32}) {
    const std::string raw = WriteRaw("deepsea_raw", RawMembers(6, dt));
    PrepareOptions po;
    EXPECT_TRUE(Contains(t.Prepare(raw, out, po), "deepsea_filtered.npz: x_train: 6 samples, the published file has 71753"));
    po.allow_count_mismatch = true;
    ASSERT_TRUE(t.Prepare(raw, out, po).ok());
    auto d = OpenDataset(out, "deepsea");
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->arrays.at("test_x").dtype, DType::kUInt8);
    auto data = t.Build(*d, {});
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(data->train->size(), 6);
    EXPECT_EQ(data->val->size(), 3);
    EXPECT_EQ(data->test->size(), 5);
    auto smp = ReadSample(*data->test, 2);
    for (int64_t p : {0, 3, 998}) {
      for (int64_t b = 0; b < 4; ++b) EXPECT_EQ(smp.x[b * 1000 + p], (2 + p) % 4 == b ? 1.f : 0.f);
    }
    EXPECT_EQ(smp.yv[0], 0.f);
    EXPECT_EQ(smp.yv[1], 1.f);
  }
}

TEST(DeepSea, PrepareRejectsBrokenInputs) {
  DeepSeaTask t;
  PrepareOptions po;
  po.allow_count_mismatch = true;
  const std::string out = TempPath("deepsea_bad_out");
  {
    const std::string dir = TempPath("deepsea_missing");
    std::filesystem::create_directories(dir);
    EXPECT_TRUE(Contains(t.Prepare(dir, out, po), "deepsea_filtered.npz"));
  }
  {
    io::NamedTensors m = RawMembers(4, DType::kUInt8);
    m.erase(m.begin() + 3);  // y_val
    EXPECT_TRUE(Contains(t.Prepare(WriteRaw("deepsea_member", m), out, po),
                         "deepsea_filtered.npz: member 'y_val.npy' is missing"));
  }
  {
    const std::string raw = WriteRaw("deepsea_trunc", RawMembers(4, DType::kUInt8));
    auto bytes = io::ReadFile(raw + "/deepsea_filtered.npz");
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(io::WriteFileAtomically(raw + "/deepsea_filtered.npz", bytes->substr(0, bytes->size() / 2)).ok());
    EXPECT_TRUE(Contains(t.Prepare(raw, out, po), "deepsea_filtered.npz"));
  }
  {
    io::NamedTensors m = RawMembers(4, DType::kUInt8);
    m[0].second = Tensor::Zeros({4, 4, 1000}, DType::kUInt8);
    absl::Status s = t.Prepare(WriteRaw("deepsea_shape", m), out, po);
    EXPECT_TRUE(Contains(s, "x_train: shape [4, 4, 1000], expected (N, 1000, 4)")) << s;
  }
  {
    io::NamedTensors m = RawMembers(4, DType::kFloat32);
    m[5].second.data<float>()[7] = std::nanf("");
    absl::Status s = t.Prepare(WriteRaw("deepsea_nan", m), out, po);
    EXPECT_TRUE(Contains(s, "y_test: value nan at flat index 7 is not 0 or 1")) << s;
  }
  {
    io::NamedTensors m = RawMembers(4, DType::kUInt8);
    m[1].second.data<uint8_t>()[3] = 2;
    absl::Status s = t.Prepare(WriteRaw("deepsea_label", m), out, po);
    EXPECT_TRUE(Contains(s, "y_train: value 2 at flat index 3 is not 0 or 1")) << s;
  }
  {
    io::NamedTensors m = RawMembers(4, DType::kUInt8);
    m[3].second = Tensor::Zeros({2, 36}, DType::kUInt8);
    absl::Status s = t.Prepare(WriteRaw("deepsea_rows", m), out, po);
    EXPECT_TRUE(Contains(s, "x_val has 3 rows but y_val has 2")) << s;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(DeepSea, BuildRejectsMisshapedDataset) {
  DeepSeaTask t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  d.arrays["val_y"] = ViewOf(Tensor::Zeros({128, 36}));
  EXPECT_TRUE(Contains(t.Build(d, {}).status(), "'val_y' has dtype float32, expected uint8"));
}

}  // namespace
}  // namespace nb360::tasks
