// tasks/ninapro/ninapro.cc: NinaPro DB5 reader, synthetic set and splits.
#include "tasks/ninapro/ninapro.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/rng.h"
#include "tasks/common/array_task.h"
#include "tasks/common/npy_value.h"
#include "tasks/common/pickle.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kSample = NinaProTask::kElectrodes * NinaProTask::kTime;
const char* const kSplits[] = {"train", "val", "test"};

// x (n, 1, 16, 52): per class a gain per electrode and a frequency; noise on top.
std::pair<Tensor, Tensor> SyntheticSplit(Generator protos, Generator g, int64_t n) {
  const int64_t k = NinaProTask::kClasses;
  Tensor gain = Tensor::Empty({k, NinaProTask::kElectrodes});
  protos.Uniform(gain, 0.2, 1.5);
  Tensor freq = Tensor::Empty({k});
  protos.Uniform(freq, 1.0, 8.0);
  Tensor x = Tensor::Empty({n, 1, NinaProTask::kElectrodes, NinaProTask::kTime});
  g.Normal(x, 0.0, 0.35);
  Tensor y = Tensor::Empty({n}, DType::kInt64);
  const std::vector<int64_t> perm = g.Permutation(n);
  float* xp = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = perm[i] % k;
    y.data<int64_t>()[i] = c;
    const double phase = g.NextDouble() * 2 * M_PI;
    const float* gc = gain.data<float>() + c * NinaProTask::kElectrodes;
    for (int64_t e = 0; e < NinaProTask::kElectrodes; ++e) {
      for (int64_t t = 0; t < NinaProTask::kTime; ++t) {
        xp[(i * NinaProTask::kElectrodes + e) * NinaProTask::kTime + t] +=
            gc[e] * static_cast<float>(std::sin(2 * M_PI * freq.data<float>()[c] * t / NinaProTask::kTime + phase));
      }
    }
  }
  return {x, y};
}

// A numeric .npy array of any dtype (the original loads with allow_pickle=True, encoding="bytes").
absl::StatusOr<Tensor> ReadNumeric(const std::string& path) {
  absl::StatusOr<PyRef> v = ReadNpyValue(path);
  if (!v.ok()) return v.status();
  if ((*v)->kind != PyValue::Kind::kNdArray || (*v)->array_kind != PyValue::ArrayKind::kNumeric) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds a ", (*v)->Describe(), ", expected a numeric array"));
  }
  return (*v)->tensor;
}

// Reads ninapro_<split>.npy / label_<split>.npy into (x (N, 1, 16, 52) float32, y int64).
absl::StatusOr<std::pair<Tensor, Tensor>> ReadSplit(const std::string& raw_dir, const std::string& split,
                                                    int64_t want, bool allow_mismatch) {
  const std::string xpath = absl::StrCat(raw_dir, "/ninapro_", split, ".npy");
  const std::string ypath = absl::StrCat(raw_dir, "/label_", split, ".npy");
  absl::StatusOr<Tensor> x = ReadNumeric(xpath);
  if (!x.ok()) return x.status();
  absl::StatusOr<Tensor> y = ReadNumeric(ypath);
  if (!y.ok()) return y.status();
  if (x->dtype() != DType::kFloat64 && x->dtype() != DType::kFloat32) {
    return absl::InvalidArgumentError(
        absl::StrCat(xpath, ": dtype ", std::string(DTypeName(x->dtype())), ", expected float64 or float32"));
  }
  if (x->dim() != 3 || x->shape()[1] != NinaProTask::kTime || x->shape()[2] != NinaProTask::kElectrodes) {
    return absl::InvalidArgumentError(
        absl::StrCat(xpath, ": shape ", ShapeString(x->shape()), ", expected (N, 52, 16)"));
  }
  const int64_t n = x->shape()[0];
  if (absl::Status s = CheckCount(absl::StrCat(xpath, ": rows"), n, want, allow_mismatch); !s.ok()) return s;
  if (y->dim() != 1 || y->shape()[0] != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(ypath, ": shape ", ShapeString(y->shape()), ", expected (", n, ") to match ", xpath));
  }
  if (absl::Status s = CheckFinite(xpath, *x); !s.ok()) return s;
  absl::StatusOr<Tensor> labels = IntegerLabels(ypath, *y, 0, NinaProTask::kClasses - 1);
  if (!labels.ok()) return labels.status();
  // (N, 52, 16) -> (N, 1, 16, 52), float32.
  Tensor out = x->To(DType::kFloat32).Permute({0, 2, 1}).Contiguous().Reshape(
      {n, 1, NinaProTask::kElectrodes, NinaProTask::kTime});
  return std::make_pair(out, *labels);
}

std::shared_ptr<const SampleSet> ArraySet(std::vector<std::pair<ArrayView, ArrayView>> parts) {
  int64_t n = 0;
  for (const auto& p : parts) n += p.first.dim(0);
  SampleLayout layout{{1, NinaProTask::kElectrodes, NinaProTask::kTime}, {}, DType::kInt64, {}};
  return NewFnSampleSet(n, layout, [parts](int64_t i, Generator*, SampleOut* out) {
    for (const auto& [x, y] : parts) {
      if (i < x.dim(0)) {
        std::memcpy(out->x, x.data<float>() + i * kSample, sizeof(float) * kSample);
        *static_cast<int64_t*>(out->y) = y.data<int64_t>()[i];
        return;
      }
      i -= x.dim(0);
    }
    NB_CHECK(false, "NinaPro sample index out of range");
  });
}

}  // namespace

NinaProTask::NinaProTask() {
  info_.name = "ninapro";
  info_.title = "NinaPro DB5";
  info_.input_shape = {1, kElectrodes, kTime};
  info_.output_shape = {kClasses};
  info_.num_classes = kClasses;
  info_.loss = LossKind::kCrossEntropy;
  info_.metric = "error_pct";
  info_.batch = {128, 256, 128, 128};
}

Dataset NinaProTask::MakeSynthetic(const SyntheticOptions& options) const {
  const double f = options.fraction;
  const int64_t sizes[3] = {SyntheticCount(kTrain, f, 264, 36), SyntheticCount(kVal, f, 66, 18), SyntheticCount(kTest, f, 66, 18)};
  const Generator root = Generator(options.seed).Fork("ninapro/synthetic");
  const Generator protos = root.Fork("prototypes");
  std::map<std::string, Tensor> arrays;
  for (int s = 0; s < 3; ++s) {
    auto [x, y] = SyntheticSplit(protos, root.Fork(kSplits[s]), sizes[s]);
    arrays[absl::StrCat(kSplits[s], "_x")] = x;
    arrays[absl::StrCat(kSplits[s], "_y")] = y;
  }
  DatasetManifest m{"ninapro", "synthetic",
                    absl::StrCat("synthetic NinaPro-shaped data (seed ", options.seed, ", ", sizes[0], "/", sizes[1],
                                 "/", sizes[2],
                                 " samples): per-class electrode gains and sine frequency plus Gaussian noise")};
  return InMemoryDataset(m, arrays);
}

absl::Status NinaProTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                  const PrepareOptions& options) const {
  const int64_t want[3] = {kTrain, kVal, kTest};
  std::map<std::string, Tensor> arrays;
  std::string counts;
  for (int s = 0; s < 3; ++s) {
    auto split = ReadSplit(raw_dir, kSplits[s], want[s], options.allow_count_mismatch);
    if (!split.ok()) return split.status();
    arrays[absl::StrCat(kSplits[s], "_x")] = split->first;
    arrays[absl::StrCat(kSplits[s], "_y")] = split->second;
    absl::StrAppend(&counts, s == 0 ? "" : "/", split->first.shape()[0]);
  }
  DatasetManifest m{"ninapro", "real",
                    absl::StrCat("NinaPro DB5 from ninapro_{train,val,test}.npy + label_*.npy in ", raw_dir, " (",
                                 counts, " samples", options.allow_count_mismatch ? ", counts not checked" : "",
                                 "); x transposed to (N, 1, 16, 52) float32")};
  return WriteDataset(out_dir, m, arrays);
}

absl::StatusOr<TaskData> NinaProTask::Build(const Dataset& data, const DataOptions& options) const {
  std::map<std::string, ArrayView> v;
  for (const char* split : kSplits) {
    const std::string xn = absl::StrCat(split, "_x"), yn = absl::StrCat(split, "_y");
    auto x = GetArrayChecked(data, xn, {DType::kFloat32}, {1, kElectrodes, kTime});
    if (!x.ok()) return x.status();
    auto y = GetArrayChecked(data, yn, {DType::kInt64}, {});
    if (!y.ok()) return y.status();
    if (absl::Status s = CheckSameRows(data, xn, *x, yn, *y); !s.ok()) return s;
    v[xn] = *x;
    v[yn] = *y;
  }
  TaskData out;
  out.augment_train = false;
  if (options.mode == RunMode::kSearch) {
    out.train = ArraySet({{v["train_x"], v["train_y"]}});
    out.val = ArraySet({{v["val_x"], v["val_y"]}});
  } else {
    out.train = ArraySet({{v["train_x"], v["train_y"]}, {v["val_x"], v["val_y"]}});
  }
  out.test = ArraySet({{v["test_x"], v["test_y"]}});
  out.objective = std::make_shared<ClassificationObjective>();
  return out;
}

std::unique_ptr<Task> NewNinaProTask() { return std::make_unique<NinaProTask>(); }

}  // namespace nb360::tasks
