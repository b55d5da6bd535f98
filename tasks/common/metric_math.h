// tasks/common/metric_math.h: the numeric building blocks of the ten task metrics, on plain arrays.
//
// Every function here reproduces one quantity the original NAS-Bench-360 code computes with
// scikit-learn 1.2 / NumPy / PyTorch (tasks spec §0.3 and the per-task metric sections), so the streaming
// metrics in metrics.h only gather data and call these. Conventions:
//   * scores and distances are double (callers widen float32 model outputs; ranking metrics only see
//     the order and ties of the scores, so widening changes nothing);
//   * binary labels are ints, 1 = positive, 0 = negative (anything else is a programmer error);
//   * "undefined" results are NaN and documented per function; nothing here prints or warns.
// Left out: tensors (except the normalizer, which must persist as tensors), streaming, and I/O.
#ifndef NB360_TASKS_COMMON_METRIC_MATH_H_
#define NB360_TASKS_COMMON_METRIC_MATH_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::tasks {

// ---------------------------------------------------------------------------------------------------
// Ranking metrics for one binary label.

// sklearn.metrics.average_precision_score: scores sorted descending, tied scores form one threshold,
// AP = sum_k (R_k - R_{k-1}) * P_k with no interpolation.
// No positive labels: returns 0.0, as scikit-learn >= 1.1 does (recall is taken as 1 at every
// threshold, so every recall step is 0; older releases returned NaN). Empty input or any NaN score:
// NaN (scikit-learn raises).
double AveragePrecision(const std::vector<double>& scores, const std::vector<int>& labels);

// sklearn.metrics.roc_auc_score: trapezoidal area under the ROC curve with tied scores grouped (a tie
// between a positive and a negative counts one half). Only one class present (scikit-learn raises
// ValueError), empty input, or any NaN score: NaN.
double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels);

// ---------------------------------------------------------------------------------------------------
// Single-label classification.

// Index of the largest of row[0..num_classes), the first one on ties (torch/NumPy argmax). NaN entries
// are skipped unless every entry is NaN (then 0).
int64_t ArgMax(const float* row, int64_t num_classes);

// True when `label` is the argmax of `row` (ties: the first maximum wins, as argmax).
bool Top1Correct(const float* row, int64_t num_classes, int64_t label);

// True when `label` is among the k best entries of `row`, ranking ties by index (a stable descending
// sort, which agrees with Top1Correct for k = 1).
bool TopKCorrect(const float* row, int64_t num_classes, int64_t label, int64_t k);

// Per-class F1 of classification_report(truth, pred) for classes 0..num_classes-1: precision =
// TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R), each 0 where its denominator is 0. (A class that
// occurs in neither vector gets 0; classification_report would leave it out of its report.)
std::vector<double> PerClassF1(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth,
                               int64_t num_classes);

// Unweighted mean of PerClassF1 over all num_classes classes.
double MacroF1(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth, int64_t num_classes);

// ---------------------------------------------------------------------------------------------------
// Grouping (ECG records, FSD50K clips).

// The distinct values of `group`, ascending (np.unique).
std::vector<int64_t> UniqueGroups(const std::vector<int64_t>& group);

// ECG record vote: for every group id (in UniqueGroups order) the most frequent value of `window_pred`
// among that group's entries; ties go to the value seen first in the group's entry order (Python
// Counter(...).most_common(1)). window_pred and group have equal length.
std::vector<int64_t> MajorityVote(const std::vector<int64_t>& window_pred, const std::vector<int64_t>& group);

// float32 logistic function 1 / (1 + exp(-x)), as torch.sigmoid on float32 (up to the last ulp).
float SigmoidF32(float x);

// One clip score from the sum of its chunks' logits for one class: SigmoidF32(float(sum / count)).
float ClipScore(double logit_sum, int64_t chunk_count);

// FSD50K clip scores. chunk_logits: (M, K) row-major, one row per chunk; group: clip id per chunk.
// Returns (C, K) row-major, one row per clip in UniqueGroups(group) order: the mean of the clip's chunk
// logits (summed in double, rounded to float32 like the float32 torch mean), then SigmoidF32.
std::vector<float> ClipScores(const std::vector<float>& chunk_logits, const std::vector<int64_t>& group,
                              int64_t num_classes);

// ---------------------------------------------------------------------------------------------------
// Fields (Darcy Flow).

// ||pred - truth||_2 / ||truth||_2 over n values, accumulated in double (LpLoss.rel for one sample;
// the original accumulates in float32). truth all zero: inf (or NaN if pred equals it), as torch.
double RelativeL2(const float* pred, const float* truth, int64_t n);

// Per-pixel Gaussian normalizer of Darcy Flow (UnitGaussianNormalizer in the original utils_grid.py).
// Fit on (N, H, W) (any (N, ...) works): mean and UNBIASED std over N per pixel, computed in double
// and stored as float32 (the original keeps float32 tensors); eps = 1e-5 is added to std when encoding
// and decoding. Encode/Decode take any float32 tensor whose trailing dimensions equal the fitted
// per-pixel shape (e.g. (B, H, W), or (H, W)) and compute in float32: (x - mean) / (std + eps) and
// x * (std + eps) + mean.
class UnitGaussianNormalizer {
 public:
  UnitGaussianNormalizer() = default;
  // x: (N, ...) float32 with N >= 2 (the unbiased std needs two samples).
  static UnitGaussianNormalizer Fit(const Tensor& x, double eps = 1e-5);

  Tensor Encode(const Tensor& x) const;
  Tensor Decode(const Tensor& x) const;

  const Tensor& mean() const { return mean_; }  // float32, per-pixel shape
  const Tensor& std() const { return std_; }    // float32, per-pixel shape (without eps)
  double eps() const { return eps_; }
  bool fitted() const { return mean_.defined(); }

  // Stores "<prefix>mean", "<prefix>std" (float32) and "<prefix>eps" (float64, one element).
  void SaveTo(const std::string& prefix, std::map<std::string, Tensor>* tensors) const;
  // Reads what SaveTo wrote; errors name the missing or malformed entry.
  static absl::StatusOr<UnitGaussianNormalizer> LoadFrom(const std::string& prefix,
                                                         const std::map<std::string, Tensor>& tensors);

 private:
  Tensor Apply(const Tensor& x, bool encode) const;

  Tensor mean_;
  Tensor std_;
  double eps_ = 1e-5;
};

// ---------------------------------------------------------------------------------------------------
// PSICOV MAE family (tasks spec §6.8) for one protein.

struct PsicovMae {
  double mae8 = 0;   // separation >= 24, true distance <= 8 (the published MAE8)
  double mlr8 = 0;   // separation >= 12, distance <= 8
  double mae12 = 0;  // separation >= 24, distance <= 12
  double mlr12 = 0;  // separation >= 12, distance <= 12
};

// Steps 2-4 of §6.8 on one raw n x n prediction canvas (row-major float32, as the tiled model wrote
// it), in place: for j <= k, P[j,k] = (P[k,j] + P[j,k]) / 2 in float32 (lower triangle unchanged);
// P < 0.01 -> 0.01; then shift up-left by pad/2 = 5 (P[0..n-10) x [0..n-10) = P[5..n-5) x [5..n-5),
// the last 10 rows and columns keep their values).
void PsicovPreparePrediction(std::vector<float>* canvas, int64_t n);

// Step 4 for the true map: the same shift by 5 (no symmetrization or clamp); values widened to double.
std::vector<double> PsicovPrepareTruth(const std::vector<float>& canvas, int64_t n);

// Step 5 for one variant on prepared maps: PAVG[p,q] = (P[q,p] + P[p,q]) / 2 (float32 sum, as NumPy
// float32 scalars), pairs (p, q) in [0, L)^2 with q - p >= min_sep and Y[p,q] <= max_dist; returns the
// mean |Y - PAVG| over those pairs skipping NaN differences (np.nanmean), NaN when no pair is left.
// pair_count (optional) receives the number of pairs averaged.
double PsicovPairMae(const std::vector<float>& prepared_pred, const std::vector<double>& prepared_truth,
                     int64_t n, int64_t length, int64_t min_sep, double max_dist,
                     int64_t* pair_count = nullptr);

// All of §6.8 steps 2-5 for one protein of length L <= n: raw prediction and raw (padded, offset 5)
// truth canvases, n x n row-major.
PsicovMae PsicovProteinMae(const std::vector<float>& raw_pred, const std::vector<float>& raw_truth,
                           int64_t n, int64_t length);

// Mean of the non-NaN values (np.nanmean); NaN when there are none.
double NanMean(const std::vector<double>& values);

// ---------------------------------------------------------------------------------------------------
// Cosmic confusion counts (tasks spec §7.5), pooled over all pixels of all images.

struct BinaryCounts {
  int64_t tp = 0, tn = 0, fp = 0, fn = 0;

  void Add(bool pred, bool truth);
  void Merge(const BinaryCounts& o);
  double Tpr() const;  // TP / (TP + FN); NaN when no positives
  double Fpr() const;  // FP / (FP + TN); NaN when no negatives
  double Fnr() const;  // FN / (TP + FN) = 1 - TPR
  // roc_auc_score of the 0/1 predictions against the 0/1 truth = (TPR + 1 - FPR) / 2; NaN when either
  // class is absent (scikit-learn raises).
  double BinaryAuroc() const;
};

// The original code's counts: prediction = logit > 0.5 (raw logit, no sigmoid), truth = mask > 0.5,
// ignore mask not applied. logits and mask hold n values.
BinaryCounts CosmicCounts(const float* logits, const float* mask, int64_t n);

// deepCR's own evaluation (evaluate.roc at threshold 0.5): prediction = sigmoid(logit) > 0.5, i.e.
// logit > 0; prediction and truth are multiplied by (1 - ignore), so ignored pixels count as true
// negatives. ignore > 0.5 means ignored.
BinaryCounts CosmicCountsMasked(const float* logits, const float* mask, const float* ignore, int64_t n);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_METRIC_MATH_H_
