// tasks/common/metric_math.cc: see metric_math.h.
#include "tasks/common/metric_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/check.h"

namespace nb360::tasks {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Cumulative (true positives, false positives) at each distinct score, scores descending.
struct ThresholdCounts {
  std::vector<int64_t> tps;
  std::vector<int64_t> fps;
};

// Checks inputs; false when the result is NaN (empty input or a NaN score).
bool ValidBinaryInput(const std::vector<double>& scores, const std::vector<int>& labels) {
  NB_CHECK(scores.size() == labels.size(), "binary metric: ", scores.size(), " scores but ",
           labels.size(), " labels");
  for (int l : labels) NB_CHECK(l == 0 || l == 1, "binary metric: label ", l, " is not 0 or 1");
  if (scores.empty()) return false;
  for (double s : scores) {
    if (std::isnan(s)) return false;
  }
  return true;
}

ThresholdCounts CountAtThresholds(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  ThresholdCounts c;
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (labels[order[i]] == 1) {
      ++tp;
    } else {
      ++fp;
    }
    const bool last_of_group = i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
    if (last_of_group) {
      c.tps.push_back(tp);
      c.fps.push_back(fp);
    }
  }
  return c;
}

// a ranks before b in a descending order that puts NaN first (torch/NumPy argmax treat NaN as max).
bool RanksAbove(float a, float b) {
  if (std::isnan(a)) return !std::isnan(b);
  return a > b;
}

bool SameRank(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

double AveragePrecision(const std::vector<double>& scores, const std::vector<int>& labels) {
  if (!ValidBinaryInput(scores, labels)) return kNaN;
  const ThresholdCounts c = CountAtThresholds(scores, labels);
  const int64_t positives = c.tps.back();
  if (positives == 0) return 0.0;
  double ap = 0.0;
  int64_t prev_tp = 0;
  for (size_t k = 0; k < c.tps.size(); ++k) {
    const double recall_step = static_cast<double>(c.tps[k] - prev_tp) / static_cast<double>(positives);
    const double precision =
        static_cast<double>(c.tps[k]) / static_cast<double>(c.tps[k] + c.fps[k]);
    ap += recall_step * precision;
    prev_tp = c.tps[k];
  }
  return ap;
}

double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels) {
  if (!ValidBinaryInput(scores, labels)) return kNaN;
  const ThresholdCounts c = CountAtThresholds(scores, labels);
  const int64_t positives = c.tps.back();
  const int64_t negatives = c.fps.back();
  if (positives == 0 || negatives == 0) return kNaN;
  // Twice the area in count units: sum of (dFP) * (TP_k + TP_{k-1}); exact in int64 for any split
  // below ~3e9 samples.
  int64_t twice_area = 0;
  int64_t prev_tp = 0, prev_fp = 0;
  for (size_t k = 0; k < c.tps.size(); ++k) {
    twice_area += (c.fps[k] - prev_fp) * (c.tps[k] + prev_tp);
    prev_tp = c.tps[k];
    prev_fp = c.fps[k];
  }
  return static_cast<double>(twice_area) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

int64_t ArgMax(const float* row, int64_t num_classes) {
  NB_CHECK(num_classes > 0, "ArgMax: no classes");
  int64_t best = 0;
  for (int64_t j = 1; j < num_classes; ++j) {
    if (RanksAbove(row[j], row[best])) best = j;
  }
  return best;
}

bool Top1Correct(const float* row, int64_t num_classes, int64_t label) {
  return ArgMax(row, num_classes) == label;
}

bool TopKCorrect(const float* row, int64_t num_classes, int64_t label, int64_t k) {
  NB_CHECK(label >= 0 && label < num_classes, "TopKCorrect: label ", label, " outside [0, ",
           num_classes, ")");
  const float s = row[label];
  int64_t rank = 0;
  for (int64_t j = 0; j < num_classes; ++j) {
    if (RanksAbove(row[j], s) || (j < label && SameRank(row[j], s))) ++rank;
  }
  return rank < k;
}

std::vector<double> PerClassF1(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth,
                               int64_t num_classes) {
  NB_CHECK(pred.size() == truth.size(), "PerClassF1: ", pred.size(), " predictions but ",
           truth.size(), " labels");
  std::vector<int64_t> tp(num_classes, 0), pred_count(num_classes, 0), true_count(num_classes, 0);
  for (size_t i = 0; i < pred.size(); ++i) {
    NB_CHECK(pred[i] >= 0 && pred[i] < num_classes && truth[i] >= 0 && truth[i] < num_classes,
             "PerClassF1: class outside [0, ", num_classes, ") at ", i);
    ++pred_count[pred[i]];
    ++true_count[truth[i]];
    if (pred[i] == truth[i]) ++tp[pred[i]];
  }
  std::vector<double> f1(num_classes, 0.0);
  for (int64_t c = 0; c < num_classes; ++c) {
    const double precision =
        pred_count[c] == 0 ? 0.0 : static_cast<double>(tp[c]) / static_cast<double>(pred_count[c]);
    const double recall =
        true_count[c] == 0 ? 0.0 : static_cast<double>(tp[c]) / static_cast<double>(true_count[c]);
    const double denom = precision + recall;
    f1[c] = denom == 0.0 ? 0.0 : 2.0 * precision * recall / denom;
  }
  return f1;
}

double MacroF1(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth, int64_t num_classes) {
  const std::vector<double> f1 = PerClassF1(pred, truth, num_classes);
  double sum = 0.0;
  for (double v : f1) sum += v;
  return sum / static_cast<double>(num_classes);
}

std::vector<int64_t> UniqueGroups(const std::vector<int64_t>& group) {
  std::vector<int64_t> ids = group;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<int64_t> MajorityVote(const std::vector<int64_t>& window_pred,
                                  const std::vector<int64_t>& group) {
  NB_CHECK(window_pred.size() == group.size(), "MajorityVote: ", window_pred.size(),
           " predictions but ", group.size(), " group ids");
  // Per group: (value, count) in first-seen order.
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> counts;
  for (size_t i = 0; i < group.size(); ++i) {
    auto& seen = counts[group[i]];
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const std::pair<int64_t, int64_t>& e) { return e.first == window_pred[i]; });
    if (it == seen.end()) {
      seen.emplace_back(window_pred[i], 1);
    } else {
      ++it->second;
    }
  }
  std::vector<int64_t> votes;
  votes.reserve(counts.size());
  for (const auto& [id, seen] : counts) {
    size_t best = 0;
    for (size_t j = 1; j < seen.size(); ++j) {
      if (seen[j].second > seen[best].second) best = j;
    }
    votes.push_back(seen[best].first);
  }
  return votes;
}

float SigmoidF32(float x) { return 1.0f / (1.0f + std::exp(-x)); }

float ClipScore(double logit_sum, int64_t chunk_count) {
  return SigmoidF32(static_cast<float>(logit_sum / static_cast<double>(chunk_count)));
}

std::vector<float> ClipScores(const std::vector<float>& chunk_logits, const std::vector<int64_t>& group,
                              int64_t num_classes) {
  NB_CHECK(num_classes > 0 && chunk_logits.size() == group.size() * num_classes, "ClipScores: ",
           chunk_logits.size(), " logits for ", group.size(), " chunks of ", num_classes, " classes");
  const std::vector<int64_t> ids = UniqueGroups(group);
  std::vector<double> sums(ids.size() * num_classes, 0.0);
  std::vector<int64_t> count(ids.size(), 0);
  for (size_t i = 0; i < group.size(); ++i) {
    const size_t c = std::lower_bound(ids.begin(), ids.end(), group[i]) - ids.begin();
    ++count[c];
    for (int64_t k = 0; k < num_classes; ++k) sums[c * num_classes + k] += chunk_logits[i * num_classes + k];
  }
  std::vector<float> scores(sums.size());
  for (size_t c = 0; c < ids.size(); ++c) {
    for (int64_t k = 0; k < num_classes; ++k) {
      scores[c * num_classes + k] = ClipScore(sums[c * num_classes + k], count[c]);
    }
  }
  return scores;
}

double RelativeL2(const float* pred, const float* truth, int64_t n) {
  double diff2 = 0.0, truth2 = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(pred[i]) - static_cast<double>(truth[i]);
    diff2 += d * d;
    truth2 += static_cast<double>(truth[i]) * static_cast<double>(truth[i]);
  }
  return std::sqrt(diff2) / std::sqrt(truth2);
}

// ---------------------------------------------------------------------------------------------------
// UnitGaussianNormalizer

UnitGaussianNormalizer UnitGaussianNormalizer::Fit(const Tensor& x, double eps) {
  NB_CHECK(x.defined() && x.dtype() == DType::kFloat32 && x.dim() >= 1,
           "UnitGaussianNormalizer::Fit: expected float32 (N, ...), got ",
           x.defined() ? x.Describe() : std::string("undefined"));
  const int64_t n = x.size(0);
  NB_CHECK(n >= 2, "UnitGaussianNormalizer::Fit: needs at least 2 samples, got ", n);
  const Tensor xc = x.Contiguous();
  const int64_t pixels = xc.numel() / n;
  const float* p = xc.data<float>();
  std::vector<double> mean(pixels, 0.0), var(pixels, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < pixels; ++j) mean[j] += p[i * pixels + j];
  }
  for (int64_t j = 0; j < pixels; ++j) mean[j] /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < pixels; ++j) {
      const double d = p[i * pixels + j] - mean[j];
      var[j] += d * d;
    }
  }
  Shape pixel_shape(xc.shape().begin() + 1, xc.shape().end());
  UnitGaussianNormalizer g;
  g.mean_ = Tensor::Empty(pixel_shape, DType::kFloat32);
  g.std_ = Tensor::Empty(pixel_shape, DType::kFloat32);
  float* m = g.mean_.data<float>();
  float* s = g.std_.data<float>();
  for (int64_t j = 0; j < pixels; ++j) {
    m[j] = static_cast<float>(mean[j]);
    s[j] = static_cast<float>(std::sqrt(var[j] / static_cast<double>(n - 1)));
  }
  g.eps_ = eps;
  return g;
}

Tensor UnitGaussianNormalizer::Apply(const Tensor& x, bool encode) const {
  NB_CHECK(fitted(), "UnitGaussianNormalizer: not fitted");
  NB_CHECK(x.defined() && x.dtype() == DType::kFloat32, "UnitGaussianNormalizer: expected float32, got ",
           x.defined() ? x.Describe() : std::string("undefined"));
  const Shape& ps = mean_.shape();
  NB_CHECK(x.dim() >= static_cast<int64_t>(ps.size()) &&
               std::equal(ps.begin(), ps.end(), x.shape().end() - ps.size()),
           "UnitGaussianNormalizer: ", x.Describe(), " does not end in the fitted shape ", ShapeString(ps));
  const Tensor xc = x.Contiguous();
  Tensor out = Tensor::Empty(xc.shape(), DType::kFloat32);
  const int64_t pixels = mean_.numel();
  const int64_t rows = pixels == 0 ? 0 : xc.numel() / pixels;
  const float* in = xc.data<float>();
  float* o = out.data<float>();
  const float* m = mean_.data<float>();
  const float* s = std_.data<float>();
  const float e = static_cast<float>(eps_);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < pixels; ++j) {
      const float scale = s[j] + e;
      const float v = in[r * pixels + j];
      o[r * pixels + j] = encode ? (v - m[j]) / scale : v * scale + m[j];
    }
  }
  return out;
}

Tensor UnitGaussianNormalizer::Encode(const Tensor& x) const { return Apply(x, true); }
Tensor UnitGaussianNormalizer::Decode(const Tensor& x) const { return Apply(x, false); }

void UnitGaussianNormalizer::SaveTo(const std::string& prefix, std::map<std::string, Tensor>* tensors) const {
  NB_CHECK(fitted(), "UnitGaussianNormalizer::SaveTo: not fitted");
  (*tensors)[prefix + "mean"] = mean_;
  (*tensors)[prefix + "std"] = std_;
  (*tensors)[prefix + "eps"] = Tensor::FromVector<double>({eps_}, {1});
}

absl::StatusOr<UnitGaussianNormalizer> UnitGaussianNormalizer::LoadFrom(
    const std::string& prefix, const std::map<std::string, Tensor>& tensors) {
  auto get = [&](const std::string& name) -> absl::StatusOr<Tensor> {
    auto it = tensors.find(prefix + name);
    if (it == tensors.end() || !it->second.defined()) {
      return absl::NotFoundError(absl::StrCat("UnitGaussianNormalizer: no tensor '", prefix, name, "'"));
    }
    return it->second;
  };
  absl::StatusOr<Tensor> mean = get("mean");
  if (!mean.ok()) return mean.status();
  absl::StatusOr<Tensor> std = get("std");
  if (!std.ok()) return std.status();
  absl::StatusOr<Tensor> eps = get("eps");
  if (!eps.ok()) return eps.status();
  if (mean->dtype() != DType::kFloat32 || std->dtype() != DType::kFloat32 ||
      mean->shape() != std->shape()) {
    return absl::InvalidArgumentError(absl::StrCat("UnitGaussianNormalizer: '", prefix, "mean' is ",
                                                   mean->Describe(), " and '", prefix, "std' is ",
                                                   std->Describe(), "; expected equal float32 shapes"));
  }
  if (eps->numel() != 1 || (eps->dtype() != DType::kFloat64 && eps->dtype() != DType::kFloat32)) {
    return absl::InvalidArgumentError(absl::StrCat("UnitGaussianNormalizer: '", prefix, "eps' is ",
                                                   eps->Describe(), "; expected one float"));
  }
  UnitGaussianNormalizer g;
  g.mean_ = mean->Contiguous().Clone();
  g.std_ = std->Contiguous().Clone();
  g.eps_ = eps->item();
  return g;
}

// ---------------------------------------------------------------------------------------------------
// PSICOV

namespace {
constexpr int64_t kPsicovShift = 5;  // pad_size / 2
}  // namespace

void PsicovPreparePrediction(std::vector<float>* canvas, int64_t n) {
  NB_CHECK(n > 2 * kPsicovShift && static_cast<int64_t>(canvas->size()) == n * n,
           "PsicovPreparePrediction: canvas of ", canvas->size(), " values is not ", n, " x ", n);
  float* p = canvas->data();
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t k = j; k < n; ++k) p[j * n + k] = (p[k * n + j] + p[j * n + k]) / 2.0f;
  }
  for (int64_t i = 0; i < n * n; ++i) {
    if (p[i] < 0.01f) p[i] = 0.01f;
  }
  const int64_t m = n - 2 * kPsicovShift;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t c = 0; c < m; ++c) p[r * n + c] = p[(r + kPsicovShift) * n + c + kPsicovShift];
  }
}

std::vector<double> PsicovPrepareTruth(const std::vector<float>& canvas, int64_t n) {
  NB_CHECK(n > 2 * kPsicovShift && static_cast<int64_t>(canvas.size()) == n * n,
           "PsicovPrepareTruth: canvas of ", canvas.size(), " values is not ", n, " x ", n);
  std::vector<double> y(canvas.begin(), canvas.end());
  const int64_t m = n - 2 * kPsicovShift;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t c = 0; c < m; ++c) y[r * n + c] = y[(r + kPsicovShift) * n + c + kPsicovShift];
  }
  return y;
}

double PsicovPairMae(const std::vector<float>& prepared_pred, const std::vector<double>& prepared_truth,
                     int64_t n, int64_t length, int64_t min_sep, double max_dist,
                     int64_t* pair_count) {
  NB_CHECK(length >= 0 && length <= n, "PsicovPairMae: protein length ", length, " outside [0, ", n, "]");
  NB_CHECK(static_cast<int64_t>(prepared_pred.size()) == n * n &&
               static_cast<int64_t>(prepared_truth.size()) == n * n,
           "PsicovPairMae: maps are not ", n, " x ", n);
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t p = 0; p < length; ++p) {
    for (int64_t q = p + min_sep; q < length; ++q) {
      const double y = prepared_truth[p * n + q];
      if (y > max_dist) continue;
      const float pair_sum = prepared_pred[q * n + p] + prepared_pred[p * n + q];
      const double err = std::fabs(y - static_cast<double>(pair_sum) / 2.0);
      if (std::isnan(err)) continue;
      sum += err;
      ++count;
    }
  }
  if (pair_count != nullptr) *pair_count = count;
  return count == 0 ? kNaN : sum / static_cast<double>(count);
}

PsicovMae PsicovProteinMae(const std::vector<float>& raw_pred, const std::vector<float>& raw_truth,
                           int64_t n, int64_t length) {
  std::vector<float> pred = raw_pred;
  PsicovPreparePrediction(&pred, n);
  const std::vector<double> truth = PsicovPrepareTruth(raw_truth, n);
  PsicovMae r;
  r.mae8 = PsicovPairMae(pred, truth, n, length, 24, 8.0);
  r.mlr8 = PsicovPairMae(pred, truth, n, length, 12, 8.0);
  r.mae12 = PsicovPairMae(pred, truth, n, length, 24, 12.0);
  r.mlr12 = PsicovPairMae(pred, truth, n, length, 12, 12.0);
  return r;
}

double NanMean(const std::vector<double>& values) {
  double sum = 0.0;
  int64_t count = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++count;
  }
  return count == 0 ? kNaN : sum / static_cast<double>(count);
}

// ---------------------------------------------------------------------------------------------------
// Cosmic

void BinaryCounts::Add(bool pred, bool truth) {
  if (pred) {
    ++(truth ? tp : fp);
  } else {
    ++(truth ? fn : tn);
  }
}

void BinaryCounts::Merge(const BinaryCounts& o) {
  tp += o.tp;
  tn += o.tn;
  fp += o.fp;
  fn += o.fn;
}

double BinaryCounts::Tpr() const {
  return tp + fn == 0 ? kNaN : static_cast<double>(tp) / static_cast<double>(tp + fn);
}

double BinaryCounts::Fpr() const {
  return fp + tn == 0 ? kNaN : static_cast<double>(fp) / static_cast<double>(fp + tn);
}

double BinaryCounts::Fnr() const {
  return tp + fn == 0 ? kNaN : static_cast<double>(fn) / static_cast<double>(tp + fn);
}

double BinaryCounts::BinaryAuroc() const { return (Tpr() + 1.0 - Fpr()) / 2.0; }

BinaryCounts CosmicCounts(const float* logits, const float* mask, int64_t n) {
  BinaryCounts c;
  for (int64_t i = 0; i < n; ++i) c.Add(logits[i] > 0.5f, mask[i] > 0.5f);
  return c;
}

BinaryCounts CosmicCountsMasked(const float* logits, const float* mask, const float* ignore, int64_t n) {
  BinaryCounts c;
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = !(ignore[i] > 0.5f);
    c.Add(keep && logits[i] > 0.0f, keep && mask[i] > 0.5f);
  }
  return c;
}

}  // namespace nb360::tasks
