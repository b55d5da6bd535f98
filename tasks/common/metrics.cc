// tasks/common/metrics.cc: see metrics.h.
#include "tasks/common/metrics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/check.h"

namespace nb360::tasks {
namespace {

// Number of rows of `output`, checked against the batch's bookkeeping and target.
int64_t Rows(const Tensor& output, const Batch& batch, const char* who) {
  NB_CHECK(output.defined() && output.dim() >= 1, who, ": undefined or scalar output");
  NB_CHECK(IsFloating(output.dtype()), who, ": output must be floating point, got ",
           output.Describe());
  const int64_t n = output.size(0);
  NB_CHECK(batch.y.defined() && batch.y.dim() >= 1 && batch.y.size(0) == n, who, ": output ",
           output.Describe(), " and target ", batch.y.defined() ? batch.y.Describe() : "undefined",
           " disagree on N");
  NB_CHECK(batch.index.empty() || batch.size() == n, who, ": batch has ", batch.size(),
           " indices for ", n, " outputs");
  return n;
}

// Per-label AP and ROC-AUC of (M, K) row-major scores against 0/1 labels.
void PerLabelStats(const std::vector<float>& scores, const std::vector<int>& labels, int64_t rows,
                   int64_t k, std::vector<double>* ap, std::vector<double>* auc) {
  ap->assign(k, 0.0);
  auc->assign(k, 0.0);
  std::vector<double> s(rows);
  std::vector<int> l(rows);
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t r = 0; r < rows; ++r) {
      s[r] = scores[r * k + c];
      l[r] = labels[r * k + c];
    }
    (*ap)[c] = AveragePrecision(s, l);
    (*auc)[c] = RocAuc(s, l);
  }
}

double Mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return v.empty() ? std::nan("") : sum / static_cast<double>(v.size());
}

int64_t CountNaN(const std::vector<double>& v) {
  return std::count_if(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

void ClassificationMetric::Add(const Tensor& output, const Batch& batch) {
  const int64_t n = Rows(output, batch, "ClassificationMetric");
  NB_CHECK(output.dim() == 2, "ClassificationMetric: expected (N, K) logits, got ", output.Describe());
  const int64_t k = output.size(1);
  const std::vector<float> logits = output.ToVector<float>();
  const std::vector<int64_t> labels = batch.y.ToVector<int64_t>();
  NB_CHECK(static_cast<int64_t>(labels.size()) == n, "ClassificationMetric: target ", batch.y.Describe(),
           " is not (N)");
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * k;
    top1_ += Top1Correct(row, k, labels[i]) ? 1 : 0;
    top5_ += TopKCorrect(row, k, labels[i], 5) ? 1 : 0;
  }
  count_ += n;
}

MetricValues ClassificationMetric::Result() const {
  MetricValues r;
  r.primary = "error_pct";
  const double n = static_cast<double>(count_);
  const double acc = count_ == 0 ? std::nan("") : 100.0 * static_cast<double>(top1_) / n;
  r.values["accuracy_pct"] = acc;
  r.values["error_pct"] = 100.0 - acc;
  r.values["top5_accuracy_pct"] = count_ == 0 ? std::nan("") : 100.0 * static_cast<double>(top5_) / n;
  r.values["samples"] = n;
  return r;
}

// ---------------------------------------------------------------------------------------------------

void FsdClipMetric::Add(const Tensor& output, const Batch& batch) {
  const int64_t n = Rows(output, batch, "FsdClipMetric");
  NB_CHECK(output.dim() == 2 && batch.y.dim() == 2 && batch.y.size(1) == output.size(1),
           "FsdClipMetric: expected (N, K) logits and (N, K) labels, got ", output.Describe(), " and ",
           batch.y.Describe());
  NB_CHECK(static_cast<int64_t>(batch.group.size()) == n, "FsdClipMetric: ", batch.group.size(),
           " clip ids for ", n, " chunks");
  const int64_t k = output.size(1);
  NB_CHECK(num_classes_ < 0 || num_classes_ == k, "FsdClipMetric: ", k, " classes after ", num_classes_);
  num_classes_ = k;
  const std::vector<float> logits = output.ToVector<float>();
  const std::vector<float> y = batch.y.ToVector<float>();
  for (int64_t i = 0; i < n; ++i) {
    Clip& clip = clips_[batch.group[i]];
    if (clip.chunks == 0) {
      clip.logit_sum.assign(k, 0.0);
      clip.labels.resize(k);
      for (int64_t c = 0; c < k; ++c) clip.labels[c] = y[i * k + c] > 0.5f ? 1 : 0;
    }
    for (int64_t c = 0; c < k; ++c) clip.logit_sum[c] += logits[i * k + c];
    ++clip.chunks;
  }
}

MetricValues FsdClipMetric::Result() const {
  MetricValues r;
  r.primary = "one_minus_map";
  const int64_t k = std::max<int64_t>(num_classes_, 0);
  const int64_t m = static_cast<int64_t>(clips_.size());
  std::vector<float> scores(m * k);
  std::vector<int> labels(m * k);
  int64_t row = 0;
  for (const auto& [id, clip] : clips_) {
    for (int64_t c = 0; c < k; ++c) {
      scores[row * k + c] = ClipScore(clip.logit_sum[c], clip.chunks);
      labels[row * k + c] = clip.labels[c];
    }
    ++row;
  }
  std::vector<double> ap, auc;
  PerLabelStats(scores, labels, m, k, &ap, &auc);
  const double map = Mean(ap);
  r.values["map"] = map;
  r.values["one_minus_map"] = 1.0 - map;
  r.values["mauc"] = NanMean(auc);
  r.values["auc_undefined_classes"] = static_cast<double>(CountNaN(auc));
  r.values["clips"] = static_cast<double>(m);
  return r;
}

// ---------------------------------------------------------------------------------------------------

DarcyMetric::DarcyMetric(UnitGaussianNormalizer y_normalizer) : y_normalizer_(std::move(y_normalizer)) {
  NB_CHECK(y_normalizer_.fitted(), "DarcyMetric: the y-normalizer is not fitted");
}

void DarcyMetric::Add(const Tensor& output, const Batch& batch) {
  const int64_t n = Rows(output, batch, "DarcyMetric");
  if (n == 0) return;
  const int64_t per_sample = batch.y.numel() / n;
  NB_CHECK(output.numel() == batch.y.numel(), "DarcyMetric: output ", output.Describe(),
           " does not match target ", batch.y.Describe());
  const Tensor decoded = y_normalizer_.Decode(output.To(DType::kFloat32).Reshape(batch.y.shape()));
  const std::vector<float> pred = decoded.ToVector<float>();
  const std::vector<float> truth = batch.y.ToVector<float>();
  // The baseline every model must beat: predicting the training mean field (the normalizer's mean).
  const std::vector<float> mean_field = y_normalizer_.mean().ToVector<float>();
  NB_CHECK(static_cast<int64_t>(mean_field.size()) == per_sample, "DarcyMetric: normalizer of ",
           mean_field.size(), " values for samples of ", per_sample);
  double batch_sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    batch_sum += RelativeL2(pred.data() + i * per_sample, truth.data() + i * per_sample, per_sample);
    mean_field_sum_ += RelativeL2(mean_field.data(), truth.data() + i * per_sample, per_sample);
  }
  batch_means_.push_back(batch_sum / static_cast<double>(n));
  rel_sum_ += batch_sum;
  samples_ += n;
}

MetricValues DarcyMetric::Result() const {
  MetricValues r;
  r.primary = "rel_l2";
  r.values["rel_l2"] = Mean(batch_means_);
  r.values["rel_l2_per_sample"] = samples_ == 0 ? std::nan("") : rel_sum_ / static_cast<double>(samples_);
  r.values["rel_l2_mean_field"] = samples_ == 0 ? std::nan("") : mean_field_sum_ / static_cast<double>(samples_);
  r.values["samples"] = static_cast<double>(samples_);
  return r;
}

// ---------------------------------------------------------------------------------------------------

void PsicovMetric::Add(const Tensor& output, const Batch& batch) {
  const int64_t n = Rows(output, batch, "PsicovMetric");
  NB_CHECK(output.numel() == batch.y.numel(), "PsicovMetric: output ", output.Describe(),
           " does not match target ", batch.y.Describe());
  if (n == 0) return;
  const std::vector<float> pred = output.ToVector<float>();
  const std::vector<float> truth = batch.y.ToVector<float>();
  const int64_t per_sample = batch.y.numel() / n;
  if (mode_ == Mode::kValidation) {
    double abs_sum = 0.0, sq_sum = 0.0;
    for (size_t i = 0; i < pred.size(); ++i) {
      const double d = static_cast<double>(pred[i]) - static_cast<double>(truth[i]);
      abs_sum += std::fabs(d);
      sq_sum += d * d;
    }
    batch_mae_.push_back(abs_sum / static_cast<double>(pred.size()));
    batch_mse_.push_back(sq_sum / static_cast<double>(pred.size()));
    return;
  }
  const int64_t side = batch.y.size(-1);
  NB_CHECK(side * side == per_sample, "PsicovMetric: target ", batch.y.Describe(),
           " is not (N, 1, S, S)");
  NB_CHECK(static_cast<int64_t>(batch.extra.size()) == n, "PsicovMetric: ", batch.extra.size(),
           " protein lengths for ", n, " proteins");
  for (int64_t i = 0; i < n; ++i) {
    std::vector<float> p(pred.begin() + i * per_sample, pred.begin() + (i + 1) * per_sample);
    std::vector<float> y(truth.begin() + i * per_sample, truth.begin() + (i + 1) * per_sample);
    proteins_.push_back(PsicovProteinMae(p, y, side, batch.extra[i]));
  }
}

MetricValues PsicovMetric::Result() const {
  MetricValues r;
  if (mode_ == Mode::kValidation) {
    r.primary = "mae";
    r.values["mae"] = Mean(batch_mae_);
    r.values["mse"] = Mean(batch_mse_);
    return r;
  }
  r.primary = "mae8";
  std::vector<double> mae8, mlr8, mae12, mlr12;
  for (const PsicovMae& p : proteins_) {
    mae8.push_back(p.mae8);
    mlr8.push_back(p.mlr8);
    mae12.push_back(p.mae12);
    mlr12.push_back(p.mlr12);
  }
  r.values["mae8"] = NanMean(mae8);
  r.values["mlr8"] = NanMean(mlr8);
  r.values["mae12"] = NanMean(mae12);
  r.values["mlr12"] = NanMean(mlr12);
  r.values["proteins"] = static_cast<double>(proteins_.size());
  r.values["proteins_without_pairs"] = static_cast<double>(CountNaN(mae8));
  return r;
}

// ---------------------------------------------------------------------------------------------------

void CosmicMetric::Add(const Tensor& output, const Batch& batch) {
  Rows(output, batch, "CosmicMetric");
  NB_CHECK(output.numel() == batch.y.numel(), "CosmicMetric: output ", output.Describe(),
           " does not match mask ", batch.y.Describe());
  const std::vector<float> logits = output.ToVector<float>();
  const std::vector<float> mask = batch.y.ToVector<float>();
  const int64_t n = static_cast<int64_t>(logits.size());
  counts_.Merge(CosmicCounts(logits.data(), mask.data(), n));
  if (batch.aux.defined()) {
    NB_CHECK(batch.aux.numel() == batch.y.numel(), "CosmicMetric: ignore mask ", batch.aux.Describe(),
             " does not match mask ", batch.y.Describe());
    const std::vector<float> ignore = batch.aux.ToVector<float>();
    masked_.Merge(CosmicCountsMasked(logits.data(), mask.data(), ignore.data(), n));
    has_masked_ = true;
  }
}

MetricValues CosmicMetric::Result() const {
  MetricValues r;
  r.primary = "fnr_pct";
  r.values["fnr_pct"] = 100.0 * counts_.Fnr();
  r.values["tpr"] = counts_.Tpr();
  r.values["fpr"] = counts_.Fpr();
  r.values["fnr"] = counts_.Fnr();
  r.values["one_minus_auroc_binary"] = 1.0 - counts_.BinaryAuroc();
  if (has_masked_) {
    r.values["fnr_pct_masked"] = 100.0 * masked_.Fnr();
    r.values["fpr_masked"] = masked_.Fpr();
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------

void EcgMetric::Add(const Tensor& output, const Batch& batch) {
  const int64_t n = Rows(output, batch, "EcgMetric");
  NB_CHECK(output.dim() == 2 && output.size(1) == num_classes_, "EcgMetric: expected (N, ",
           num_classes_, ") logits, got ", output.Describe());
  NB_CHECK(static_cast<int64_t>(batch.group.size()) == n, "EcgMetric: ", batch.group.size(),
           " record ids for ", n, " windows");
  const std::vector<float> logits = output.ToVector<float>();
  const std::vector<int64_t> labels = batch.y.ToVector<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    // Without dataset indices, arrival order stands in for dataset order.
    const int64_t index = batch.index.empty() ? static_cast<int64_t>(windows_.size()) : batch.index[i];
    windows_.push_back({index, batch.group[i], ArgMax(logits.data() + i * num_classes_, num_classes_),
                        labels[i]});
  }
}

MetricValues EcgMetric::Result() const {
  std::vector<Window> w = windows_;
  std::stable_sort(w.begin(), w.end(), [](const Window& a, const Window& b) { return a.index < b.index; });
  std::vector<int64_t> pred(w.size()), label(w.size()), group(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    pred[i] = w[i].pred;
    label[i] = w[i].label;
    group[i] = w[i].group;
  }
  const std::vector<int64_t> record_pred = MajorityVote(pred, group);
  const std::vector<int64_t> record_label = MajorityVote(label, group);
  const std::vector<double> f1 = PerClassF1(record_pred, record_label, num_classes_);
  MetricValues r;
  r.primary = "one_minus_f1";
  const double macro = Mean(f1);
  r.values["f1"] = macro;
  r.values["one_minus_f1"] = 1.0 - macro;
  r.values["f1_window"] = MacroF1(pred, label, num_classes_);
  for (int64_t c = 0; c < num_classes_; ++c) r.values[absl::StrCat("f1_class", c)] = f1[c];
  r.values["records"] = static_cast<double>(record_pred.size());
  return r;
}

// ---------------------------------------------------------------------------------------------------

void MultiLabelAucMetric::Add(const Tensor& output, const Batch& batch) {
  const int64_t n = Rows(output, batch, "MultiLabelAucMetric");
  NB_CHECK(output.dim() == 2 && batch.y.dim() == 2 && batch.y.size(1) == output.size(1),
           "MultiLabelAucMetric: expected (N, K) logits and (N, K) labels, got ", output.Describe(),
           " and ", batch.y.Describe());
  const int64_t k = output.size(1);
  NB_CHECK(num_labels_ < 0 || num_labels_ == k, "MultiLabelAucMetric: ", k, " labels after ", num_labels_);
  num_labels_ = k;
  const std::vector<float> logits = output.ToVector<float>();
  const std::vector<float> y = batch.y.ToVector<float>();
  for (int64_t i = 0; i < n * k; ++i) {
    scores_.push_back(SigmoidF32(logits[i]));
    labels_.push_back(y[i] > 0.5f ? 1 : 0);
  }
}

MetricValues MultiLabelAucMetric::Result() const {
  const int64_t k = std::max<int64_t>(num_labels_, 0);
  const int64_t m = k == 0 ? 0 : static_cast<int64_t>(scores_.size()) / k;
  std::vector<int> labels(labels_.begin(), labels_.end());
  std::vector<double> ap, auc;
  PerLabelStats(scores_, labels, m, k, &ap, &auc);
  MetricValues r;
  r.primary = "one_minus_auroc";
  const double mauc = NanMean(auc);
  r.values["mauc"] = mauc;
  r.values["one_minus_auroc"] = 1.0 - mauc;
  r.values["map"] = Mean(ap);
  r.values["auc_undefined_labels"] = static_cast<double>(CountNaN(auc));
  r.values["samples"] = static_cast<double>(m);
  return r;
}

}  // namespace nb360::tasks
