// tasks/common/metrics.h: the streaming Metric of every task kind (tasks spec §0.3, §1.5, §4.7, §5.5,
// §6.7-6.8, §7.5, §8.5, §9.4, §10.5).
//
// Each class gathers what it needs from Add(output, batch) and computes the published number in
// Result() with the functions of metric_math.h. `primary` is always lower-is-better (errors, 1 - score,
// relative error, MAE, FNR), exactly as the NAS-Bench-360 tables report it.
//
//   task                                   metric                 primary
//   CIFAR-100, Spherical, NinaPro, Satellite  ClassificationMetric   error_pct
//   FSD50K (clips)                         FsdClipMetric           one_minus_map
//   Darcy Flow                             DarcyMetric             rel_l2
//   PSICOV                                 PsicovMetric            mae8 (test) / mae (validation)
//   Cosmic                                 CosmicMetric            fnr_pct
//   ECG                                    EcgMetric               one_minus_f1
//   DeepSEA                                MultiLabelAucMetric     one_minus_auroc
//
// `output` may be any float dtype; it is read as float32 (the original's dtype). Left out: losses, the
// tiled PSICOV prediction (tiling.h), and anything that runs a model.
#ifndef NB360_TASKS_COMMON_METRICS_H_
#define NB360_TASKS_COMMON_METRICS_H_

#include <cstdint>
#include <map>
#include <vector>

#include "tasks/common/metric.h"
#include "tasks/common/metric_math.h"

namespace nb360::tasks {

// Single-label classification. output (N, K) logits; batch.y int64 (N).
// values: error_pct (primary) = 100 - accuracy_pct; accuracy_pct = 100 * top-1 correct / N over all
// samples (the original's sample-weighted running mean of per-batch percentages); top5_accuracy_pct.
class ClassificationMetric : public Metric {
 public:
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  int64_t count_ = 0;
  int64_t top1_ = 0;
  int64_t top5_ = 0;
};

// FSD50K clip-level mAP. output (N, K) chunk logits; batch.group = clip id per chunk (a clip's chunks
// may arrive in any batches); batch.y (N, K) multi-hot, the clip's labels on each of its chunks (the
// first chunk seen is used). Clip score = sigmoid(mean of its chunk logits); per class AP and ROC-AUC
// over clips. values: one_minus_map (primary), map (mean AP over all K classes; a class with no
// positive clip has AP 0, as scikit-learn 1.2), mauc (mean ROC-AUC over classes where it is defined),
// auc_undefined_classes, clips. The per-sample variant (every chunk its own clip) is the same metric
// with batch.group = batch.index.
class FsdClipMetric : public Metric {
 public:
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  struct Clip {
    std::vector<double> logit_sum;
    int64_t chunks = 0;
    std::vector<int> labels;
  };
  int64_t num_classes_ = -1;
  std::map<int64_t, Clip> clips_;
};

// Darcy Flow relative L2 on decoded predictions. output (N, 1, H, W) or (N, H, W), encoded with the
// training y-normalizer; batch.y (N, H, W) raw. values: rel_l2 (primary) = mean over batches of
// (sum of per-sample rel / batch size), as the original validation_loss (§5.5; not the per-sample mean
// when batch sizes differ); rel_l2_per_sample = exact per-sample mean; rel_l2_mean_field = the per-sample
// mean for predicting the training mean field (the baseline a model must beat).
class DarcyMetric : public Metric {
 public:
  explicit DarcyMetric(UnitGaussianNormalizer y_normalizer);
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  UnitGaussianNormalizer y_normalizer_;
  std::vector<double> batch_means_;
  double rel_sum_ = 0.0;
  double mean_field_sum_ = 0.0;
  int64_t samples_ = 0;
};

// PSICOV. output (N, 1, S, S) distances; batch.y (N, 1, S, S).
// kTest (§6.8): output is the tiled prediction on the test canvas (S = 512), batch.extra = protein
// length L; per protein the four MAE variants, nan-mean over proteins. values: mae8 (primary), mlr8,
// mae12, mlr12, proteins, proteins_without_pairs (no eligible pair at sep >= 24, d <= 8).
// kValidation (§6.7): values: mae (primary) = mean over batches of the pixel-wise mean |y_hat - y|
// (padding included), mse likewise with squared errors.
class PsicovMetric : public Metric {
 public:
  enum class Mode { kTest, kValidation };
  explicit PsicovMetric(Mode mode) : mode_(mode) {}
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  Mode mode_;
  std::vector<PsicovMae> proteins_;
  std::vector<double> batch_mae_;
  std::vector<double> batch_mse_;
};

// Cosmic. output (N, 1, H, W) logits; batch.y (N, 1, H, W) mask; batch.aux the ignore mask (optional).
// The original's counts (logit > 0.5, ignore mask not applied, pooled over all pixels): fnr_pct
// (primary) = 100 * FNR, tpr, fpr, fnr, one_minus_auroc_binary = (FNR + FPR) / 2. When batch.aux is
// given, also deepCR's own evaluation (sigmoid > 0.5, ignore mask applied): fnr_pct_masked, fpr_masked.
class CosmicMetric : public Metric {
 public:
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  BinaryCounts counts_;
  BinaryCounts masked_;
  bool has_masked_ = false;
};

// ECG. output (N, 4) window logits; batch.group = record id; batch.y int64 (N) the record's label on
// each window. Windows are put in dataset order (batch.index) before voting, so the first-seen tie rule
// does not depend on loader order. values: one_minus_f1 (primary) = 1 - macro F1 over the classes after
// the record vote; f1; f1_window (macro F1 of the window predictions, the Perceiver/XGBoost scoring);
// f1_class0..3; records.
class EcgMetric : public Metric {
 public:
  explicit EcgMetric(int64_t num_classes = 4) : num_classes_(num_classes) {}
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  struct Window {
    int64_t index, group, pred, label;
  };
  int64_t num_classes_;
  std::vector<Window> windows_;
};

// DeepSEA (and any multi-label AUROC task). output (N, K) logits; batch.y (N, K) multi-hot. Scores are
// float32 sigmoids (the original casts them to float32). values: one_minus_auroc (primary) = 1 - mauc;
// mauc = mean ROC-AUC over labels where it is defined; map = mean AP over all labels;
// auc_undefined_labels.
class MultiLabelAucMetric : public Metric {
 public:
  void Add(const Tensor& output, const Batch& batch) override;
  MetricValues Result() const override;

 private:
  int64_t num_labels_ = -1;
  std::vector<float> scores_;    // (M, K) row-major
  std::vector<uint8_t> labels_;  // (M, K) row-major
};

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_METRICS_H_
