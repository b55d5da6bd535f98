// Tests for tasks/cifar100: synthetic set, search/retrain splits (validation augmented), the
// normalisation, crop/flip/Cutout semantics per variant, loss/metric wiring, loader pass, Prepare from
// real-format archives (and the extracted directory) and broken inputs.
#include "tasks/cifar100/cifar100.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "gtest/gtest.h"
#include "tasks/common/gzip.h"
#include "tasks/common/tar.h"
#include "tests/tasks/common/array_task_test_util.h"

namespace nb360::tasks {
namespace {

using testing_util::ReadSample;
using testing_util::SameDataset;
using testing_util::TempPath;

constexpr float kMean[3] = {0.5071f, 0.4867f, 0.4408f};
constexpr float kStd[3] = {0.2675f, 0.2565f, 0.2761f};

bool Contains(const absl::Status& s, const std::string& what) {
  return std::string(s.message()).find(what) != std::string::npos;
}

std::string TestData(const std::string& sub) { return "tests/tasks/cifar100/testdata/" + sub; }

// The normalised, un-augmented image i of a uint8 (N, 3, 32, 32) array.
std::vector<float> Plain(const ArrayView& x, int64_t i) {
  std::vector<float> out(3072);
  for (int64_t k = 0; k < 3072; ++k) {
    const int64_t c = k / 1024;
    out[k] = (static_cast<float>(x.data<uint8_t>()[i * 3072 + k]) / 255.f - kMean[c]) / kStd[c];
  }
  return out;
}

TEST(Cifar100, InfoMatchesSpec) {
  Cifar100Task t;
  EXPECT_EQ(t.info().input_shape, (Shape{3, 32, 32}));
  EXPECT_EQ(t.info().output_shape, (Shape{100}));
  EXPECT_EQ(t.info().loss, LossKind::kCrossEntropy);
  EXPECT_EQ(t.info().metric, "error_pct");
  EXPECT_EQ(t.info().batch.wrn, 128);
  EXPECT_EQ(t.info().batch.darts_search, 256);
  EXPECT_EQ(t.info().batch.darts_eval, 128);
}

TEST(Cifar100, SyntheticIsDeterministicAndShaped) {
  Cifar100Task t;
  Dataset a = t.MakeSynthetic({7, 0.0}), b = t.MakeSynthetic({7, 0.0}), c = t.MakeSynthetic({8, 0.0});
  EXPECT_TRUE(SameDataset(a, b));
  EXPECT_FALSE(SameDataset(a, c));
  EXPECT_EQ(a.manifest.source, "synthetic");
  EXPECT_EQ(a.arrays.at("train_x").shape, (Shape{1000, 3, 32, 32}));
  EXPECT_EQ(a.arrays.at("train_x").dtype, DType::kUInt8);
  EXPECT_EQ(a.arrays.at("test_y").shape, (Shape{200}));
  std::vector<int> seen(100);
  const ArrayView& y = a.arrays.at("train_y");
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_GE(y.data<int64_t>()[i], 0);
    ASSERT_LT(y.data<int64_t>()[i], 100);
    seen[y.data<int64_t>()[i]]++;
  }
  for (int k = 0; k < 100; ++k) EXPECT_EQ(seen[k], 10);
  Dataset f = t.MakeSynthetic({7, 0.01});
  EXPECT_EQ(f.arrays.at("train_x").dim(0), 500);
  EXPECT_EQ(f.arrays.at("test_x").dim(0), 100);
}

TEST(Cifar100, SyntheticIsLearnable) {
  Cifar100Task t;
  auto data = t.Build(t.MakeSynthetic({2, 0.0}), {});
  ASSERT_TRUE(data.ok());
  const double acc = testing_util::NearestCentroidAccuracy(*data->train, *data->test, 100);
  EXPECT_GT(acc, 0.1) << acc;
}

TEST(Cifar100, SplitsPerModeAndIndexOrder) {
  Cifar100Task t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  auto s = t.Build(d, {});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->train->size(), 800);  // real data: 40,000
  EXPECT_EQ(s->val->size(), 200);    // real data: 10,000 (rows 40,000..49,999)
  EXPECT_EQ(s->test->size(), 200);
  EXPECT_TRUE(s->augment_train);
  EXPECT_TRUE(s->augment_val);
  EXPECT_FALSE(s->augment_test);
  EXPECT_EQ(s->train->size() / 2, 400);  // DARTS bi-level pairs (real: 20,000)
  const ArrayView& x = d.arrays.at("train_x");
  auto v0 = ReadSample(*s->val, 0);
  EXPECT_EQ(v0.x, Plain(x, 800));
  EXPECT_EQ(v0.y, d.arrays.at("train_y").data<int64_t>()[800]);
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto r = t.Build(d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->train->size(), 1000);
  EXPECT_EQ(r->val, nullptr);
  EXPECT_EQ(ReadSample(*r->train, 999).x, Plain(x, 999));
  EXPECT_EQ(ReadSample(*r->test, 3).x, Plain(d.arrays.at("test_x"), 3));
}

// Whether `out` is image i cropped from the 4-padded canvas at (dy, dx) and maybe flipped.
bool IsCropFlip(const std::vector<float>& out, const std::vector<float>& plain) {
  const float pad[3] = {-kMean[0] / kStd[0], -kMean[1] / kStd[1], -kMean[2] / kStd[2]};
  for (int flip = 0; flip < 2; ++flip) {
    for (int dy = 0; dy <= 8; ++dy) {
      for (int dx = 0; dx <= 8; ++dx) {
        bool ok = true;
        for (int c = 0; c < 3 && ok; ++c) {
          for (int r = 0; r < 32 && ok; ++r) {
            for (int q = 0; q < 32 && ok; ++q) {
              const int qq = flip ? 31 - q : q;  // flip happens after the crop
              const int sr = r + dy - 4, sq = qq + dx - 4;
              const bool inside = sr >= 0 && sr < 32 && sq >= 0 && sq < 32;
              const float want = inside ? plain[(c * 32 + sr) * 32 + sq] : pad[c];
              ok = std::fabs(out[(c * 32 + r) * 32 + q] - want) < 1e-6f;
            }
          }
        }
        if (ok) return true;
      }
    }
  }
  return false;
}

TEST(Cifar100, DartsSearchAugmentsWithCropAndFlipOnly) {
  Cifar100Task t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  DataOptions o;
  o.variant = DataVariant::kDartsSearch;
  auto s = t.Build(d, o);
  ASSERT_TRUE(s.ok());
  int changed = 0;
  for (int64_t i = 0; i < 20; ++i) {
    Generator g(100 + i);
    auto a = ReadSample(*s->train, i, &g);
    const auto plain = Plain(d.arrays.at("train_x"), i);
    EXPECT_TRUE(IsCropFlip(a.x, plain)) << i;
    changed += a.x != plain;
  }
  EXPECT_GT(changed, 10);
}

TEST(Cifar100, BackboneAndDartsEvalAddCutout16) {
  Cifar100Task t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  for (DataVariant variant : {DataVariant::kBackbone, DataVariant::kDartsEval}) {
    DataOptions o;
    o.variant = variant;
    auto s = t.Build(d, o);
    ASSERT_TRUE(s.ok());
    int full = 0;
    for (int64_t i = 0; i < 40; ++i) {
      Generator g(7 + i);
      auto a = ReadSample(*s->val, i, &g);  // validation is augmented too
      // Cutout zeroes a rectangle of at most 16 x 16 in every channel (pixels are otherwise never 0
      // after normalisation of these images).
      int zeros[3] = {0, 0, 0};
      for (int64_t k = 0; k < 3072; ++k) zeros[k / 1024] += a.x[k] == 0.f;
      EXPECT_EQ(zeros[0], zeros[1]);
      EXPECT_EQ(zeros[0], zeros[2]);
      EXPECT_LE(zeros[0], 256);
      EXPECT_GE(zeros[0], 64);  // the centre lies inside the image: at least 8 x 8 survives clipping
      full += zeros[0] == 256;
    }
    EXPECT_GT(full, 5);
    // The same stream gives the same sample; the test split reads plainly.
    Generator g1(3), g2(3);
    EXPECT_EQ(ReadSample(*s->train, 5, &g1).x, ReadSample(*s->train, 5, &g2).x);
  }
}

TEST(Cifar100, LossMetricAndLoader) {
  Cifar100Task t;
  auto data = t.Build(t.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(data.ok());
  Batch b;
  b.y = Tensor::FromVector<int64_t>({42}, {1});
  b.index = b.group = {0};
  b.extra = {0};
  Tensor logits = Tensor::Zeros({1, 100});
  EXPECT_NEAR(data->objective->Loss(logits, b).data<float>()[0], std::log(100.0), 1e-5);
  logits.data<float>()[42] = 1;
  auto m = data->objective->NewMetric(Split::kTest);
  m->Add(logits, b);
  EXPECT_EQ(m->Result().primary_value(), 0.0);
  EXPECT_EQ(testing_util::LoaderPass(data->val, 64, true), 200);
}

void CheckPrepared(const std::string& out) {
  auto d = OpenDataset(out, "cifar100");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "real");
  const ArrayView& x = d->arrays.at("train_x");
  ASSERT_EQ(x.shape, (Shape{10, 3, 32, 32}));
  ASSERT_EQ(d->arrays.at("test_x").shape, (Shape{4, 3, 32, 32}));
  for (int64_t i : {0, 3, 9}) {
    for (int64_t k : {0, 1023, 1024, 3071}) EXPECT_EQ(x.data<uint8_t>()[i * 3072 + k], (7 * i + k) % 256);
    EXPECT_EQ(d->arrays.at("train_y").data<int64_t>()[i], (11 * i) % 100);
  }
  EXPECT_EQ(d->arrays.at("test_y").data<int64_t>()[3], 38);
  DataOptions o;
  o.mode = RunMode::kRetrain;
  auto data = Cifar100Task().Build(*d, o);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train->size(), 10);
  auto s = ReadSample(*data->test, 1);
  EXPECT_FLOAT_EQ(s.x[1024 + 5], ((7 * 1 + 1024 + 5) % 256 / 255.f - kMean[1]) / kStd[1]);
}

TEST(Cifar100, PrepareFromArchiveAndFromExtractedDirectory) {
  Cifar100Task t;
  const std::string out = TempPath("cifar_out");
  PrepareOptions po;
  absl::Status strict = t.Prepare(TestData("good"), out, po);
  EXPECT_TRUE(Contains(strict, "cifar-100-python.tar.gz:cifar-100-python/train: b'data' rows: 10 samples, "
                               "the published file has 50000")) << strict;
  po.allow_count_mismatch = true;
  ASSERT_TRUE(t.Prepare(TestData("good"), out, po).ok());
  CheckPrepared(out);

  // The extracted directory cifar-100-python/{train,test}.
  auto packed = io::ReadFile(TestData("good/cifar-100-python.tar.gz"));
  ASSERT_TRUE(packed.ok());
  auto tar = Gunzip(*packed, "x");
  ASSERT_TRUE(tar.ok());
  auto members = ParseTar(*tar, "x");
  ASSERT_TRUE(members.ok());
  const std::string raw = TempPath("cifar_extracted");
  std::filesystem::remove_all(raw);
  std::filesystem::create_directories(raw + "/cifar-100-python");
  for (const TarMember& m : *members) ASSERT_TRUE(io::WriteFileAtomically(raw + "/" + m.name, m.data).ok());
  const std::string out2 = TempPath("cifar_out2");
  ASSERT_TRUE(t.Prepare(raw, out2, po).ok());
  CheckPrepared(out2);
}

TEST(Cifar100, PrepareRejectsBrokenInputs) {
  Cifar100Task t;
  PrepareOptions po;
  po.allow_count_mismatch = true;
  const std::string out = TempPath("cifar_bad_out");
  {
    const std::string empty = TempPath("cifar_empty");
    std::filesystem::create_directories(empty);
    EXPECT_TRUE(Contains(t.Prepare(empty, out, po), "neither cifar-100-python.tar.gz nor"));
  }
  auto packed = io::ReadFile(TestData("good/cifar-100-python.tar.gz"));
  ASSERT_TRUE(packed.ok());
  {
    const std::string raw = TempPath("cifar_trunc");
    std::filesystem::create_directories(raw);
    ASSERT_TRUE(io::WriteFileAtomically(raw + "/cifar-100-python.tar.gz", packed->substr(0, 700)).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "cifar-100-python.tar.gz")) << s;
  }
  {
    auto members = ParseTar(*Gunzip(*packed, "x"), "x");
    ASSERT_TRUE(members.ok());
    TarWriter w;
    for (const TarMember& m : *members) {
      if (m.name != "cifar-100-python/test") w.AddFile(m.name, m.data);
    }
    const std::string raw = TempPath("cifar_member");
    std::filesystem::create_directories(raw);
    ASSERT_TRUE(GzipFile(raw + "/cifar-100-python.tar.gz", std::move(w).Finish()).ok());
    absl::Status s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "cifar-100-python.tar.gz: no member cifar-100-python/test")) << s;
    // A truncated pickle inside the archive names the member.
    TarWriter w2;
    for (const TarMember& m : *members) w2.AddFile(m.name, m.name == "cifar-100-python/train" ? m.data.substr(0, 500) : m.data);
    ASSERT_TRUE(GzipFile(raw + "/cifar-100-python.tar.gz", std::move(w2).Finish()).ok());
    s = t.Prepare(raw, out, po);
    EXPECT_TRUE(Contains(s, "cifar-100-python.tar.gz:cifar-100-python/train")) << s;
  }
  {
    absl::Status s = t.Prepare(TestData("bad_label"), out, po);
    EXPECT_TRUE(Contains(s, "cifar-100-python/train: b'fine_labels': label 100 at index 6 is not an integer in [0, 99]"))
        << s;
  }
  {
    absl::Status s = t.Prepare(TestData("bad_shape"), out, po);
    EXPECT_TRUE(Contains(s, "cifar-100-python/test: b'data' is a ndarray")) << s;
    EXPECT_TRUE(Contains(s, "expected a uint8 array (N, 3072)")) << s;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cifar100, BuildRejectsMisshapedDataset) {
  Cifar100Task t;
  Dataset d = t.MakeSynthetic({1, 0.0});
  d.arrays["train_x"] = ViewOf(Tensor::Zeros({1000, 3, 32, 32}));
  EXPECT_TRUE(Contains(t.Build(d, {}).status(), "'train_x' has dtype float32, expected uint8"));
  d = t.MakeSynthetic({1, 0.0});
  d.arrays["test_y"] = ViewOf(Tensor::Zeros({199}, DType::kInt64));
  EXPECT_TRUE(Contains(t.Build(d, {}).status(), "'test_x' has 200 rows but 'test_y' has 199"));
}

}  // namespace
}  // namespace nb360::tasks
