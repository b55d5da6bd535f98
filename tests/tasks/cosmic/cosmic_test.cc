// tests/tasks/cosmic/cosmic_test.cc: Cosmic task info, synthetic data, splits, sky augmentation, loss,
// metric wiring and a loader pass.
#include "tasks/cosmic/cosmic.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "tasks/common/loader.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kP = 128 * 128;

struct Read {
  std::vector<float> x, y, aux;
  int64_t group = -1;
};

Read ReadOne(const SampleSet& set, int64_t i, Generator* rng) {
  Read r;
  r.x.assign(kP, -1.f);
  r.y.assign(kP, -1.f);
  r.aux.assign(kP, -1.f);
  SampleOut out;
  out.x = r.x.data();
  out.y = r.y.data();
  out.aux = r.aux.data();
  set.Read(i, rng, &out);
  r.group = out.group;
  return r;
}

bool SameBytes(const Dataset& a, const Dataset& b) {
  if (a.arrays.size() != b.arrays.size()) return false;
  for (const auto& [name, va] : a.arrays) {
    const ArrayView& vb = b.arrays.at(name);
    if (va.shape != vb.shape || va.dtype != vb.dtype) return false;
    if (std::memcmp(va.raw, vb.raw, va.numel() * DTypeSize(va.dtype)) != 0) return false;
  }
  return true;
}

TEST(CosmicTask, Info) {
  CosmicTask task;
  const TaskInfo& info = task.info();
  EXPECT_EQ(info.name, "cosmic");
  EXPECT_EQ(info.input_shape, (Shape{1, 128, 128}));
  EXPECT_EQ(info.output_shape, (Shape{1, 128, 128}));
  EXPECT_EQ(info.loss, LossKind::kMaskedBceWithLogits);
  EXPECT_EQ(info.metric, "fnr_pct");
  EXPECT_TRUE(info.dense);
  EXPECT_EQ(info.batch.wrn, 8);
  EXPECT_EQ(info.batch.darts_search, 8);
  EXPECT_EQ(info.batch.darts_eval, 4);
}

TEST(CosmicTask, PublishedSplitSizes) {
  EXPECT_EQ(cosmic::TrainPartEnd(4830), 4347);
  EXPECT_EQ(cosmic::ValPartBegin(4830), 4347);
  EXPECT_EQ(4830 - cosmic::ValPartBegin(4830), 483);
  // Tiny pools follow the original's max(1, .) / min(n - 1, .) guards.
  EXPECT_EQ(cosmic::TrainPartEnd(1), 1);
  EXPECT_EQ(cosmic::ValPartBegin(5), 4);
  EXPECT_EQ(cosmic::TrainPartEnd(5), 4);
}

TEST(CosmicTask, SyntheticDeterministicAndWellFormed) {
  CosmicTask task;
  const Dataset a = task.MakeSynthetic({.seed = 3, .fraction = 0.005});
  const Dataset b = task.MakeSynthetic({.seed = 3, .fraction = 0.005});
  const Dataset c = task.MakeSynthetic({.seed = 4, .fraction = 0.005});
  EXPECT_TRUE(SameBytes(a, b));
  EXPECT_FALSE(SameBytes(a, c));
  EXPECT_EQ(a.manifest.source, "synthetic");
  const ArrayView& x = a.arrays.at("train_x");
  EXPECT_EQ(x.shape, (Shape{24, 3, 128, 128}));  // round(4830 * 0.005) = 24
  EXPECT_EQ(a.arrays.at("train_sky").shape, (Shape{24}));
  EXPECT_EQ(a.arrays.at("train_sky").dtype, DType::kFloat64);
  EXPECT_EQ(a.arrays.at("test_x").shape, (Shape{4, 3, 128, 128}));
  int64_t cr = 0, ign = 0;
  for (int64_t i = 0; i < x.dim(0); ++i) {
    const float* s = x.data<float>() + i * 3 * kP;
    for (int64_t k = 0; k < kP; ++k) {
      ASSERT_TRUE(s[kP + k] == 0.f || s[kP + k] == 1.f);
      ASSERT_TRUE(s[2 * kP + k] == 0.f || s[2 * kP + k] == 1.f);
      ASSERT_FALSE(s[kP + k] == 1.f && s[2 * kP + k] == 1.f);
      ASSERT_TRUE(std::isfinite(s[k]));
      cr += s[kP + k] == 1.f;
      ign += s[2 * kP + k] == 1.f;
    }
  }
  EXPECT_GT(cr, 24 * 5);
  EXPECT_GT(ign, 0);
  // Default size keeps the pool:test proportion roughly (4830:420).
  const Dataset d = task.MakeSynthetic({.seed = 0});
  EXPECT_EQ(d.arrays.at("train_x").dim(0), cosmic::SyntheticPoolSize(0));
  EXPECT_EQ(d.arrays.at("test_x").dim(0), cosmic::SyntheticTestSize(0));
}

TEST(CosmicTask, BuildModes) {
  CosmicTask task;
  const Dataset data = task.MakeSynthetic({.seed = 1, .fraction = 0.005});
  absl::StatusOr<TaskData> search = task.Build(data, {.mode = RunMode::kSearch});
  ASSERT_TRUE(search.ok()) << search.status();
  EXPECT_EQ(search->train->size(), 21);  // int(0.9 * 24)
  EXPECT_EQ(search->val->size(), 3);
  EXPECT_EQ(search->test->size(), 4);
  EXPECT_TRUE(search->augment_train && search->augment_val && search->augment_test);
  absl::StatusOr<TaskData> retrain = task.Build(data, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(retrain.ok()) << retrain.status();
  EXPECT_EQ(retrain->train->size(), 24);
  EXPECT_EQ(retrain->val, nullptr);
  EXPECT_EQ(retrain->test->size(), 4);
  // Validation sample 0 is pool stack 21 (index slicing, no shuffle).
  const Read v = ReadOne(*search->val, 0, nullptr);
  const float* stored = data.arrays.at("train_x").data<float>() + 21 * 3 * kP;
  EXPECT_EQ(0, std::memcmp(v.x.data(), stored, kP * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(v.y.data(), stored + kP, kP * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(v.aux.data(), stored + 2 * kP, kP * sizeof(float)));
}

TEST(CosmicTask, SkyAugmentationAddsSkyTimesUniform) {
  CosmicTask task;
  const Dataset data = task.MakeSynthetic({.seed = 2, .fraction = 0.005});
  absl::StatusOr<TaskData> d = task.Build(data, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(d.ok());
  const double sky = data.arrays.at("train_sky").data<double>()[5];
  ASSERT_GT(sky, 0);
  const Read plain = ReadOne(*d->train, 5, nullptr);
  double lo = 1e9, hi = -1e9;
  for (int trial = 0; trial < 200; ++trial) {
    Generator rng(trial);
    const Read aug = ReadOne(*d->train, 5, &rng);
    const float shift = aug.x[0] - plain.x[0];
    for (int64_t k = 0; k < kP; k += 997) EXPECT_NEAR(aug.x[k] - plain.x[k], shift, 1e-3 * std::abs(plain.x[k]) + 1e-3);
    EXPECT_EQ(aug.y, plain.y);
    EXPECT_EQ(aug.aux, plain.aux);
    lo = std::min(lo, shift / sky);
    hi = std::max(hi, shift / sky);
  }
  EXPECT_GE(lo, -0.9 - 1e-3);
  EXPECT_LE(hi, 3.0 + 1e-3);
  EXPECT_LT(lo, -0.5);
  EXPECT_GT(hi, 2.5);
  Generator r1(77), r2(77);
  EXPECT_EQ(ReadOne(*d->train, 5, &r1).x, ReadOne(*d->train, 5, &r2).x);
}

TEST(CosmicTask, MaskedLossHandChecked) {
  const Tensor logits = Tensor::FromVector<float>({2.f, -1.f, 0.5f, 3.f}, {1, 1, 2, 2});
  const Tensor mask = Tensor::FromVector<float>({1.f, 0.f, 1.f, 1.f}, {1, 1, 2, 2});
  const Tensor ignore = Tensor::FromVector<float>({0.f, 0.f, 0.f, 1.f}, {1, 1, 2, 2});
  // Ignored pixel: logit 0 vs target 0 still adds log 2 and counts in the mean.
  const double want = (std::log1p(std::exp(2.0)) - 2.0 + std::log1p(std::exp(-1.0)) + std::log1p(std::exp(0.5)) -
                       0.5 + std::log(2.0)) / 4;
  EXPECT_NEAR(cosmic::MaskedBceLoss(logits, mask, ignore).item(), want, 1e-6);
  CosmicTask task;
  absl::StatusOr<TaskData> d = task.Build(task.MakeSynthetic({.seed = 0, .fraction = 0.005}), {});
  ASSERT_TRUE(d.ok());
  Batch b;
  b.y = mask;
  b.aux = ignore;
  EXPECT_NEAR(d->objective->Loss(logits, b).item(), want, 1e-6);
}

TEST(CosmicTask, LoaderAndPerfectMetric) {
  CosmicTask task;
  absl::StatusOr<TaskData> d = task.Build(task.MakeSynthetic({.seed = 5, .fraction = 0.005}), {});
  ASSERT_TRUE(d.ok());
  // num_workers = 0: Loader's workers read next_ when they start, so a late worker can skip a batch
  // (hangs intermittently; reported). Batches are the same for any worker count.
  Loader loader(d->val, {.batch_size = 2, .augment = d->augment_val, .seed = 9, .num_workers = 0});
  loader.StartEpoch(0);
  std::unique_ptr<Metric> metric = d->objective->NewMetric(Split::kVal);
  Batch batch;
  int64_t batches = 0;
  while (loader.Next(&batch)) {
    ++batches;
    ASSERT_EQ(batch.x.shape()[1], 1);
    ASSERT_EQ(batch.y.shape(), batch.x.shape());
    ASSERT_EQ(batch.aux.shape(), batch.x.shape());
    Tensor out = Tensor::Empty(batch.y.shape());
    for (int64_t k = 0; k < out.numel(); ++k) out.data<float>()[k] = batch.y.data<float>()[k] > 0.5f ? 10.f : -10.f;
    metric->Add(out, batch);
  }
  EXPECT_EQ(batches, 2);  // 3 validation stacks, batch 2
  const MetricValues v = metric->Result();
  EXPECT_EQ(v.primary, "fnr_pct");
  EXPECT_EQ(v.primary_value(), 0.0);
}

TEST(CosmicTask, BuildRejectsMissingOrMisshapenArrays) {
  CosmicTask task;
  const Dataset good = task.MakeSynthetic({.seed = 0, .fraction = 0.005});
  Dataset missing = good;
  missing.arrays.erase("test_sky");
  absl::StatusOr<TaskData> r = task.Build(missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("test_sky"), std::string::npos) << r.status();
  Dataset shaped = good;
  shaped.arrays["train_sky"] = ViewOf(Tensor::Zeros({3}, DType::kFloat64));
  r = task.Build(shaped, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rows"), std::string::npos) << r.status();
}

TEST(CosmicTask, SyntheticCosmicRaysAreSharp) {
  // Learnability: a fixed sharpness rule (pixel minus the mean of its 8 neighbours > 60) finds most
  // cosmic-ray pixels with few false positives, so the mask is predictable from the image.
  CosmicTask task;
  const Dataset data = task.MakeSynthetic({.seed = 8, .fraction = 0.005});
  const ArrayView& x = data.arrays.at("train_x");
  int64_t tp = 0, fn = 0, fp = 0, tn = 0;
  for (int64_t i = 0; i < x.dim(0); ++i) {
    const float* img = x.data<float>() + i * 3 * kP;
    for (int64_t r = 1; r < 127; ++r) {
      for (int64_t c = 1; c < 127; ++c) {
        if (img[2 * kP + r * 128 + c] == 1.f) continue;
        double nb = 0;
        for (int dr = -1; dr <= 1; ++dr) {
          for (int dc = -1; dc <= 1; ++dc) nb += (dr || dc) ? img[(r + dr) * 128 + c + dc] : 0.0;
        }
        const bool pred = img[r * 128 + c] - nb / 8 > 60;
        const bool truth = img[kP + r * 128 + c] == 1.f;
        tp += pred && truth;
        fn += !pred && truth;
        fp += pred && !truth;
        tn += !pred && !truth;
      }
    }
  }
  EXPECT_LT(static_cast<double>(fn) / (tp + fn), 0.35);
  EXPECT_LT(static_cast<double>(fp) / (fp + tn), 0.01);
}

}  // namespace
}  // namespace nb360::tasks
