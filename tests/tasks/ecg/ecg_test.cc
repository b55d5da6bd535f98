// Tests for tasks/ecg: synthetic data, windows, splits, Build, loss, metric wiring, loader, errors.
#include "tasks/ecg/ecg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
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

TEST(EcgInfo, Fields) {
  EcgTask task;
  const TaskInfo& i = task.info();
  EXPECT_EQ(i.name, "ecg");
  EXPECT_EQ(i.input_shape, (Shape{1, 1000}));
  EXPECT_EQ(i.output_shape, (Shape{4}));
  EXPECT_EQ(i.num_classes, 4);
  EXPECT_EQ(i.loss, LossKind::kCrossEntropy);
  EXPECT_EQ(i.metric, "one_minus_f1");
  EXPECT_TRUE(i.one_d);
  EXPECT_EQ(i.batch.wrn, 256);
  EXPECT_EQ(i.batch.darts_search, 128);
  EXPECT_EQ(i.batch.darts_eval, 180);
}

TEST(EcgWindows, StridesAndStarts) {
  EXPECT_EQ(EcgStride(0), 500);
  EXPECT_EQ(EcgStride(1), 83);
  EXPECT_EQ(EcgStride(2), 250);
  EXPECT_EQ(EcgStride(3), 25);
  EXPECT_TRUE(EcgWindowStarts(999, 500).empty());
  EXPECT_TRUE(EcgWindowStarts(1000, 500).empty());
  EXPECT_EQ(EcgWindowStarts(1001, 500), (std::vector<int64_t>{0}));
  EXPECT_EQ(EcgWindowStarts(1500, 500), (std::vector<int64_t>{0}));  // start 500 is not < 500
  EXPECT_EQ(EcgWindowStarts(1501, 500), (std::vector<int64_t>{0, 500}));
  // #windows = ceil((len - 1000) / s) for len > 1000.
  for (int64_t len : {1001, 2000, 3083, 9000, 18286}) {
    for (int64_t label = 0; label < 4; ++label) {
      const int64_t s = EcgStride(label);
      EXPECT_EQ(static_cast<int64_t>(EcgWindowStarts(len, s).size()), (len - 1000 + s - 1) / s);
    }
  }
}

TEST(EcgSplits, RealSizesPartitionTheRecords) {
  const EcgRecordSplits search = EcgSplitRecords(8528, RunMode::kSearch);
  EXPECT_EQ(search.train.size(), 6822u);
  EXPECT_EQ(search.val.size(), 853u);
  EXPECT_EQ(search.test.size(), 853u);
  std::set<int64_t> all(search.train.begin(), search.train.end());
  all.insert(search.val.begin(), search.val.end());
  all.insert(search.test.begin(), search.test.end());
  EXPECT_EQ(all.size(), 8528u);
  const EcgRecordSplits retrain = EcgSplitRecords(8528, RunMode::kRetrain);
  EXPECT_EQ(retrain.train.size(), 7675u);
  EXPECT_TRUE(retrain.val.empty());
  EXPECT_EQ(retrain.test.size(), 853u);
  // The retrain test records are a different subset from the search test records.
  EXPECT_NE(std::set<int64_t>(retrain.test.begin(), retrain.test.end()),
            std::set<int64_t>(search.test.begin(), search.test.end()));
}

TEST(EcgLabels, Mapping) {
  EXPECT_EQ(EcgLabelIndex("N"), 0);
  EXPECT_EQ(EcgLabelIndex("A"), 1);
  EXPECT_EQ(EcgLabelIndex("O"), 2);
  EXPECT_EQ(EcgLabelIndex("~"), 3);
  EXPECT_EQ(EcgLabelIndex("X"), -1);
}

TEST(EcgSynthetic, DeterministicShapesAndRanges) {
  EcgTask task;
  const Dataset a = task.MakeSynthetic({3, 0.0});
  const Dataset b = task.MakeSynthetic({3, 0.0});
  const Dataset c = task.MakeSynthetic({4, 0.0});
  EXPECT_EQ(a.manifest.source, "synthetic");
  for (const char* name : {"samples", "offsets", "labels"}) {
    EXPECT_EQ(Bytes(a.arrays.at(name)), Bytes(b.arrays.at(name))) << name;
  }
  EXPECT_NE(Bytes(a.arrays.at("samples")), Bytes(c.arrays.at("samples")));
  const ArrayView& labels = a.arrays.at("labels");
  const ArrayView& offsets = a.arrays.at("offsets");
  const ArrayView& samples = a.arrays.at("samples");
  ASSERT_EQ(labels.dtype, DType::kInt64);
  ASSERT_EQ(offsets.dtype, DType::kInt64);
  ASSERT_EQ(samples.dtype, DType::kFloat32);
  const int64_t n = labels.dim(0);
  EXPECT_EQ(n, 200);
  ASSERT_EQ(offsets.dim(0), n + 1);
  EXPECT_EQ(offsets.data<int64_t>()[n], samples.dim(0));
  std::set<int64_t> classes;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t len = offsets.data<int64_t>()[r + 1] - offsets.data<int64_t>()[r];
    EXPECT_GE(len, 1500);
    EXPECT_LE(len, 6000);
    classes.insert(labels.data<int64_t>()[r]);
  }
  EXPECT_EQ(classes, (std::set<int64_t>{0, 1, 2, 3}));
  for (int64_t k = 0; k < 1000; ++k) {
    const float v = samples.data<float>()[k];
    EXPECT_EQ(v, std::round(v));  // integer ADC values, like the real records
  }
  EXPECT_EQ(task.MakeSynthetic({0, 0.1}).arrays.at("labels").dim(0), 853);
}

// Windows expected for some records, in record order.
int64_t CountWindows(const Dataset& d, const std::vector<int64_t>& records) {
  int64_t n = 0;
  const int64_t* off = d.arrays.at("offsets").data<int64_t>();
  const int64_t* lab = d.arrays.at("labels").data<int64_t>();
  for (int64_t r : records) n += EcgWindowStarts(off[r + 1] - off[r], EcgStride(lab[r])).size();
  return n;
}

struct Sample {
  std::vector<float> x = std::vector<float>(1000);
  int64_t y = -1;
  int64_t group = -1;
};

Sample ReadSample(const SampleSet& set, int64_t i) {
  Sample s;
  SampleOut out;
  out.x = s.x.data();
  out.y = &s.y;
  out.group = i;
  set.Read(i, nullptr, &out);
  s.group = out.group;
  return s;
}

TEST(EcgBuild, SearchModeSplitsWindowsAndZScore) {
  EcgTask task;
  const Dataset d = task.MakeSynthetic({1, 0.0});
  DataOptions opt;
  opt.mode = RunMode::kSearch;
  absl::StatusOr<TaskData> td = task.Build(d, opt);
  ASSERT_TRUE(td.ok()) << td.status();
  const EcgRecordSplits splits = EcgSplitRecords(200, RunMode::kSearch);
  EXPECT_EQ(splits.train.size(), 160u);
  EXPECT_EQ(splits.val.size(), 20u);
  EXPECT_EQ(splits.test.size(), 20u);
  EXPECT_EQ(td->train->size(), CountWindows(d, splits.train));
  EXPECT_EQ(td->val->size(), CountWindows(d, splits.val));
  EXPECT_EQ(td->test->size(), CountWindows(d, splits.test));
  EXPECT_EQ(td->train->layout().x, (Shape{1, 1000}));
  EXPECT_EQ(td->train->layout().y_dtype, DType::kInt64);

  // Evaluation windows come in record order (the split order), each tagged with its record.
  const int64_t* off = d.arrays.at("offsets").data<int64_t>();
  const int64_t* lab = d.arrays.at("labels").data<int64_t>();
  const float* raw = d.arrays.at("samples").data<float>();
  const int64_t first = splits.test[0];
  const Sample s0 = ReadSample(*td->test, 0);
  EXPECT_EQ(s0.group, first);
  EXPECT_EQ(s0.y, lab[first]);
  // Per-record z-score with population std over the WHOLE record.
  const int64_t len = off[first + 1] - off[first];
  double mean = 0, var = 0;
  for (int64_t k = 0; k < len; ++k) mean += raw[off[first] + k];
  mean /= len;
  for (int64_t k = 0; k < len; ++k) var += (raw[off[first] + k] - mean) * (raw[off[first] + k] - mean);
  const double std = std::sqrt(var / len);
  for (int64_t k : {0, 1, 500, 999}) {
    EXPECT_FLOAT_EQ(s0.x[k], static_cast<float>((raw[off[first] + k] - mean) / std));
  }
  // The second window of that record starts one stride later.
  const int64_t stride = EcgStride(lab[first]);
  if (EcgWindowStarts(len, stride).size() > 1) {
    const Sample s1 = ReadSample(*td->test, 1);
    EXPECT_EQ(s1.group, first);
    EXPECT_FLOAT_EQ(s1.x[0], static_cast<float>((raw[off[first] + stride] - mean) / std));
  }
  // The whole-record z-score: mean ~0 and std ~1 over a record's windows at stride 1000 is not exact,
  // but every training window is finite and the training set covers exactly the training records.
  std::set<int64_t> train_records;
  for (int64_t i = 0; i < td->train->size(); ++i) train_records.insert(ReadSample(*td->train, i).group);
  std::set<int64_t> with_windows;
  for (int64_t r : splits.train) {
    if (!EcgWindowStarts(off[r + 1] - off[r], EcgStride(lab[r])).empty()) with_windows.insert(r);
  }
  EXPECT_EQ(train_records, with_windows);
}

TEST(EcgBuild, TrainingWindowsShuffledOnceBySeed) {
  EcgTask task;
  const Dataset d = task.MakeSynthetic({1, 0.0});
  DataOptions opt;
  opt.seed = 5;
  auto a = task.Build(d, opt);
  auto b = task.Build(d, opt);
  opt.seed = 6;
  auto c = task.Build(d, opt);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  std::vector<int64_t> ga, gb, gc;
  for (int64_t i = 0; i < 50; ++i) {
    ga.push_back(ReadSample(*a->train, i).group);
    gb.push_back(ReadSample(*b->train, i).group);
    gc.push_back(ReadSample(*c->train, i).group);
  }
  EXPECT_EQ(ga, gb);
  EXPECT_NE(ga, gc);
  // Shuffled: not in record order (the split order would give runs of one record).
  const EcgRecordSplits splits = EcgSplitRecords(200, RunMode::kSearch);
  int64_t same_as_unshuffled = 0;
  for (int64_t i = 0; i < 50; ++i) same_as_unshuffled += ga[i] == splits.train[0];
  EXPECT_LT(same_as_unshuffled, 50);
}

TEST(EcgBuild, RetrainModeResplits) {
  EcgTask task;
  const Dataset d = task.MakeSynthetic({1, 0.0});
  DataOptions opt;
  opt.mode = RunMode::kRetrain;
  auto td = task.Build(d, opt);
  ASSERT_TRUE(td.ok()) << td.status();
  EXPECT_EQ(td->val, nullptr);
  const EcgRecordSplits splits = EcgSplitRecords(200, RunMode::kRetrain);
  EXPECT_EQ(splits.train.size(), 180u);
  EXPECT_EQ(splits.test.size(), 20u);
  EXPECT_EQ(td->train->size(), CountWindows(d, splits.train));
  EXPECT_EQ(td->test->size(), CountWindows(d, splits.test));
  EXPECT_FALSE(td->augment_train);
}

TEST(EcgObjective, CrossEntropyValue) {
  EcgTask task;
  auto td = task.Build(task.MakeSynthetic({1, 0.0}), {});
  ASSERT_TRUE(td.ok());
  Batch batch;
  batch.y = Tensor::FromVector<int64_t>({0, 3}, {2});
  // Row 0: uniform logits -> ln 4; row 1: logit 2 on the true class, 0 elsewhere -> ln(e^2 + 3) - 2.
  const Tensor logits = Tensor::FromVector<float>({0, 0, 0, 0, 0, 0, 0, 2}, {2, 4});
  const double expected = 0.5 * (std::log(4.0) + std::log(std::exp(2.0) + 3.0) - 2.0);
  EXPECT_NEAR(td->objective->Loss(logits, batch).item(), expected, 1e-6);
}

TEST(EcgObjective, PerfectPredictionsThroughTheLoader) {
  EcgTask task;
  auto td = task.Build(task.MakeSynthetic({2, 0.0}), {});
  ASSERT_TRUE(td.ok());
  for (Split split : {Split::kVal, Split::kTest}) {
    // num_workers 0: Loader workers started after the consumer took a batch skip one (loader.cc reads
    // next_ when a worker thread starts), which can hang; reported to the loader's author.
    Loader loader(td->split(split), {.batch_size = 64, .num_workers = 0});
    std::unique_ptr<Metric> metric = td->objective->NewMetric(split);
    std::set<int64_t> present;
    loader.StartEpoch(0);
    Batch batch;
    int64_t seen = 0;
    while (loader.Next(&batch)) {
      ASSERT_EQ(batch.x.shape(), (Shape{batch.size(), 1, 1000}));
      Tensor logits = Tensor::Zeros({batch.size(), 4});
      for (int64_t k = 0; k < batch.size(); ++k) {
        const int64_t y = batch.y.data<int64_t>()[k];
        logits.data<float>()[k * 4 + y] = 5.0f;
        present.insert(y);
      }
      metric->Add(logits, batch);
      seen += batch.size();
    }
    EXPECT_EQ(seen, td->split(split)->size());
    const MetricValues v = metric->Result();
    EXPECT_EQ(v.primary, "one_minus_f1");
    // Classes without any record in the split score F1 = 0 (the metric averages all four).
    EXPECT_NEAR(v.primary_value(), 1.0 - present.size() / 4.0, 1e-12);
  }
}

TEST(EcgBuild, LoaderBatchesAreDeterministic) {
  EcgTask task;
  auto td = task.Build(task.MakeSynthetic({2, 0.0}), {});
  ASSERT_TRUE(td.ok());
  LoaderOptions o{.batch_size = 32, .shuffle = true, .drop_last = true, .seed = 9, .num_workers = 0};
  Loader a(td->train, o), b(td->train, o);
  a.StartEpoch(1);
  b.StartEpoch(1);
  Batch x, y;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a.Next(&x));
    ASSERT_TRUE(b.Next(&y));
    EXPECT_EQ(x.x.ToVector<float>(), y.x.ToVector<float>());
    EXPECT_EQ(x.y.ToVector<int64_t>(), y.y.ToVector<int64_t>());
    EXPECT_EQ(x.group, y.group);
  }
}

Dataset Broken(const std::string& which) {
  std::vector<float> samples(3000 * 12, 1.0f);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<float>(i % 7);
  std::vector<int64_t> offsets(13), labels(12);
  for (int i = 0; i <= 12; ++i) offsets[i] = 3000 * i;
  for (int i = 0; i < 12; ++i) labels[i] = i % 4;
  std::map<std::string, Tensor> arrays = {{"samples", Tensor::FromVector(samples, {36000})},
                                          {"offsets", Tensor::FromVector(offsets, {13})},
                                          {"labels", Tensor::FromVector(labels, {12})}};
  if (which == "missing") arrays.erase("offsets");
  if (which == "dtype") arrays["labels"] = Tensor::Zeros({12}, DType::kInt32);
  if (which == "label") {
    labels[5] = 4;
    arrays["labels"] = Tensor::FromVector(labels, {12});
  }
  if (which == "offsets") {
    offsets[12] = 35000;
    arrays["offsets"] = Tensor::FromVector(offsets, {13});
  }
  if (which == "nan") {
    samples[40] = std::nanf("");
    arrays["samples"] = Tensor::FromVector(samples, {36000});
  }
  return InMemoryDataset({"ecg", "real", "test"}, arrays);
}

TEST(EcgBuild, RejectsBrokenDatasets) {
  EcgTask task;
  EXPECT_TRUE(task.Build(Broken("none"), {}).ok());
  EXPECT_THAT(task.Build(Broken("missing"), {}).status().message(), HasSubstr("no array 'offsets'"));
  EXPECT_THAT(task.Build(Broken("dtype"), {}).status().message(), HasSubstr("array 'labels' is int32"));
  EXPECT_THAT(task.Build(Broken("label"), {}).status().message(), HasSubstr("labels[5] = 4 outside [0, 4)"));
  EXPECT_THAT(task.Build(Broken("offsets"), {}).status().message(), HasSubstr("offsets run from 0 to 35000"));
  EXPECT_THAT(task.Build(Broken("nan"), {}).status().message(), HasSubstr("record 0 has non-finite"));
}

}  // namespace
}  // namespace nb360::tasks

namespace nb360::tasks {
namespace {

// Autocorrelation of a window at lags 5, 10, ..., 300 (the rhythm) plus the mean squared first
// difference (the noise): enough for a nearest-centroid classifier on the synthetic classes.
std::vector<double> RhythmFeatures(const std::vector<float>& x) {
  std::vector<double> f;
  for (int lag = 5; lag <= 300; lag += 5) {
    double s = 0;
    for (int k = 0; k + lag < 1000; ++k) s += x[k] * x[k + lag];
    f.push_back(s / (1000 - lag));
  }
  double d = 0;
  for (int k = 1; k < 1000; ++k) d += (x[k] - x[k - 1]) * (x[k] - x[k - 1]);
  f.push_back(d / 999);
  return f;
}

TEST(EcgSynthetic, LearnableByNearestCentroid) {
  EcgTask task;
  auto td = task.Build(task.MakeSynthetic({7, 0.05}), {});  // 426 records
  ASSERT_TRUE(td.ok());
  std::vector<std::vector<double>> centroid(4);
  std::vector<int64_t> count(4, 0);
  for (int64_t i = 0; i < td->train->size(); i += 3) {
    const Sample s = ReadSample(*td->train, i);
    const std::vector<double> f = RhythmFeatures(s.x);
    if (centroid[s.y].empty()) centroid[s.y].assign(f.size(), 0.0);
    for (size_t k = 0; k < f.size(); ++k) centroid[s.y][k] += f[k];
    ++count[s.y];
  }
  for (int c = 0; c < 4; ++c) {
    ASSERT_GT(count[c], 0);
    for (double& v : centroid[c]) v /= count[c];
  }
  std::unique_ptr<Metric> metric = td->objective->NewMetric(Split::kTest);
  Batch batch;
  const int64_t n = td->test->size();
  batch.y = Tensor::Empty({n}, DType::kInt64);
  Tensor logits = Tensor::Zeros({n, 4});
  for (int64_t i = 0; i < n; ++i) {
    const Sample s = ReadSample(*td->test, i);
    const std::vector<double> f = RhythmFeatures(s.x);
    for (int c = 0; c < 4; ++c) {
      double d = 0;
      for (size_t k = 0; k < f.size(); ++k) d += (f[k] - centroid[c][k]) * (f[k] - centroid[c][k]);
      logits.data<float>()[i * 4 + c] = static_cast<float>(-d);
    }
    batch.y.data<int64_t>()[i] = s.y;
    batch.index.push_back(i);
    batch.group.push_back(s.group);
  }
  metric->Add(logits, batch);
  const MetricValues v = metric->Result();
  std::printf("nearest-centroid record macro-F1 %.3f over %.0f records\n", v.values.at("f1"), v.values.at("records"));
  // Chance macro-F1 is about 0.25; the synthetic rhythms separate far better.
  EXPECT_GT(v.values.at("f1"), 0.5) << "records " << v.values.at("records");
}

}  // namespace
}  // namespace nb360::tasks
