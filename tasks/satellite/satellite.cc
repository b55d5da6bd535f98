// tasks/satellite/satellite.cc: Satellite reader (np.save'd dicts), synthetic set, splits.
#include "tasks/satellite/satellite.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/rng.h"
#include "tasks/common/array_task.h"
#include "tasks/common/npy_value.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kL = SatelliteTask::kLength;

// Class c: a seasonal curve (two harmonics with class phases/weights); a sample is offset + scale ·
// (curve + noise), so only the shape (what z-normalisation keeps) tells the class.
std::pair<Tensor, Tensor> SyntheticSplit(Generator protos, Generator g, int64_t n) {
  const int64_t k = SatelliteTask::kClasses;
  std::vector<double> a1(k), a2(k), p1(k), p2(k);
  for (int64_t c = 0; c < k; ++c) {
    a1[c] = 0.5 + protos.NextDouble();
    a2[c] = protos.NextDouble();
    p1[c] = 2 * M_PI * protos.NextDouble();
    p2[c] = 2 * M_PI * protos.NextDouble();
  }
  Tensor noise = Tensor::Empty({n, kL}, DType::kFloat64);
  g.Normal(noise, 0.0, 0.3);
  const std::vector<int64_t> perm = g.Permutation(n);
  Tensor x = Tensor::Empty({n, kL}, DType::kFloat64);
  Tensor y = Tensor::Empty({n}, DType::kInt64);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = perm[i] % k;
    y.data<int64_t>()[i] = c;
    const double offset = 1000 * g.NextDouble(), scale = 50 + 500 * g.NextDouble();
    for (int64_t t = 0; t < kL; ++t) {
      const double w = 2 * M_PI * t / kL;
      const double curve = a1[c] * std::sin(w + p1[c]) + a2[c] * std::sin(2 * w + p2[c]);
      x.data<double>()[i * kL + t] = offset + scale * (curve + noise.data<double>()[i * kL + t]);
    }
  }
  return {x, y};
}

// One file -> (x float64 (N, 46), y int64 (N) = label - 1).
absl::StatusOr<std::pair<Tensor, Tensor>> ReadFile(const std::string& path, int64_t want, bool allow_mismatch,
                                                   int64_t* constant_rows) {
  absl::StatusOr<PyRef> root = ReadNpyValue(path);
  if (!root.ok()) return root.status();
  if ((*root)->kind != PyValue::Kind::kDict) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds a ", (*root)->Describe(),
                                                   ", expected a dict with 'data' and 'label' (np.save of a dict)"));
  }
  PyRef data = (*root)->Get("data"), label = (*root)->Get("label");
  if (data == nullptr || label == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the dict has no key '", data == nullptr ? "data" : "label",
                                                   "'"));
  }
  if (data->kind != PyValue::Kind::kNdArray || data->array_kind != PyValue::ArrayKind::kNumeric ||
      data->shape.size() != 2 || data->shape[1] != kL) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ['data'] is a ", data->Describe(), ", expected a numeric array (N, 46)"));
  }
  const int64_t n = data->shape[0];
  if (absl::Status s = CheckCount(absl::StrCat(path, ": ['data'] rows"), n, want, allow_mismatch); !s.ok()) return s;
  if (label->kind != PyValue::Kind::kNdArray || label->array_kind != PyValue::ArrayKind::kNumeric ||
      label->shape != Shape{n}) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ['label'] is a ", label->Describe(), ", expected a numeric array (", n, ")"));
  }
  Tensor x = data->tensor.To(DType::kFloat64).Contiguous();
  if (absl::Status s = CheckFinite(absl::StrCat(path, ": ['data']"), x); !s.ok()) return s;
  absl::StatusOr<Tensor> y = IntegerLabels(absl::StrCat(path, ": ['label']"), label->tensor, 1, SatelliteTask::kClasses);
  if (!y.ok()) return y.status();
  int64_t* yp = y->data<int64_t>();
  for (int64_t i = 0; i < n; ++i) yp[i] -= 1;
  const double* xp = x.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    const double* r = xp + i * kL;
    *constant_rows += std::all_of(r, r + kL, [&](double v) { return v == r[0]; });
  }
  return std::make_pair(x, *y);
}

std::shared_ptr<const SampleSet> SeriesSet(const ArrayView& x, const ArrayView& y) {
  SampleLayout layout{{1, kL}, {}, DType::kInt64, {}};
  return NewFnSampleSet(x.dim(0), layout, [x, y](int64_t i, Generator*, SampleOut* out) {
    ZNormalize(x.data<double>() + i * kL, kL, out->x);
    *static_cast<int64_t*>(out->y) = y.data<int64_t>()[i];
  });
}

}  // namespace

void ZNormalize(const double* x, int64_t n, float* out) {
  double mean = 0;
  for (int64_t t = 0; t < n; ++t) mean += x[t];
  mean /= static_cast<double>(n);
  double var = 0;
  for (int64_t t = 0; t < n; ++t) var += (x[t] - mean) * (x[t] - mean);
  const double sd = std::sqrt(var / static_cast<double>(n));
  for (int64_t t = 0; t < n; ++t) out[t] = sd > 0 ? static_cast<float>((x[t] - mean) / sd) : 0.f;
}

SatelliteTask::SatelliteTask() {
  info_.name = "satellite";
  info_.title = "Satellite";
  info_.input_shape = {1, kLength};
  info_.output_shape = {kClasses};
  info_.num_classes = kClasses;
  info_.loss = LossKind::kCrossEntropy;
  info_.metric = "error_pct";
  info_.one_d = true;
  info_.batch = {4096, 4096, 1024, 4096};
}

Dataset SatelliteTask::MakeSynthetic(const SyntheticOptions& options) const {
  const double f = options.fraction;
  const int64_t pool = SyntheticCount(kTrain, f, 1800, 90), test = SyntheticCount(kTest, f, 200, 10);
  const Generator root = Generator(options.seed).Fork("satellite/synthetic");
  auto [tx, ty] = SyntheticSplit(root.Fork("prototypes"), root.Fork("train"), pool);
  auto [sx, sy] = SyntheticSplit(root.Fork("prototypes"), root.Fork("test"), test);
  DatasetManifest m{"satellite", "synthetic",
                    absl::StrCat("synthetic Satellite-shaped series (seed ", options.seed, ", ", pool, " train / ", test,
                                 " test): per-class two-harmonic curve plus noise, random offset and scale")};
  return InMemoryDataset(m, {{"train_x", tx}, {"train_y", ty}, {"test_x", sx}, {"test_y", sy}});
}

absl::Status SatelliteTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                    const PrepareOptions& options) const {
  int64_t constant = 0;
  auto train = ReadFile(absl::StrCat(raw_dir, "/satellite_train.npy"), kTrain, options.allow_count_mismatch, &constant);
  if (!train.ok()) return train.status();
  auto test = ReadFile(absl::StrCat(raw_dir, "/satellite_test.npy"), kTest, options.allow_count_mismatch, &constant);
  if (!test.ok()) return test.status();
  DatasetManifest m{"satellite", "real",
                    absl::StrCat("Satellite from satellite_{train,test}.npy in ", raw_dir, " (",
                                 train->first.shape()[0], " / ", test->first.shape()[0], " rows",
                                 options.allow_count_mismatch ? ", counts not checked" : "",
                                 "); series float64 as stored, labels - 1; ", constant,
                                 " constant series (normalised to zeros)")};
  return WriteDataset(out_dir, m,
                      {{"train_x", train->first}, {"train_y", train->second}, {"test_x", test->first},
                       {"test_y", test->second}});
}

absl::StatusOr<TaskData> SatelliteTask::Build(const Dataset& data, const DataOptions& options) const {
  std::map<std::string, ArrayView> v;
  for (const char* split : {"train", "test"}) {
    const std::string xn = absl::StrCat(split, "_x"), yn = absl::StrCat(split, "_y");
    auto x = GetArrayChecked(data, xn, {DType::kFloat64}, {kLength});
    if (!x.ok()) return x.status();
    auto y = GetArrayChecked(data, yn, {DType::kInt64}, {});
    if (!y.ok()) return y.status();
    if (absl::Status s = CheckSameRows(data, xn, *x, yn, *y); !s.ok()) return s;
    v[xn] = *x;
    v[yn] = *y;
  }
  auto pool = SeriesSet(v["train_x"], v["train_y"]);
  TaskData out;
  out.augment_train = false;
  out.test = SeriesSet(v["test_x"], v["test_y"]);
  if (options.mode == RunMode::kSearch) {
    const int64_t n = pool->size(), n_val = out.test->size();  // the original: len(test) = 100,000
    if (n_val >= n) {
      return absl::InvalidArgumentError(absl::StrCat(DatasetLabel(data), ": ", n, " training rows cannot hold a ",
                                                     "validation split as large as the ", n_val, " test rows"));
    }
    out.train = Range(pool, 0, n - n_val);
    out.val = Range(pool, n - n_val, n);
  } else {
    out.train = pool;
  }
  out.objective = std::make_shared<ClassificationObjective>();
  return out;
}

std::unique_ptr<Task> NewSatelliteTask() { return std::make_unique<SatelliteTask>(); }

}  // namespace nb360::tasks
