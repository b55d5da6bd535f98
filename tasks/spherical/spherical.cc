// tasks/spherical/spherical.cc: Spherical CIFAR-100 reader (gzip'd pickle), synthetic set, splits.
#include "tasks/spherical/spherical.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/rng.h"
#include "tasks/cifar100/synthetic_images.h"
#include "tasks/common/array_task.h"
#include "tasks/common/pickle.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kS = SphericalTask::kSize;
constexpr int64_t kPixels = 3 * kS * kS;

absl::StatusOr<Tensor> Labels(const std::string& what, const PyValue& v, int64_t n) {
  Tensor raw;
  if (v.kind == PyValue::Kind::kNdArray && v.array_kind == PyValue::ArrayKind::kNumeric && v.shape.size() == 1) {
    raw = v.tensor;
  } else if (v.kind == PyValue::Kind::kList || v.kind == PyValue::Kind::kTuple) {
    raw = Tensor::Empty({static_cast<int64_t>(v.items.size())}, DType::kInt64);
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (v.items[i]->kind != PyValue::Kind::kInt) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": label ", i, " is a ", v.items[i]->Describe(), ", expected an int"));
      }
      raw.data<int64_t>()[i] = v.items[i]->integer;
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": is a ", v.Describe(), ", expected a 1-D integer array or a list of ints"));
  }
  if (raw.numel() != n) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", raw.numel(), " labels for ", n, " images"));
  }
  return IntegerLabels(what, raw, 0, SphericalTask::kClasses - 1);
}

// root[split] -> (x uint8 or float32 (N, 3, 60, 60), y int64 (N)).
absl::StatusOr<std::pair<Tensor, Tensor>> ReadSplit(const std::string& path, const PyValue& root,
                                                    const std::string& split, int64_t want, bool allow_mismatch) {
  const std::string where = absl::StrCat(path, ": ['", split, "']");
  PyRef d = root.Get(split);
  if (d == nullptr) return absl::InvalidArgumentError(absl::StrCat(path, ": the dict has no key '", split, "'"));
  if (d->kind != PyValue::Kind::kDict) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is a ", d->Describe(), ", expected a dict"));
  }
  PyRef images = d->Get("images"), labels = d->Get("labels");
  if (images == nullptr || labels == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has no key '", images == nullptr ? "images" : "labels", "'"));
  }
  const std::string iwhat = absl::StrCat(where, "['images']");
  if (images->kind != PyValue::Kind::kNdArray || images->array_kind != PyValue::ArrayKind::kNumeric ||
      images->shape.size() != 4 || images->shape[1] != 3 || images->shape[2] != kS || images->shape[3] != kS) {
    return absl::InvalidArgumentError(
        absl::StrCat(iwhat, " is a ", images->Describe(), ", expected a numeric array (N, 3, 60, 60)"));
  }
  const int64_t n = images->shape[0];
  if (absl::Status s = CheckCount(iwhat, n, want, allow_mismatch); !s.ok()) return s;
  Tensor x;
  const DType dt = images->tensor.dtype();
  if (dt == DType::kUInt8) {
    x = images->tensor.Contiguous();
  } else if (dt == DType::kFloat32 || dt == DType::kFloat64) {
    if (absl::Status s = CheckFinite(iwhat, images->tensor); !s.ok()) return s;
    x = images->tensor.To(DType::kFloat32).Contiguous();
  } else {
    return absl::InvalidArgumentError(absl::StrCat(iwhat, " has dtype ", images->descr,
                                                   ", expected uint8 or a float type"));
  }
  absl::StatusOr<Tensor> y = Labels(absl::StrCat(where, "['labels']"), *labels, n);
  if (!y.ok()) return y.status();
  return std::make_pair(x, *y);
}

std::shared_ptr<const SampleSet> ImageSet(const ArrayView& x, const ArrayView& y) {
  SampleLayout layout{{3, kS, kS}, {}, DType::kInt64, {}};
  return NewFnSampleSet(x.dim(0), layout, [x, y](int64_t i, Generator*, SampleOut* out) {
    if (x.dtype == DType::kUInt8) {
      const uint8_t* src = x.data<uint8_t>() + i * kPixels;
      for (int64_t k = 0; k < kPixels; ++k) out->x[k] = static_cast<float>(src[k]);
    } else {
      const float* src = x.data<float>() + i * kPixels;
      std::copy(src, src + kPixels, out->x);
    }
    *static_cast<int64_t*>(out->y) = y.data<int64_t>()[i];
  });
}

}  // namespace

SphericalTask::SphericalTask() {
  info_.name = "spherical";
  info_.title = "Spherical CIFAR-100";
  info_.input_shape = {3, kSize, kSize};
  info_.output_shape = {kClasses};
  info_.num_classes = kClasses;
  info_.loss = LossKind::kCrossEntropy;
  info_.metric = "error_pct";
  info_.batch = {128, 64, 64, 128};
}

Dataset SphericalTask::MakeSynthetic(const SyntheticOptions& options) const {
  const double f = options.fraction;
  const int64_t pool = SyntheticCount(kTrain, f, 500, 50), test = SyntheticCount(kTest, f, 100, 10);
  const Generator root = Generator(options.seed).Fork("spherical/synthetic");
  auto [tx, ty] = SyntheticImages(root.Fork("prototypes"), root.Fork("train"), pool, kClasses, kSize);
  auto [sx, sy] = SyntheticImages(root.Fork("prototypes"), root.Fork("test"), test, kClasses, kSize);
  DatasetManifest m{"spherical", "synthetic",
                    absl::StrCat("synthetic Spherical-CIFAR-100-shaped uint8 images (seed ", options.seed, ", ", pool,
                                 " train / ", test, " test): per-class colour and stripe pattern plus noise, ",
                                 "planar (no spherical projection)")};
  return InMemoryDataset(m, {{"train_x", tx}, {"train_y", ty}, {"test_x", sx}, {"test_y", sy}});
}

absl::Status SphericalTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                    const PrepareOptions& options) const {
  const std::string path = absl::StrCat(raw_dir, "/s2_cifar100.gz");
  absl::StatusOr<PyRef> root = ReadPickle(path);
  if (!root.ok()) return root.status();
  if ((*root)->kind != PyValue::Kind::kDict) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds a ", (*root)->Describe(), ", expected a dict"));
  }
  auto train = ReadSplit(path, **root, "train", kTrain, options.allow_count_mismatch);
  if (!train.ok()) return train.status();
  auto test = ReadSplit(path, **root, "test", kTest, options.allow_count_mismatch);
  if (!test.ok()) return test.status();
  root->reset();
  DatasetManifest m{"spherical", "real",
                    absl::StrCat("Spherical CIFAR-100 from ", path, " (", train->first.shape()[0], " / ",
                                 test->first.shape()[0], " images",
                                 options.allow_count_mismatch ? ", counts not checked" : "", "); images stored as ",
                                 std::string(DTypeName(train->first.dtype())), " (N, 3, 60, 60)")};
  return WriteDataset(out_dir, m,
                      {{"train_x", train->first}, {"train_y", train->second}, {"test_x", test->first},
                       {"test_y", test->second}});
}

absl::StatusOr<TaskData> SphericalTask::Build(const Dataset& data, const DataOptions& options) const {
  std::map<std::string, ArrayView> v;
  for (const char* split : {"train", "test"}) {
    const std::string xn = absl::StrCat(split, "_x"), yn = absl::StrCat(split, "_y");
    auto x = GetArrayChecked(data, xn, {DType::kUInt8, DType::kFloat32}, {3, kSize, kSize});
    if (!x.ok()) return x.status();
    auto y = GetArrayChecked(data, yn, {DType::kInt64}, {});
    if (!y.ok()) return y.status();
    if (absl::Status s = CheckSameRows(data, xn, *x, yn, *y); !s.ok()) return s;
    v[xn] = *x;
    v[yn] = *y;
  }
  auto pool = ImageSet(v["train_x"], v["train_y"]);
  TaskData out;
  out.augment_train = false;
  if (options.mode == RunMode::kSearch) {
    const int64_t n = pool->size();
    const int64_t n_train = static_cast<int64_t>(0.8 * static_cast<double>(n));  // int(0.8 * 50,000) = 40,000
    out.train = Range(pool, 0, n_train);
    out.val = Range(pool, n_train, n);
  } else {
    out.train = pool;
  }
  out.test = ImageSet(v["test_x"], v["test_y"]);
  out.objective = std::make_shared<ClassificationObjective>();
  return out;
}

std::unique_ptr<Task> NewSphericalTask() { return std::make_unique<SphericalTask>(); }

}  // namespace nb360::tasks
