// Tests for tasks/fsd50k: synthetic data, Build per mode and variant, the training transform, mixing,
// loss, metric wiring and the loader.
#include "tasks/fsd50k/fsd50k.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/common/loader.h"

namespace nb360::tasks {
namespace {

using ::testing::HasSubstr;

std::string Bytes(const ArrayView& v) {
  return std::string(static_cast<const char*>(v.raw), v.numel() * DTypeSize(v.dtype));
}

TEST(Fsd50kInfo, Fields) {
  Fsd50kTask task;
  const TaskInfo& i = task.info();
  EXPECT_EQ(i.name, "fsd50k");
  EXPECT_EQ(i.input_shape, (Shape{1, 96, 101}));
  EXPECT_EQ(i.output_shape, (Shape{200}));
  EXPECT_TRUE(i.multi_label);
  EXPECT_EQ(i.loss, LossKind::kBceWithLogits);
  EXPECT_EQ(i.metric, "one_minus_map");
  EXPECT_EQ(i.batch.wrn, 256);
  EXPECT_EQ(i.batch.darts_search, 32);
  EXPECT_EQ(i.batch.darts_eval, 32);
}

TEST(Fsd50kSynthetic, DeterministicShapesAndStructure) {
  Fsd50kTask task;
  const Dataset a = task.MakeSynthetic({2, 0.0}), b = task.MakeSynthetic({2, 0.0}), c = task.MakeSynthetic({3, 0.0});
  EXPECT_EQ(a.manifest.source, "synthetic");
  ASSERT_EQ(a.arrays.size(), 14u);
  for (const auto& [name, v] : a.arrays) EXPECT_EQ(Bytes(v), Bytes(b.arrays.at(name))) << name;
  EXPECT_NE(Bytes(a.arrays.at("train_spec")), Bytes(c.arrays.at("train_spec")));
  EXPECT_EQ(a.arrays.at("train_labels").dim(0), 600);
  EXPECT_EQ(a.arrays.at("val_labels").dim(0), 68);   // 600 * 4,170 / 36,796
  EXPECT_EQ(a.arrays.at("eval_labels").dim(0), 167);  // 600 * 10,231 / 36,796
  for (const char* s : {"train", "val", "eval"}) {
    const std::string p = s;
    const ArrayView& spec = a.arrays.at(p + "_spec");
    EXPECT_EQ(spec.dtype, DType::kFloat32);
    EXPECT_EQ(spec.dim(1), 96);
    EXPECT_EQ(spec.dim(2), 101);
    const ArrayView& labels = a.arrays.at(p + "_labels");
    EXPECT_EQ(labels.dtype, DType::kUInt8);
    const ArrayView& ids = a.arrays.at(p + "_clip_id");
    for (int64_t i = 1; i < ids.dim(0); ++i) EXPECT_LT(ids.data<int64_t>()[i - 1], ids.data<int64_t>()[i]);
    for (int64_t i = 0; i < labels.dim(0); ++i) {
      int n = 0;
      for (int64_t k = 0; k < 200; ++k) n += labels.data<uint8_t>()[i * 200 + k];
      EXPECT_GE(n, 1);
      EXPECT_LE(n, 3);
    }
    // Every chunk is zero-centred like the real feature.
    double mean = 0;
    for (int64_t k = 0; k < 96 * 101; ++k) mean += spec.data<float>()[k];
    EXPECT_NEAR(mean / (96 * 101), 0.0, 1e-4);
  }
  EXPECT_EQ(task.MakeSynthetic({0, 0.01}).arrays.at("train_labels").dim(0), 368);
}

TEST(Fsd50kBuild, SizesPerModeAndVariant) {
  Fsd50kTask task;
  const Dataset d = task.MakeSynthetic({1, 0.0});
  const int64_t train_clips = d.arrays.at("train_labels").dim(0);
  const int64_t val_chunks = d.arrays.at("val_spec").dim(0), eval_chunks = d.arrays.at("eval_spec").dim(0);
  DataOptions o;
  auto s = task.Build(d, o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->train->size(), train_clips);
  EXPECT_EQ(s->val->size(), val_chunks);
  EXPECT_EQ(s->test->size(), eval_chunks);
  EXPECT_TRUE(s->augment_train);
  EXPECT_FALSE(s->augment_val);
  EXPECT_EQ(s->train->layout().x, (Shape{1, 96, 101}));
  EXPECT_EQ(s->train->layout().y, (Shape{200}));
  EXPECT_EQ(s->train->layout().y_dtype, DType::kFloat32);
  o.mode = RunMode::kRetrain;
  auto r = task.Build(d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->val, nullptr);
  EXPECT_EQ(r->train->size(), train_clips);  // FSD50K keeps its training set in retrain mode
  EXPECT_EQ(r->test->size(), eval_chunks);
  o.variant = DataVariant::kDartsSearch;
  auto v = task.Build(d, o);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->train->layout().x, (Shape{1, 96, 100}));
  EXPECT_EQ(v->test->layout().x, (Shape{1, 96, 100}));
}

struct Read {
  std::vector<float> x;
  std::vector<float> y = std::vector<float>(200);
  int64_t group = -1;
};

Read ReadOne(const SampleSet& set, int64_t i, Generator* rng) {
  Read r;
  r.x.resize(NumElements(set.layout().x));
  SampleOut out;
  out.x = r.x.data();
  out.y = r.y.data();
  out.group = i;
  set.Read(i, rng, &out);
  r.group = out.group;
  return r;
}

TEST(Fsd50kBuild, EvaluationChunksCarryClipAndLabels) {
  Fsd50kTask task;
  const Dataset d = task.MakeSynthetic({1, 0.0});
  auto b = task.Build(d, {});
  DataOptions darts;
  darts.variant = DataVariant::kDartsEval;
  auto e = task.Build(d, darts);
  ASSERT_TRUE(b.ok() && e.ok());
  const int64_t* cc = d.arrays.at("eval_chunk_clip").data<int64_t>();
  const float* spec = d.arrays.at("eval_spec").data<float>();
  const uint8_t* labels = d.arrays.at("eval_labels").data<uint8_t>();
  for (int64_t i : {int64_t{0}, int64_t{5}, b->test->size() - 1}) {
    const Read r = ReadOne(*b->test, i, nullptr);
    EXPECT_EQ(r.group, cc[i]);
    for (int64_t k = 0; k < 200; ++k) ASSERT_EQ(r.y[k], labels[cc[i] * 200 + k]);
    for (int64_t k = 0; k < 96 * 101; ++k) ASSERT_EQ(r.x[k], spec[i * 96 * 101 + k]);
    // DARTS drops the first frame of every row.
    const Read rd = ReadOne(*e->test, i, nullptr);
    for (int64_t m = 0; m < 96; ++m) {
      for (int64_t t = 0; t < 100; ++t) ASSERT_EQ(rd.x[m * 100 + t], r.x[m * 101 + t + 1]);
    }
  }
}

TEST(Fsd50kTransform, PadConstantAndWrap) {
  // One (96, 3) spectrogram with rows [r, r+0.1, r+0.2] (min 0).
  std::vector<float> x(96 * 3);
  for (int r = 0; r < 96; ++r) {
    for (int t = 0; t < 3; ++t) x[r * 3 + t] = r + 0.1f * t;
  }
  const SpecView v{x.data(), 3, 3, SpecMin(x.data(), 3, 3)};
  EXPECT_EQ(v.min_value, 0.0f);
  std::vector<float> out;
  FsdPad(v, 6, /*wrap=*/false, &out);  // offset 1 on the left, 2 on the right
  ASSERT_EQ(out.size(), 96u * 6);
  EXPECT_THAT(std::vector<float>(out.begin() + 6 * 5, out.begin() + 6 * 6),
              ::testing::ElementsAre(0.0f, 5.0f, 5.1f, 5.2f, 0.0f, 0.0f));
  FsdPad(v, 6, /*wrap=*/true, &out);  // np.pad(..., 'wrap'): [c, a, b, c, a, b]
  EXPECT_THAT(std::vector<float>(out.begin() + 6 * 5, out.begin() + 6 * 6),
              ::testing::ElementsAre(5.2f, 5.0f, 5.1f, 5.2f, 5.0f, 5.1f));
  FsdPad(v, 2, true, &out);  // already wide enough: unchanged
  EXPECT_EQ(out, x);
}

TEST(Fsd50kTransform, SpecAugmentAndCropStatistics) {
  // Values 1 + r * 1000 + t: every element distinct and above the minimum (1).
  const int64_t w = 300;
  std::vector<float> x(96 * w);
  for (int64_t r = 0; r < 96; ++r) {
    for (int64_t t = 0; t < w; ++t) x[r * w + t] = 1.0f + r * 1000.0f + t;
  }
  const SpecView v{x.data(), w, w, 1.0f};
  Generator rng(11);
  int augmented = 0;
  std::set<int64_t> starts;
  const int kDraws = 2000;
  for (int n = 0; n < kDraws; ++n) {
    std::vector<float> out(96 * 101);
    FsdTrainTransform(v, 101, &rng, out.data());
    // The crop start is visible in any unmasked element: out = 1 + r*1000 + start + t.
    int64_t start = -1;
    int min_count = 0;
    for (int64_t r = 0; r < 96; ++r) {
      for (int64_t t = 0; t < 101; ++t) {
        const float o = out[r * 101 + t];
        if (o == 1.0f && !(r == 0 && t + start == 0)) {
          ++min_count;
        } else if (start < 0) {
          start = static_cast<int64_t>(o - 1.0f - r * 1000.0f) - t;
        } else {
          ASSERT_EQ(o, 1.0f + r * 1000.0f + start + t);
        }
      }
    }
    ASSERT_GE(start, 0);
    ASSERT_LE(start, w - 101);
    starts.insert(start);
    if (min_count > 0) ++augmented;
    // At most 2 masks of <= int(0.15 * 96) = 14 bins and <= int(0.2 * 300) = 59 frames.
    ASSERT_LE(min_count, 2 * 14 * 101 + 2 * 59 * 96);
  }
  // SpecAugment with p = 0.5 (a few masks have zero width, so slightly fewer are visible).
  EXPECT_GT(augmented, kDraws * 0.40);
  EXPECT_LT(augmented, kDraws * 0.55);
  EXPECT_GT(starts.size(), 150u);  // crop offsets cover [0, 199]
}

// A dataset whose chunks are all 0 and whose one noise spectrogram is all 1: a training read is
// alpha everywhere when mixed (alpha ~ U(0, 0.5)), else 0.
Dataset ConstantDataset() {
  std::map<std::string, Tensor> a;
  for (const char* s : {"train", "val", "eval"}) {
    const std::string p = s;
    a[p + "_spec"] = Tensor::Zeros({3, 96, 101});
    a[p + "_chunk_clip"] = Tensor::FromVector<int64_t>({0, 0, 1}, {3});
    a[p + "_clip_id"] = Tensor::FromVector<int64_t>({7, 9}, {2});
    Tensor l = Tensor::Zeros({2, 200}, DType::kUInt8);
    l.data<uint8_t>()[3] = 1;
    l.data<uint8_t>()[200 + 150] = 1;
    a[p + "_labels"] = l;
  }
  a["noise_spec"] = Tensor::Ones({96, 120});
  a["noise_offsets"] = Tensor::FromVector<int64_t>({0, 120}, {2});
  return InMemoryDataset({"fsd50k", "real", "constant"}, a);
}

TEST(Fsd50kBuild, BackgroundMixingProbabilityAndAlpha) {
  Fsd50kTask task;
  auto td = task.Build(ConstantDataset(), {});
  ASSERT_TRUE(td.ok()) << td.status();
  int mixed = 0;
  double alpha_sum = 0;
  const int kDraws = 2000;
  for (int n = 0; n < kDraws; ++n) {
    Generator rng(100 + n);
    const Read r = ReadOne(*td->train, n % 2, &rng);
    EXPECT_EQ(r.group, n % 2);
    EXPECT_EQ(r.y[n % 2 == 0 ? 3 : 150], 1.0f);
    const float a = r.x[0];
    for (float v : r.x) ASSERT_EQ(v, a);
    ASSERT_GE(a, 0.0f);
    ASSERT_LT(a, 0.5f);
    if (a > 0) {
      ++mixed;
      alpha_sum += a;
    }
  }
  EXPECT_NEAR(static_cast<double>(mixed) / kDraws, 0.75, 0.04);
  EXPECT_NEAR(alpha_sum / mixed, 0.25, 0.02);
  // Without augmentation: the clip's first chunk, unchanged.
  const Read plain = ReadOne(*td->train, 1, nullptr);
  for (float v : plain.x) ASSERT_EQ(v, 0.0f);
}

TEST(Fsd50kBuild, RandomChunkOfTheClip) {
  // Clip 0 has chunks 0 and 1 (values 10 and 20), no noise weight when alpha is tiny: check both appear.
  Dataset d = ConstantDataset();
  Tensor spec = Tensor::Zeros({3, 96, 101});
  for (int64_t k = 0; k < 96 * 101; ++k) {
    spec.data<float>()[k] = 10;
    spec.data<float>()[96 * 101 + k] = 20;
  }
  d.arrays["train_spec"] = ViewOf(spec);
  Fsd50kTask task;
  auto td = task.Build(d, {});
  ASSERT_TRUE(td.ok());
  std::set<int> seen;
  for (int n = 0; n < 200; ++n) {
    Generator rng(n);
    const Read r = ReadOne(*td->train, 0, &rng);
    // mixed value (1 - a) * c + a in (c / 2, c]: tells the chunk apart.
    seen.insert(r.x[50] > 10.5f ? 20 : 10);
  }
  EXPECT_EQ(seen, (std::set<int>{10, 20}));
}

TEST(Fsd50kObjective, BceMeanAndPerfectMetric) {
  Fsd50kTask task;
  const Dataset d = task.MakeSynthetic({4, 0.0});
  auto td = task.Build(d, {});
  ASSERT_TRUE(td.ok());
  Batch b;
  b.y = Tensor::Zeros({2, 200});
  b.y.data<float>()[7] = 1;
  // Logits 0 everywhere: BCE = ln 2 per element, mean = ln 2.
  EXPECT_NEAR(td->objective->Loss(Tensor::Zeros({2, 200}), b).item(), std::log(2.0), 1e-6);

  Loader loader(td->test, {.batch_size = 16, .num_workers = 0});
  std::unique_ptr<Metric> metric = td->objective->NewMetric(Split::kTest);
  loader.StartEpoch(0);
  Batch batch;
  int64_t chunks = 0;
  while (loader.Next(&batch)) {
    ASSERT_EQ(batch.x.shape(), (Shape{batch.size(), 1, 96, 101}));
    ASSERT_EQ(batch.y.shape(), (Shape{batch.size(), 200}));
    Tensor logits = Tensor::Empty({batch.size(), 200});
    for (int64_t k = 0; k < batch.size() * 200; ++k) logits.data<float>()[k] = batch.y.data<float>()[k] > 0 ? 10 : -10;
    metric->Add(logits, batch);
    chunks += batch.size();
  }
  EXPECT_EQ(chunks, d.arrays.at("eval_spec").dim(0));
  std::set<int64_t> classes_with_positives;
  const ArrayView& l = d.arrays.at("eval_labels");
  for (int64_t k = 0; k < l.numel(); ++k) {
    if (l.data<uint8_t>()[k]) classes_with_positives.insert(k % 200);
  }
  const MetricValues v = metric->Result();
  EXPECT_EQ(v.primary, "one_minus_map");
  // AP is 1 for every class with a positive clip and 0 (scikit-learn 1.2) for the others.
  EXPECT_NEAR(v.primary_value(), 1.0 - classes_with_positives.size() / 200.0, 1e-9);
  EXPECT_EQ(v.values.at("clips"), l.dim(0));
}

TEST(Fsd50kBuild, LoaderIsDeterministic) {
  Fsd50kTask task;
  auto td = task.Build(task.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(td.ok());
  LoaderOptions o{.batch_size = 8, .shuffle = true, .drop_last = true, .augment = true, .seed = 3, .num_workers = 0};
  Loader a(td->train, o), b(td->train, o);
  a.StartEpoch(2);
  b.StartEpoch(2);
  Batch x, y;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a.Next(&x) && b.Next(&y));
    EXPECT_EQ(x.x.ToVector<float>(), y.x.ToVector<float>());
    EXPECT_EQ(x.group, y.group);
  }
}

TEST(Fsd50kBuild, RejectsBrokenDatasets) {
  Fsd50kTask task;
  Dataset d = ConstantDataset();
  d.arrays.erase("noise_offsets");
  EXPECT_THAT(task.Build(d, {}).status().message(), HasSubstr("no array 'noise_offsets'"));
  d = ConstantDataset();
  d.arrays["eval_chunk_clip"] = ViewOf(Tensor::FromVector<int64_t>({0, 2, 2}, {3}));
  EXPECT_THAT(task.Build(d, {}).status().message(), HasSubstr("'eval_chunk_clip'[1] = 2 after 0"));
  d = ConstantDataset();
  Tensor bad = Tensor::Zeros({2, 200}, DType::kUInt8);
  bad.data<uint8_t>()[205] = 3;
  d.arrays["val_labels"] = ViewOf(bad);
  EXPECT_THAT(task.Build(d, {}).status().message(), HasSubstr("'val_labels'[1, 5] = 3, expected 0 or 1"));
  d = ConstantDataset();
  d.arrays["train_spec"] = ViewOf(Tensor::Zeros({3, 96, 100}));
  EXPECT_THAT(task.Build(d, {}).status().message(),
              HasSubstr("array 'train_spec' is float32[3, 96, 100], expected float32(n, 96, 101)"));
}

}  // namespace
}  // namespace nb360::tasks

namespace nb360::tasks {
namespace {

// Class c lives in mel rows 2 (c % 48) .. +1 with on/off period kPeriods[c / 48]: score each class by
// the energy of its band at its period, on augmented training reads (transform + noise mixing).
TEST(Fsd50kSynthetic, LabelsVisibleThroughTheTrainingTransform) {
  Fsd50kTask task;
  auto td = task.Build(task.MakeSynthetic({5, 0.0}), {});
  ASSERT_TRUE(td.ok());
  constexpr int64_t kPeriods[5] = {4, 6, 8, 12, 16};
  std::unique_ptr<Metric> metric = td->objective->NewMetric(Split::kTrain);
  const int64_t n = td->train->size();
  Batch batch;
  batch.y = Tensor::Empty({n, 200});
  Tensor logits = Tensor::Empty({n, 200});
  for (int64_t i = 0; i < n; ++i) {
    Generator rng(1000 + i);
    const Read r = ReadOne(*td->train, i, &rng);
    double row_mean = 0;
    for (float v : r.x) row_mean += v;
    row_mean /= r.x.size();
    for (int64_t c = 0; c < 200; ++c) {
      const int64_t band = 2 * (c % 48), p = kPeriods[c / 48];
      // |DFT| of the band at frequency 1 / p (on/off pattern) plus the band's level.
      double re = 0, im = 0, level = 0;
      for (int64_t m = band; m < band + 2; ++m) {
        for (int64_t t = 0; t < 101; ++t) {
          const double v = r.x[m * 101 + t] - row_mean;
          re += v * std::cos(2 * M_PI * t / p);
          im += v * std::sin(2 * M_PI * t / p);
          level += v;
        }
      }
      logits.data<float>()[i * 200 + c] = static_cast<float>(std::hypot(re, im) / 202 + 0.1 * level / 202);
    }
    std::copy(r.y.begin(), r.y.end(), batch.y.data<float>() + i * 200);
    batch.index.push_back(i);
    batch.group.push_back(i);
  }
  metric->Add(logits, batch);
  const double map = metric->Result().values.at("map");
  std::printf("band/period template mAP on augmented synthetic training reads: %.3f\n", map);
  EXPECT_GT(map, 0.3);  // chance is about the label density (~1 %)
}

}  // namespace
}  // namespace nb360::tasks
