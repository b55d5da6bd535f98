// tests/tasks/common/metric_math_test.cc: metric formulas against scikit-learn goldens
// (tests/tasks/golden/make_metric_golden.py) and the toy checks of tasks spec §14.
#include "tasks/common/metric_math.h"

#include <cmath>
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

template <class T>
std::vector<T> GoldenVector(const std::string& name) {
  return Golden(name).ToVector<T>();
}

// |a - b| <= rel * |b| (or both NaN).
void ExpectRel(double a, double b, double rel, const std::string& what) {
  if (std::isnan(b)) {
    EXPECT_TRUE(std::isnan(a)) << what << ": expected NaN, got " << a;
    return;
  }
  EXPECT_LE(std::fabs(a - b), rel * std::fabs(b) + 1e-300) << what << ": got " << a << ", expected " << b;
}

TEST(MetricMathTest, AveragePrecisionAndRocAucMatchScikitLearn) {
  const auto scores = GoldenVector<double>("bin_scores");
  const auto labels = GoldenVector<int64_t>("bin_labels");
  const auto offsets = GoldenVector<int64_t>("bin_offsets");
  const auto ap = GoldenVector<double>("bin_ap");
  const auto auc = GoldenVector<double>("bin_auc");
  ASSERT_EQ(offsets.size(), ap.size() + 1);
  for (size_t c = 0; c + 1 < offsets.size(); ++c) {
    std::vector<double> s(scores.begin() + offsets[c], scores.begin() + offsets[c + 1]);
    std::vector<int> l(labels.begin() + offsets[c], labels.begin() + offsets[c + 1]);
    ExpectRel(AveragePrecision(s, l), ap[c], 1e-12, "AP case " + std::to_string(c));
    ExpectRel(RocAuc(s, l), auc[c], 1e-12, "AUC case " + std::to_string(c));
  }
}

TEST(MetricMathTest, DegenerateRankingInputs) {
  EXPECT_EQ(AveragePrecision({0.1, 0.9}, {0, 0}), 0.0);  // scikit-learn 1.2: no positives -> 0
  EXPECT_TRUE(std::isnan(RocAuc({0.1, 0.9}, {0, 0})));
  EXPECT_TRUE(std::isnan(RocAuc({0.1, 0.9}, {1, 1})));
  EXPECT_TRUE(std::isnan(AveragePrecision({}, {})));
  EXPECT_TRUE(std::isnan(AveragePrecision({0.1, std::nan("")}, {0, 1})));
  EXPECT_EQ(RocAuc({0.5, 0.5}, {0, 1}), 0.5);  // one tied threshold
  EXPECT_EQ(RocAuc({0.1, 0.9}, {0, 1}), 1.0);
}

TEST(MetricMathTest, PerClassF1MatchesClassificationReport) {
  const auto pred = GoldenVector<int64_t>("f1_pred");
  const auto truth = GoldenVector<int64_t>("f1_truth");
  const auto offsets = GoldenVector<int64_t>("f1_offsets");
  const Tensor expected = Golden("f1_expected");
  const int64_t classes = expected.size(1);
  const auto f1 = expected.ToVector<double>();
  for (size_t c = 0; c + 1 < offsets.size(); ++c) {
    std::vector<int64_t> p(pred.begin() + offsets[c], pred.begin() + offsets[c + 1]);
    std::vector<int64_t> t(truth.begin() + offsets[c], truth.begin() + offsets[c + 1]);
    const std::vector<double> got = PerClassF1(p, t, classes);
    double mean = 0.0;
    for (int64_t k = 0; k < classes; ++k) {
      ExpectRel(got[k], f1[c * classes + k], 1e-12, "F1 case " + std::to_string(c));
      mean += f1[c * classes + k] / classes;
    }
    ExpectRel(MacroF1(p, t, classes), mean, 1e-12, "macro F1 case " + std::to_string(c));
  }
}

TEST(MetricMathTest, TopKRanksTiesByIndex) {
  const float row[] = {1.0f, 3.0f, 3.0f, 2.0f, 0.0f};
  EXPECT_EQ(ArgMax(row, 5), 1);
  EXPECT_TRUE(Top1Correct(row, 5, 1));
  EXPECT_FALSE(Top1Correct(row, 5, 2));
  EXPECT_TRUE(TopKCorrect(row, 5, 2, 2));
  EXPECT_FALSE(TopKCorrect(row, 5, 3, 2));
  EXPECT_TRUE(TopKCorrect(row, 5, 4, 5));
  EXPECT_TRUE(TopKCorrect(row, 5, 4, 7));  // k beyond the class count: always correct
  const float with_nan[] = {1.0f, std::nanf(""), 5.0f};
  EXPECT_EQ(ArgMax(with_nan, 3), 1);  // NaN is the maximum, as torch/NumPy argmax
}

TEST(MetricMathTest, EcgVoteTieGoesToFirstSeen) {
  // §14: windows predicted [2, 1, 1, 2] -> 2.
  EXPECT_EQ(MajorityVote({2, 1, 1, 2}, {7, 7, 7, 7}), std::vector<int64_t>({2}));
  EXPECT_EQ(MajorityVote({1, 2, 2, 1}, {7, 7, 7, 7}), std::vector<int64_t>({1}));
  // Groups come out in ascending id order, each voted on its own windows.
  EXPECT_EQ(MajorityVote({0, 3, 3, 1, 2, 3}, {9, 4, 4, 9, 9, 4}), std::vector<int64_t>({3, 0}));
  EXPECT_EQ(UniqueGroups({9, 4, 4, 9, 1}), std::vector<int64_t>({1, 4, 9}));
  // F1 = mean of the four per-class F1 values.
  const std::vector<int64_t> pred = {0, 1, 2, 3, 0};
  const std::vector<int64_t> truth = {0, 1, 2, 2, 1};
  const std::vector<double> f1 = PerClassF1(pred, truth, 4);
  EXPECT_DOUBLE_EQ(MacroF1(pred, truth, 4), (f1[0] + f1[1] + f1[2] + f1[3]) / 4);
}

TEST(MetricMathTest, ClipScoreIsSigmoidOfMeanLogit) {
  // §14: sigmoid(mean of chunk logits), not the mean of chunk sigmoids.
  const std::vector<float> logits = {-4.0f, 0.5f,   // clip 3
                                     2.0f, 0.5f,    // clip 1
                                     0.0f, 0.5f};   // clip 3
  const std::vector<float> scores = ClipScores(logits, {3, 1, 3}, 2);
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_FLOAT_EQ(scores[0], SigmoidF32(2.0f));   // clip 1
  EXPECT_FLOAT_EQ(scores[2], SigmoidF32(-2.0f));  // clip 3: mean(-4, 0)
  EXPECT_GT(std::fabs(scores[2] - (SigmoidF32(-4.0f) + SigmoidF32(0.0f)) / 2), 0.05);
  EXPECT_FLOAT_EQ(scores[3], SigmoidF32(0.5f));
}

TEST(MetricMathTest, RelativeL2OfDoubledFieldIsOne) {
  const std::vector<float> y = {1.0f, -2.0f, 3.5f, 0.25f};
  std::vector<float> twice;
  for (float v : y) twice.push_back(2 * v);
  EXPECT_DOUBLE_EQ(RelativeL2(twice.data(), y.data(), 4), 1.0);
  EXPECT_DOUBLE_EQ(RelativeL2(y.data(), y.data(), 4), 0.0);
}

TEST(MetricMathTest, NormalizerUnbiasedStdAndRoundTrip) {
  // Pixel 0 sees 1, 2, 3, 4: mean 2.5, unbiased std sqrt(5/3); pixel 1 is constant 7.
  const Tensor x = Tensor::FromVector<float>({1, 7, 2, 7, 3, 7, 4, 7}, {4, 1, 2});
  const UnitGaussianNormalizer g = UnitGaussianNormalizer::Fit(x);
  EXPECT_EQ(g.mean().shape(), Shape({1, 2}));
  EXPECT_FLOAT_EQ(g.mean().data<float>()[0], 2.5f);
  EXPECT_FLOAT_EQ(g.std().data<float>()[0], static_cast<float>(std::sqrt(5.0 / 3.0)));
  EXPECT_EQ(g.std().data<float>()[1], 0.0f);
  const Tensor enc = g.Encode(x);
  EXPECT_FLOAT_EQ(enc.data<float>()[0], (1.0f - 2.5f) / (static_cast<float>(std::sqrt(5.0 / 3.0)) + 1e-5f));
  const Tensor dec = g.Decode(enc);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(dec.data<float>()[i], x.data<float>()[i], 1e-5) << i;
  // Decode of a single (1, 2) field works too.
  const Tensor one = g.Decode(Tensor::FromVector<float>({0, 0}, {1, 2}));
  EXPECT_FLOAT_EQ(one.data<float>()[0], 2.5f);

  std::map<std::string, Tensor> saved;
  g.SaveTo("y_", &saved);
  absl::StatusOr<UnitGaussianNormalizer> back = UnitGaussianNormalizer::LoadFrom("y_", saved);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->eps(), 1e-5);
  EXPECT_EQ(back->Encode(x).ToVector<float>(), enc.ToVector<float>());
  absl::StatusOr<UnitGaussianNormalizer> missing = UnitGaussianNormalizer::LoadFrom("x_", saved);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("x_mean"), std::string::npos);
}

TEST(MetricMathTest, NormalizerMatchesNumpyFit) {
  const UnitGaussianNormalizer g = UnitGaussianNormalizer::Fit(Golden("darcy_train_y"));
  const auto mean = GoldenVector<float>("darcy_mean");
  const auto std = GoldenVector<float>("darcy_std");
  const auto got_mean = g.mean().ToVector<float>();
  const auto got_std = g.std().ToVector<float>();
  ASSERT_EQ(got_mean.size(), mean.size());
  for (size_t i = 0; i < mean.size(); ++i) {
    EXPECT_FLOAT_EQ(got_mean[i], mean[i]) << i;
    EXPECT_FLOAT_EQ(got_std[i], std[i]) << i;
  }
}

// A raw n x n canvas holding `lower` below the diagonal and `upper` on and above it.
std::vector<float> TriangleCanvas(int64_t n, float lower, float upper) {
  std::vector<float> c(n * n);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t k = 0; k < n; ++k) c[r * n + k] = k >= r ? upper : lower;
  }
  return c;
}

TEST(MetricMathTest, PsicovToyProtein) {
  // §14: L = 30 -> 21 pairs with q - p >= 24 (p = 0..5, q = p + 24..29).
  const int64_t n = 40, length = 30;
  std::vector<float> truth_canvas(n * n, 100.0f);
  for (int64_t r = 5; r < 5 + length; ++r) {
    for (int64_t c = 5; c < 5 + length; ++c) truth_canvas[r * n + c] = 6.0f;
  }
  std::vector<float> pred = TriangleCanvas(n, 4.0f, 8.0f);
  PsicovPreparePrediction(&pred, n);
  std::vector<double> truth = PsicovPrepareTruth(truth_canvas, n);
  int64_t pairs = 0;
  // PAVG = (lower + (lower + upper) / 2) / 2 = 0.75 * 4 + 0.25 * 8 = 5; |6 - 5| = 1.
  EXPECT_DOUBLE_EQ(PsicovPairMae(pred, truth, n, length, 24, 8.0, &pairs), 1.0);
  EXPECT_EQ(pairs, 21);
  // A pair with true distance > 8 is dropped; another at exactly 8 stays.
  truth[0 * n + 29] = 8.5;
  truth[1 * n + 29] = 8.0;
  EXPECT_DOUBLE_EQ(PsicovPairMae(pred, truth, n, length, 24, 8.0, &pairs), (19 * 1.0 + 3.0) / 20);
  EXPECT_EQ(pairs, 20);
  // Separation 12: sum over p of (30 - 12 - p) for p = 0..17 = 171 pairs.
  PsicovPairMae(pred, truth, n, length, 12, 12.0, &pairs);
  EXPECT_EQ(pairs, 171);
  // No eligible pair: NaN, skipped by NanMean.
  EXPECT_TRUE(std::isnan(PsicovPairMae(pred, truth, n, 24, 24, 8.0)));
  EXPECT_DOUBLE_EQ(NanMean({std::nan(""), 2.0, 4.0}), 3.0);
  EXPECT_TRUE(std::isnan(NanMean({std::nan("")})));
  // Clamp at 0.01: a negative prediction counts as 0.01.
  std::vector<float> negative = TriangleCanvas(n, -3.0f, -3.0f);
  const PsicovMae m = PsicovProteinMae(negative, truth_canvas, n, length);
  EXPECT_NEAR(m.mae8, 6.0 - 0.01, 1e-6);
}

TEST(MetricMathTest, PsicovMatchesSpecReference) {
  const Tensor pred = Golden("psicov_pred");    // (P, 1, n, n)
  const Tensor truth = Golden("psicov_truth");  // (P, 1, n, n)
  const auto lengths = GoldenVector<int64_t>("psicov_lengths");
  const auto expected = GoldenVector<double>("psicov_expected");
  const int64_t n = pred.size(-1);
  const auto p = pred.ToVector<float>();
  const auto t = truth.ToVector<float>();
  for (size_t i = 0; i < lengths.size(); ++i) {
    std::vector<float> pi(p.begin() + i * n * n, p.begin() + (i + 1) * n * n);
    std::vector<float> ti(t.begin() + i * n * n, t.begin() + (i + 1) * n * n);
    const PsicovMae m = PsicovProteinMae(pi, ti, n, lengths[i]);
    const std::string what = "protein " + std::to_string(i);
    ExpectRel(m.mae8, expected[i * 4 + 0], 1e-12, what + " mae8");
    ExpectRel(m.mlr8, expected[i * 4 + 1], 1e-12, what + " mlr8");
    ExpectRel(m.mae12, expected[i * 4 + 2], 1e-12, what + " mae12");
    ExpectRel(m.mlr12, expected[i * 4 + 3], 1e-12, what + " mlr12");
  }
}

TEST(MetricMathTest, CosmicBinaryAurocIdentity) {
  // §14: the ROC-AUC of 0/1 predictions equals (TPR + 1 - FPR) / 2.
  const std::vector<float> logits = {0.9f, 0.5f, 0.6f, -1.0f, 2.0f, 0.0f, 0.51f, 0.2f};
  const std::vector<float> mask = {1, 1, 0, 0, 1, 0, 0, 1};
  const BinaryCounts c = CosmicCounts(logits.data(), mask.data(), 8);
  EXPECT_EQ(c.tp, 2);  // 0.9, 2.0
  EXPECT_EQ(c.fn, 2);  // 0.5 (not > 0.5), 0.2
  EXPECT_EQ(c.fp, 2);  // 0.6, 0.51
  EXPECT_EQ(c.tn, 2);
  std::vector<double> pred;
  std::vector<int> truth;
  for (int i = 0; i < 8; ++i) {
    pred.push_back(logits[i] > 0.5f ? 1.0 : 0.0);
    truth.push_back(mask[i] > 0.5f ? 1 : 0);
  }
  EXPECT_DOUBLE_EQ(c.BinaryAuroc(), RocAuc(pred, truth));
  EXPECT_DOUBLE_EQ(c.Fnr(), 1.0 - c.Tpr());
  EXPECT_DOUBLE_EQ(1.0 - c.BinaryAuroc(), (c.Fnr() + c.Fpr()) / 2);
  // deepCR's variant: threshold at logit 0, ignored pixels become true negatives.
  const std::vector<float> ignore = {0, 1, 0, 0, 0, 0, 1, 0};
  const BinaryCounts m = CosmicCountsMasked(logits.data(), mask.data(), ignore.data(), 8);
  EXPECT_EQ(m.tp, 3);  // 0.9, 2.0, 0.2
  EXPECT_EQ(m.fn, 0);
  EXPECT_EQ(m.fp, 1);  // 0.6
  EXPECT_EQ(m.tn, 4);  // -1, 0.0, and the two ignored pixels
}

}  // namespace
}  // namespace nb360::tasks
