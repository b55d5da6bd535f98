// tests/tasks/common/metrics_test.cc: the streaming task metrics against goldens
// (tests/tasks/golden/make_metric_golden.py) fed in several batches, plus the §14 toy checks.
#include "tasks/common/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "engine/io/npy.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

Tensor Golden(const std::string& name) {
  absl::StatusOr<Tensor> t = io::ReadNpy("tests/tasks/golden/data/metric_" + name + ".npy");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}

std::vector<double> GoldenVector(const std::string& name) { return Golden(name).ToVector<double>(); }

void ExpectRel(double a, double b, double rel, const std::string& what) {
  if (std::isnan(b)) {
    EXPECT_TRUE(std::isnan(a)) << what << ": expected NaN, got " << a;
    return;
  }
  EXPECT_LE(std::fabs(a - b), rel * std::fabs(b) + 1e-300) << what << ": got " << a << ", expected " << b;
}

// Rows `rows` of t (any rank), as a fresh contiguous tensor.
Tensor Rows(const Tensor& t, const std::vector<int64_t>& rows) {
  Shape shape = t.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out = Tensor::Empty(shape, t.dtype());
  for (size_t i = 0; i < rows.size(); ++i) out.Select(0, i).CopyFrom(t.Select(0, rows[i]));
  return out;
}

// Splits rows `order` into batches of `batch_size`: Batch with y = y[rows], index = rows, and
// group = group[rows] when given.
struct Split {
  std::vector<Tensor> outputs;
  std::vector<Batch> batches;
};

Split MakeBatches(const Tensor& output, const Tensor& y, const std::vector<int64_t>& order,
                  int64_t batch_size, const std::vector<int64_t>& group = {}) {
  Split s;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    const size_t end = std::min(order.size(), start + batch_size);
    std::vector<int64_t> rows(order.begin() + start, order.begin() + end);
    Batch b;
    b.y = Rows(y, rows);
    b.index = rows;
    for (int64_t r : rows) b.group.push_back(group.empty() ? r : group[r]);
    s.outputs.push_back(Rows(output, rows));
    s.batches.push_back(b);
  }
  return s;
}

std::vector<int64_t> Iota(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// A fixed permutation of 0..n-1 (reversed odd positions then even ones).
std::vector<int64_t> Shuffled(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t i = n - 1; i >= 0; i -= 2) v.push_back(i);
  for (int64_t i = n % 2 == 0 ? 0 : 1; i < n; i += 2) {
    if (std::find(v.begin(), v.end(), i) == v.end()) v.push_back(i);
  }
  for (int64_t i = 0; i < n; ++i) {
    if (std::find(v.begin(), v.end(), i) == v.end()) v.push_back(i);
  }
  return v;
}

MetricValues RunAll(Metric* m, const Split& s) {
  for (size_t i = 0; i < s.batches.size(); ++i) m->Add(s.outputs[i], s.batches[i]);
  return m->Result();
}

TEST(MetricsTest, ClassificationTopOneAndTopFive) {
  const Tensor logits = Golden("cls_logits");
  const Tensor labels = Golden("cls_labels");
  const auto expected = GoldenVector("cls_expected");
  ClassificationMetric m;
  const MetricValues r = RunAll(&m, MakeBatches(logits, labels, Iota(logits.size(0)), 10));
  EXPECT_EQ(r.primary, "error_pct");
  EXPECT_TRUE(r.lower_is_better);
  ExpectRel(r.values.at("accuracy_pct"), expected[0], 1e-12, "top1");
  ExpectRel(r.values.at("top5_accuracy_pct"), expected[1], 1e-12, "top5");
  ExpectRel(r.primary_value(), 100.0 - expected[0], 1e-12, "error");
}

TEST(MetricsTest, EcgRecordVoteF1) {
  const Tensor logits = Golden("ecg_logits");
  const Tensor labels = Golden("ecg_labels");
  const std::vector<int64_t> pids = Golden("ecg_pids").ToVector<int64_t>();
  const auto expected = GoldenVector("ecg_expected");  // f1, f1_window, per-class f1
  const int64_t n = logits.size(0);
  // In dataset order, and shuffled across batches: the vote uses dataset order either way.
  for (const auto& order : {Iota(n), Shuffled(n)}) {
    EcgMetric m;
    const MetricValues r = RunAll(&m, MakeBatches(logits, labels, order, 16, pids));
    EXPECT_EQ(r.primary, "one_minus_f1");
    ExpectRel(r.values.at("f1"), expected[0], 1e-12, "record f1");
    ExpectRel(r.primary_value(), 1.0 - expected[0], 1e-12, "1 - f1");
    ExpectRel(r.values.at("f1_window"), expected[1], 1e-12, "window f1");
    for (int c = 0; c < 4; ++c) {
      ExpectRel(r.values.at("f1_class" + std::to_string(c)), expected[2 + c], 1e-12, "class f1");
    }
    EXPECT_EQ(r.values.at("records"), 40);
  }
}

TEST(MetricsTest, EcgVoteToy) {
  // §14: one record whose windows predict [2, 1, 1, 2] is voted 2.
  std::vector<float> logits(16, 0.0f);
  const int64_t preds[] = {2, 1, 1, 2};
  for (int i = 0; i < 4; ++i) logits[i * 4 + preds[i]] = 1.0f;
  Batch b;
  b.y = Tensor::FromVector<int64_t>({2, 2, 2, 2}, {4});
  b.index = {0, 1, 2, 3};
  b.group = {5, 5, 5, 5};
  EcgMetric m;
  m.Add(Tensor::FromVector<float>(logits, {4, 4}), b);
  const MetricValues r = m.Result();
  EXPECT_DOUBLE_EQ(r.values.at("f1_class2"), 1.0);
  EXPECT_DOUBLE_EQ(r.values.at("f1"), 0.25);  // classes 0, 1, 3 absent: F1 0 each
}

TEST(MetricsTest, FsdClipMeanAveragePrecision) {
  const Tensor logits = Golden("fsd_logits");
  const Tensor labels = Golden("fsd_labels");
  const std::vector<int64_t> clips = Golden("fsd_clip_ids").ToVector<int64_t>();
  const auto expected = GoldenVector("fsd_expected");  // map, mauc
  const int64_t n = logits.size(0);
  for (const auto& order : {Iota(n), Shuffled(n)}) {
    FsdClipMetric m;
    const MetricValues r = RunAll(&m, MakeBatches(logits, labels, order, 7, clips));
    EXPECT_EQ(r.primary, "one_minus_map");
    ExpectRel(r.values.at("map"), expected[0], 1e-12, "map");
    ExpectRel(r.primary_value(), 1.0 - expected[0], 1e-12, "1 - map");
    ExpectRel(r.values.at("mauc"), expected[1], 1e-12, "mauc");
    EXPECT_EQ(r.values.at("auc_undefined_classes"), 2);
    EXPECT_EQ(r.values.at("clips"), 30);
  }
}

TEST(MetricsTest, DeepSeaMeanAuroc) {
  const Tensor logits = Golden("deepsea_logits");
  const Tensor labels = Golden("deepsea_labels");
  const auto expected = GoldenVector("deepsea_expected");  // mauc, map
  MultiLabelAucMetric m;
  const MetricValues r = RunAll(&m, MakeBatches(logits, labels, Iota(logits.size(0)), 16));
  EXPECT_EQ(r.primary, "one_minus_auroc");
  ExpectRel(r.values.at("mauc"), expected[0], 1e-12, "mauc");
  ExpectRel(r.primary_value(), 1.0 - expected[0], 1e-12, "1 - auroc");
  ExpectRel(r.values.at("map"), expected[1], 1e-12, "map");
}

TEST(MetricsTest, CosmicCounts) {
  const Tensor logits = Golden("cosmic_logits");
  const Tensor mask = Golden("cosmic_mask");
  const Tensor ignore = Golden("cosmic_ignore");
  const auto e = GoldenVector("cosmic_expected");  // tp tn fp fn tpr fpr 1-auroc tp_m tn_m fp_m fn_m
  Split s = MakeBatches(logits, mask, Iota(logits.size(0)), 2);
  for (Batch& b : s.batches) b.aux = Rows(ignore, b.index);
  CosmicMetric m;
  const MetricValues r = RunAll(&m, s);
  EXPECT_EQ(r.primary, "fnr_pct");
  const double fnr = e[3] / (e[0] + e[3]);
  ExpectRel(r.primary_value(), 100.0 * fnr, 1e-12, "fnr_pct");
  ExpectRel(r.values.at("tpr"), e[4], 1e-12, "tpr");
  ExpectRel(r.values.at("fpr"), e[5], 1e-12, "fpr");
  ExpectRel(r.values.at("one_minus_auroc_binary"), e[6], 1e-12, "1 - auroc");
  ExpectRel(r.values.at("fnr_pct_masked"), 100.0 * e[10] / (e[7] + e[10]), 1e-12, "fnr masked");
  ExpectRel(r.values.at("fpr_masked"), e[9] / (e[9] + e[8]), 1e-12, "fpr masked");
}

TEST(MetricsTest, PsicovTestModeMatchesSpecReference) {
  const Tensor pred = Golden("psicov_pred");
  const Tensor truth = Golden("psicov_truth");
  const std::vector<int64_t> lengths = Golden("psicov_lengths").ToVector<int64_t>();
  const auto expected = GoldenVector("psicov_expected_mean");
  Split s = MakeBatches(pred, truth, Iota(pred.size(0)), 2);
  for (Batch& b : s.batches) {
    for (int64_t i : b.index) b.extra.push_back(lengths[i]);
  }
  PsicovMetric m(PsicovMetric::Mode::kTest);
  const MetricValues r = RunAll(&m, s);
  EXPECT_EQ(r.primary, "mae8");
  ExpectRel(r.values.at("mae8"), expected[0], 1e-12, "mae8");
  ExpectRel(r.values.at("mlr8"), expected[1], 1e-12, "mlr8");
  ExpectRel(r.values.at("mae12"), expected[2], 1e-12, "mae12");
  ExpectRel(r.values.at("mlr12"), expected[3], 1e-12, "mlr12");
  EXPECT_EQ(r.values.at("proteins"), 5);
  EXPECT_EQ(r.values.at("proteins_without_pairs"), 2);
}

TEST(MetricsTest, PsicovValidationModeIsMeanOfBatchMeans) {
  PsicovMetric m(PsicovMetric::Mode::kValidation);
  Batch b1, b2;
  b1.y = Tensor::Zeros({2, 1, 2, 2});
  b1.index = {0, 1};
  b2.y = Tensor::Zeros({1, 1, 2, 2});
  b2.index = {2};
  m.Add(Tensor::Full({2, 1, 2, 2}, 1.0), b1);   // batch MAE 1
  m.Add(Tensor::Full({1, 1, 2, 2}, -4.0), b2);  // batch MAE 4
  const MetricValues r = m.Result();
  EXPECT_EQ(r.primary, "mae");
  EXPECT_DOUBLE_EQ(r.primary_value(), 2.5);  // not the per-pixel mean 2
  EXPECT_DOUBLE_EQ(r.values.at("mse"), 8.5);
}

TEST(MetricsTest, DarcyMatchesGolden) {
  const UnitGaussianNormalizer g = UnitGaussianNormalizer::Fit(Golden("darcy_train_y"));
  const Tensor pred = Golden("darcy_pred");     // (13, 1, 6, 6) encoded
  const Tensor test_y = Golden("darcy_test_y");  // (13, 6, 6) raw
  const auto expected = GoldenVector("darcy_expected");  // batch-mean (batch 4), per-sample mean
  DarcyMetric m(g);
  const MetricValues r = RunAll(&m, MakeBatches(pred, test_y, Iota(13), 4));
  EXPECT_EQ(r.primary, "rel_l2");
  // float32 decode may differ from NumPy's by an ulp (fused multiply-add): 1e-6 relative.
  ExpectRel(r.primary_value(), expected[0], 1e-6, "rel_l2");
  ExpectRel(r.values.at("rel_l2_per_sample"), expected[1], 1e-6, "rel_l2_per_sample");
}

TEST(MetricsTest, DarcyBatchMeanVersusPerSampleMean) {
  // §14: with the identity normalizer, prediction (1 + r_n) y has rel = r_n. Batch 8 on 100 samples
  // (12 x 8 + 4) is not the per-sample mean; batch 4 is.
  std::map<std::string, Tensor> t = {{"mean", Tensor::Zeros({3, 3})},
                                     {"std", Tensor::Ones({3, 3})},
                                     {"eps", Tensor::FromVector<double>({0.0}, {1})}};
  absl::StatusOr<UnitGaussianNormalizer> identity = UnitGaussianNormalizer::LoadFrom("", t);
  ASSERT_TRUE(identity.ok()) << identity.status();
  const int64_t n = 100;
  std::vector<float> y(n * 9), p(n * 9);
  std::vector<double> rel(n);
  for (int64_t i = 0; i < n; ++i) {
    rel[i] = (i % 10) / 8.0;  // exact in float32
    for (int64_t j = 0; j < 9; ++j) {
      y[i * 9 + j] = 1.0f + j;
      p[i * 9 + j] = static_cast<float>((1.0 + rel[i]) * (1.0 + j));
    }
  }
  const Tensor yt = Tensor::FromVector<float>(y, {n, 3, 3});
  const Tensor pt = Tensor::FromVector<float>(p, {n, 1, 3, 3});
  const double per_sample = std::accumulate(rel.begin(), rel.end(), 0.0) / n;
  for (int64_t bs : {8, 4}) {
    double batch_means = 0.0;
    int64_t batches = 0;
    for (int64_t s = 0; s < n; s += bs) {
      const int64_t e = std::min(n, s + bs);
      batch_means += std::accumulate(rel.begin() + s, rel.begin() + e, 0.0) / (e - s);
      ++batches;
    }
    DarcyMetric m(*identity);
    const MetricValues r = RunAll(&m, MakeBatches(pt, yt, Iota(n), bs));
    EXPECT_NEAR(r.primary_value(), batch_means / batches, 1e-12) << "batch " << bs;
    EXPECT_NEAR(r.values.at("rel_l2_per_sample"), per_sample, 1e-12);
    if (bs == 8) {
      EXPECT_GT(std::fabs(r.primary_value() - per_sample), 1e-3);
    } else {
      EXPECT_NEAR(r.primary_value(), per_sample, 1e-12);
    }
  }
  // ŷ = 2y: rel = 1 exactly.
  DarcyMetric twice(*identity);
  Batch b;
  b.y = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3});
  b.index = {0};
  twice.Add(Tensor::FromVector<float>({2, 4, 6, 8, 10, 12, 14, 16, 18}, {1, 3, 3}), b);
  EXPECT_DOUBLE_EQ(twice.Result().primary_value(), 1.0);
}

}  // namespace
}  // namespace nb360::tasks
