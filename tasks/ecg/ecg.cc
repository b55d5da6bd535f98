// tasks/ecg/ecg.cc: ECG task description, record splits, windows, Build and the objective.
#include "tasks/ecg/ecg.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "ops/loss.h"
#include "tasks/common/metrics.h"
#include "tasks/ecg/sklearn_split.h"

namespace nb360::tasks {
namespace {

// The records of a dataset with each one's z-score parameters.
struct EcgRecords {
  ArrayView samples;  // float32 (total)
  std::vector<int64_t> offsets;
  std::vector<int64_t> labels;
  std::vector<double> mean, std;
};

struct EcgWindowRef {
  int64_t record;
  int64_t start;
};

// Windows of some records; x = the z-scored window (1, 1000), y = the record label, group = record.
class EcgWindowSet : public SampleSet {
 public:
  EcgWindowSet(std::shared_ptr<const EcgRecords> records, std::vector<EcgWindowRef> windows)
      : records_(std::move(records)), windows_(std::move(windows)) {}
  int64_t size() const override { return static_cast<int64_t>(windows_.size()); }
  SampleLayout layout() const override { return {{1, kEcgWindow}, {}, DType::kInt64, {}}; }
  void Read(int64_t i, Generator* /*rng*/, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < size(), "EcgWindowSet::Read: index ", i, " of ", size());
    const EcgWindowRef& w = windows_[i];
    const EcgRecords& r = *records_;
    const float* s = r.samples.data<float>() + r.offsets[w.record] + w.start;
    const double mean = r.mean[w.record], std = r.std[w.record];
    for (int64_t k = 0; k < kEcgWindow; ++k) {
      out->x[k] = static_cast<float>((static_cast<double>(s[k]) - mean) / std);
    }
    *static_cast<int64_t*>(out->y) = r.labels[w.record];
    out->group = w.record;
  }

 private:
  std::shared_ptr<const EcgRecords> records_;
  std::vector<EcgWindowRef> windows_;
};

class EcgObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override {
    return CrossEntropy(output, batch.y);
  }
  std::unique_ptr<Metric> NewMetric(Split /*split*/) const override {
    return std::make_unique<EcgMetric>(kEcgClasses);
  }
};

std::string DatasetName(const Dataset& d) {
  return d.dir.empty() ? "in-memory ecg dataset" : d.dir;
}

absl::StatusOr<ArrayView> GetArray(const Dataset& d, const std::string& name, DType dtype, int64_t length) {
  absl::StatusOr<ArrayView> v = d.Get(name);
  if (!v.ok()) return v.status();
  if (v->dtype != dtype || v->shape.size() != 1 || (length >= 0 && v->shape[0] != length)) {
    return absl::InvalidArgumentError(absl::StrCat(
        DatasetName(d), ": array '", name, "' is ", std::string(DTypeName(v->dtype)), ShapeString(v->shape),
        ", expected ", std::string(DTypeName(dtype)), length >= 0 ? absl::StrCat("[", length, "]") : std::string("[n]")));
  }
  return v;
}

// Checks the canonical arrays and computes each record's mean and population std (ddof 0).
absl::StatusOr<std::shared_ptr<EcgRecords>> LoadRecords(const Dataset& d) {
  absl::StatusOr<ArrayView> labels = GetArray(d, "labels", DType::kInt64, -1);
  if (!labels.ok()) return labels.status();
  const int64_t n = labels->shape[0];
  absl::StatusOr<ArrayView> offsets = GetArray(d, "offsets", DType::kInt64, n + 1);
  if (!offsets.ok()) return offsets.status();
  absl::StatusOr<ArrayView> samples = GetArray(d, "samples", DType::kFloat32, -1);
  if (!samples.ok()) return samples.status();
  auto r = std::make_shared<EcgRecords>();
  r->samples = *samples;
  r->labels.assign(labels->data<int64_t>(), labels->data<int64_t>() + n);
  r->offsets.assign(offsets->data<int64_t>(), offsets->data<int64_t>() + n + 1);
  if (r->offsets[0] != 0 || r->offsets[n] != samples->shape[0]) {
    return absl::InvalidArgumentError(absl::StrCat(DatasetName(d), ": offsets run from ", r->offsets[0], " to ",
                                                   r->offsets[n], ", expected 0 to ", samples->shape[0],
                                                   " (the length of 'samples')"));
  }
  r->mean.resize(n);
  r->std.resize(n);
  const float* s = samples->data<float>();
  for (int64_t i = 0; i < n; ++i) {
    if (r->offsets[i + 1] < r->offsets[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(DatasetName(d), ": offsets decrease at record ", i, " (", r->offsets[i], " > ",
                       r->offsets[i + 1], ")"));
    }
    if (r->labels[i] < 0 || r->labels[i] >= kEcgClasses) {
      return absl::InvalidArgumentError(
          absl::StrCat(DatasetName(d), ": labels[", i, "] = ", r->labels[i], " outside [0, 4)"));
    }
    const int64_t len = r->offsets[i + 1] - r->offsets[i];
    double sum = 0.0;
    for (int64_t k = r->offsets[i]; k < r->offsets[i + 1]; ++k) sum += s[k];
    const double mean = len > 0 ? sum / static_cast<double>(len) : 0.0;
    double ss = 0.0;
    for (int64_t k = r->offsets[i]; k < r->offsets[i + 1]; ++k) ss += (s[k] - mean) * (s[k] - mean);
    const double std = len > 0 ? std::sqrt(ss / static_cast<double>(len)) : 0.0;
    if (!std::isfinite(mean) || !std::isfinite(std)) {
      return absl::InvalidArgumentError(
          absl::StrCat(DatasetName(d), ": record ", i, " has non-finite samples"));
    }
    r->mean[i] = mean;
    // A constant record would give NaN in the original (0/0); it keeps its zero-centred values.
    r->std[i] = std > 0.0 ? std : 1.0;
  }
  return r;
}

std::vector<EcgWindowRef> CutWindows(const EcgRecords& r, const std::vector<int64_t>& records) {
  std::vector<EcgWindowRef> out;
  for (int64_t rec : records) {
    const int64_t len = r.offsets[rec + 1] - r.offsets[rec];
    for (int64_t start : EcgWindowStarts(len, EcgStride(r.labels[rec]))) out.push_back({rec, start});
  }
  return out;
}

}  // namespace

int64_t EcgStride(int64_t label) {
  constexpr int64_t kBase = 500;
  switch (label) {
    case 0: return kBase;
    case 1: return kBase / 6;
    case 2: return kBase / 2;
    case 3: return kBase / 20;
  }
  NB_CHECK(false, "EcgStride: label ", label, " outside [0, 4)");
  return 0;
}

std::vector<int64_t> EcgWindowStarts(int64_t length, int64_t stride) {
  NB_CHECK(stride > 0, "EcgWindowStarts: stride ", stride);
  std::vector<int64_t> starts;
  for (int64_t s = 0; s < length - kEcgWindow; s += stride) starts.push_back(s);
  return starts;
}

EcgRecordSplits EcgSplitRecords(int64_t num_records, RunMode mode) {
  EcgRecordSplits out;
  if (mode == RunMode::kRetrain) {
    TrainTestIndices s = SklearnTrainTestSplit(num_records, 0.1, 0);
    out.train = std::move(s.train);
    out.test = std::move(s.test);
    return out;
  }
  TrainTestIndices first = SklearnTrainTestSplit(num_records, 0.2, 0);
  TrainTestIndices second = SklearnTrainTestSplit(static_cast<int64_t>(first.test.size()), 0.5, 0);
  out.train = std::move(first.train);
  for (int64_t i : second.train) out.val.push_back(first.test[i]);
  for (int64_t i : second.test) out.test.push_back(first.test[i]);
  return out;
}

int64_t EcgLabelIndex(std::string_view label) {
  if (label == "N") return 0;
  if (label == "A") return 1;
  if (label == "O") return 2;
  if (label == "~") return 3;
  return -1;
}

EcgTask::EcgTask() {
  info_.name = "ecg";
  info_.title = "ECG";
  info_.input_shape = {1, kEcgWindow};
  info_.output_shape = {kEcgClasses};
  info_.num_classes = kEcgClasses;
  info_.multi_label = false;
  info_.loss = LossKind::kCrossEntropy;
  info_.metric = "one_minus_f1";
  info_.dense = false;
  info_.one_d = true;
  info_.batch = {256, 128, 180, 256};
}

absl::StatusOr<TaskData> EcgTask::Build(const Dataset& data, const DataOptions& options) const {
  absl::StatusOr<std::shared_ptr<EcgRecords>> records = LoadRecords(data);
  if (!records.ok()) return records.status();
  const int64_t n = static_cast<int64_t>((*records)->labels.size());
  // Scikit-learn needs both parts of both splits non-empty.
  if (n < 10) {
    return absl::InvalidArgumentError(
        absl::StrCat(DatasetName(data), ": ", n, " records; the ECG splits need at least 10"));
  }
  const EcgRecordSplits splits = EcgSplitRecords(n, options.mode);
  std::vector<EcgWindowRef> train = CutWindows(**records, splits.train);
  // The original shuffles the training windows once (np.random.permutation); here from the run seed.
  Generator rng = Generator(options.seed).Fork("ecg/train_window_order");
  const std::vector<int64_t> perm = rng.Permutation(static_cast<int64_t>(train.size()));
  std::vector<EcgWindowRef> shuffled(train.size());
  for (size_t i = 0; i < perm.size(); ++i) shuffled[i] = train[perm[i]];

  TaskData out;
  out.train = std::make_shared<EcgWindowSet>(*records, std::move(shuffled));
  if (options.mode == RunMode::kSearch) {
    out.val = std::make_shared<EcgWindowSet>(*records, CutWindows(**records, splits.val));
  }
  out.test = std::make_shared<EcgWindowSet>(*records, CutWindows(**records, splits.test));
  out.augment_train = false;
  out.objective = std::make_shared<EcgObjective>();
  return out;
}

std::unique_ptr<Task> NewEcgTask() { return std::make_unique<EcgTask>(); }

}  // namespace nb360::tasks
