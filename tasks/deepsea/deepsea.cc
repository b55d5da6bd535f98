// tasks/deepsea/deepsea.cc: DeepSEA reader, synthetic set, splits, BCE objective.
#include "tasks/deepsea/deepsea.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/npz.h"
#include "engine/rng.h"
#include "ops/loss.h"
#include "tasks/common/array_task.h"
#include "tasks/common/metrics.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kL = DeepSeaTask::kLength, kB = DeepSeaTask::kBases, kK = DeepSeaTask::kLabels;
constexpr int64_t kMotif = 8;
constexpr int64_t kMotifCopies = 4;  // copies of a label's motif in a positive sequence
const char* const kSplits[] = {"train", "val", "test"};

class BceObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override {
    return BinaryCrossEntropyWithLogits(output, batch.y);
  }
  std::unique_ptr<Metric> NewMetric(Split) const override { return std::make_unique<MultiLabelAucMetric>(); }
};

// Random one-hot DNA; label k is 1 when motif k (8 bases) was planted at a random position (p = 1/4).
std::pair<Tensor, Tensor> SyntheticSplit(const std::vector<int64_t>& motifs, Generator g, int64_t n) {
  Tensor x = Tensor::Zeros({n, kL, kB}, DType::kUInt8);
  Tensor y = Tensor::Zeros({n, kK}, DType::kUInt8);
  uint8_t* xp = x.data<uint8_t>();
  uint8_t* yp = y.data<uint8_t>();
  std::vector<int64_t> seq(kL);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < kL; ++p) seq[p] = g.RandInt(kB);
    for (int64_t k = 0; k < kK; ++k) {
      if (g.NextDouble() >= 0.25) continue;
      yp[i * kK + k] = 1;
      for (int64_t copy = 0; copy < kMotifCopies; ++copy) {
        const int64_t at = g.RandInt(kL - kMotif + 1);
        for (int64_t j = 0; j < kMotif; ++j) seq[at + j] = motifs[k * kMotif + j];
      }
    }
    for (int64_t p = 0; p < kL; ++p) xp[(i * kL + p) * kB + seq[p]] = 1;
  }
  return {x, y};
}

template <class T>
absl::Status CheckBinary(const std::string& what, const T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] != T(0) && p[i] != T(1)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": value ", static_cast<double>(p[i]), " at flat index ", i,
                                                     " is not 0 or 1"));
    }
  }
  return absl::OkStatus();
}

// `t` as uint8 after checking every value is 0 or 1 (no wide copy: x_test has 600 M elements).
absl::StatusOr<Tensor> Binary(const std::string& what, const Tensor& t) {
  Tensor c = t.Contiguous();
  const int64_t n = c.numel();
  absl::Status s;
  switch (c.dtype()) {
    case DType::kBool: return c.To(DType::kUInt8);
    case DType::kUInt8: s = CheckBinary(what, c.data<uint8_t>(), n); break;
    case DType::kInt32: s = CheckBinary(what, c.data<int32_t>(), n); break;
    case DType::kInt64: s = CheckBinary(what, c.data<int64_t>(), n); break;
    case DType::kFloat32: s = CheckBinary(what, c.data<float>(), n); break;
    case DType::kFloat64: s = CheckBinary(what, c.data<double>(), n); break;
  }
  if (!s.ok()) return s;
  return c.dtype() == DType::kUInt8 ? c : c.To(DType::kUInt8);
}

absl::StatusOr<Tensor> Member(std::map<std::string, Tensor>& npz, const std::string& path, const std::string& key,
                              const Shape& sample_shape, int64_t want_rows, bool allow_mismatch) {
  auto it = npz.find(key);
  if (it == npz.end()) return absl::NotFoundError(absl::StrCat(path, ": member '", key, ".npy' is missing"));
  Tensor t = std::move(it->second);
  npz.erase(it);
  const std::string what = absl::StrCat(path, ": ", key);
  Shape want = {-1};
  want.insert(want.end(), sample_shape.begin(), sample_shape.end());
  bool ok = t.dim() == static_cast<int64_t>(want.size());
  for (size_t i = 1; ok && i < want.size(); ++i) ok = t.shape()[i] == want[i];
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": shape ", ShapeString(t.shape()), ", expected (N, ",
                                                   absl::StrJoin(sample_shape, ", "), ")"));
  }
  if (absl::Status s = CheckCount(what, t.shape()[0], want_rows, allow_mismatch); !s.ok()) return s;
  return Binary(what, t);
}

std::shared_ptr<const SampleSet> ArraySet(const ArrayView& x, const ArrayView& y) {
  SampleLayout layout{{kB, kL}, {kK}, DType::kFloat32, {}};
  return NewFnSampleSet(x.dim(0), layout, [x, y](int64_t i, Generator*, SampleOut* out) {
    const uint8_t* xs = x.data<uint8_t>() + i * kL * kB;
    for (int64_t p = 0; p < kL; ++p) {
      for (int64_t b = 0; b < kB; ++b) out->x[b * kL + p] = xs[p * kB + b];
    }
    const uint8_t* ys = y.data<uint8_t>() + i * kK;
    float* yo = static_cast<float*>(out->y);
    for (int64_t k = 0; k < kK; ++k) yo[k] = ys[k];
  });
}

}  // namespace

DeepSeaTask::DeepSeaTask() {
  info_.name = "deepsea";
  info_.title = "DeepSEA";
  info_.input_shape = {kBases, kLength};
  info_.output_shape = {kLabels};
  info_.num_classes = kLabels;
  info_.multi_label = true;
  info_.loss = LossKind::kBceWithLogits;
  info_.metric = "one_minus_auroc";
  info_.one_d = true;
  info_.batch = {256, 128, 64, 256};
}

Dataset DeepSeaTask::MakeSynthetic(const SyntheticOptions& options) const {
  const double f = options.fraction;
  const int64_t sizes[3] = {SyntheticCount(kTrain, f, 512, 64), SyntheticCount(kVal, f, 128, 32), SyntheticCount(kTest, f, 256, 64)};
  const Generator root = Generator(options.seed).Fork("deepsea/synthetic");
  Generator mg = root.Fork("motifs");
  std::vector<int64_t> motifs(kLabels * kMotif);
  for (int64_t& m : motifs) m = mg.RandInt(kBases);
  std::map<std::string, Tensor> arrays;
  for (int s = 0; s < 3; ++s) {
    auto [x, y] = SyntheticSplit(motifs, root.Fork(kSplits[s]), sizes[s]);
    arrays[absl::StrCat(kSplits[s], "_x")] = x;
    arrays[absl::StrCat(kSplits[s], "_y")] = y;
  }
  DatasetManifest m{"deepsea", "synthetic",
                    absl::StrCat("synthetic DeepSEA-shaped data (seed ", options.seed, ", ", sizes[0], "/", sizes[1],
                                 "/", sizes[2], " samples): random one-hot DNA, label k = an 8-base motif k ",
                                 "planted at 4 random positions (p = 1/4)")};
  return InMemoryDataset(m, arrays);
}

absl::Status DeepSeaTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                  const PrepareOptions& options) const {
  const std::string path = absl::StrCat(raw_dir, "/deepsea_filtered.npz");
  absl::StatusOr<std::map<std::string, Tensor>> npz = io::ReadNpzMap(path);
  if (!npz.ok()) return npz.status();
  const int64_t want[3] = {kTrain, kVal, kTest};
  std::map<std::string, Tensor> arrays;
  std::string counts;
  for (int s = 0; s < 3; ++s) {
    const std::string split = kSplits[s];
    auto x = Member(*npz, path, "x_" + split, {kLength, kBases}, want[s], options.allow_count_mismatch);
    if (!x.ok()) return x.status();
    auto y = Member(*npz, path, "y_" + split, {kLabels}, want[s], options.allow_count_mismatch);
    if (!y.ok()) return y.status();
    if (x->shape()[0] != y->shape()[0]) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": x_", split, " has ", x->shape()[0], " rows but y_",
                                                     split, " has ", y->shape()[0]));
    }
    arrays[split + "_x"] = *x;
    arrays[split + "_y"] = *y;
    absl::StrAppend(&counts, s == 0 ? "" : "/", x->shape()[0]);
  }
  DatasetManifest m{"deepsea", "real",
                    absl::StrCat("DeepSEA from ", path, " (", counts, " samples",
                                 options.allow_count_mismatch ? ", counts not checked" : "",
                                 "); x (N, 1000, 4) and y (N, 36) stored as uint8 0/1")};
  return WriteDataset(out_dir, m, arrays);
}

absl::StatusOr<TaskData> DeepSeaTask::Build(const Dataset& data, const DataOptions& options) const {
  std::map<std::string, ArrayView> v;
  for (const char* split : kSplits) {
    const std::string xn = absl::StrCat(split, "_x"), yn = absl::StrCat(split, "_y");
    auto x = GetArrayChecked(data, xn, {DType::kUInt8}, {kLength, kBases});
    if (!x.ok()) return x.status();
    auto y = GetArrayChecked(data, yn, {DType::kUInt8}, {kLabels});
    if (!y.ok()) return y.status();
    if (absl::Status s = CheckSameRows(data, xn, *x, yn, *y); !s.ok()) return s;
    v[xn] = *x;
    v[yn] = *y;
  }
  TaskData out;
  out.augment_train = false;
  out.train = ArraySet(v["train_x"], v["train_y"]);
  if (options.mode == RunMode::kSearch) out.val = ArraySet(v["val_x"], v["val_y"]);
  out.test = ArraySet(v["test_x"], v["test_y"]);
  out.objective = std::make_shared<BceObjective>();
  return out;
}

std::unique_ptr<Task> NewDeepSeaTask() { return std::make_unique<DeepSeaTask>(); }

}  // namespace nb360::tasks
