// tasks/cifar100/cifar100.cc: CIFAR-100 reader (tar.gz of Python 2 pickles), synthetic set, splits
// and the crop / flip / normalise / Cutout pipeline.
#include "tasks/cifar100/cifar100.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "engine/rng.h"
#include "tasks/cifar100/synthetic_images.h"
#include "tasks/common/array_task.h"
#include "tasks/common/augment.h"
#include "tasks/common/gzip.h"
#include "tasks/common/pickle.h"
#include "tasks/common/tar.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kS = Cifar100Task::kSize;
constexpr int64_t kPixels = 3 * kS * kS;

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The bytes of the `train` and `test` pickles, keyed by name, plus the name each is known by in errors.
struct RawBatches {
  std::map<std::string, std::string> bytes;
  std::map<std::string, std::string> label;
};

absl::StatusOr<RawBatches> ReadBatches(const std::string& raw_dir) {
  RawBatches out;
  const std::string tgz = absl::StrCat(raw_dir, "/cifar-100-python.tar.gz");
  const std::string dir = absl::StrCat(raw_dir, "/cifar-100-python");
  if (std::filesystem::exists(tgz)) {
    absl::StatusOr<std::string> packed = io::ReadFile(tgz);
    if (!packed.ok()) return packed.status();
    absl::StatusOr<std::string> tar = Gunzip(*packed, tgz);
    if (!tar.ok()) return tar.status();
    packed->clear();
    absl::Status s = ForEachTarMemberInBytes(
        *tar, tgz, [&](const TarEntry& e, const TarDataReader& read) -> absl::Status {
          const std::string base = BaseName(e.name);
          if (e.is_directory || (base != "train" && base != "test") || out.bytes.count(base)) {
            return absl::OkStatus();
          }
          absl::StatusOr<std::string> data = read.ReadAll();
          if (!data.ok()) return data.status();
          out.bytes[base] = *std::move(data);
          out.label[base] = absl::StrCat(tgz, ":", e.name);
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    for (const char* name : {"train", "test"}) {
      if (!out.bytes.count(name)) {
        return absl::NotFoundError(absl::StrCat(tgz, ": no member cifar-100-python/", name));
      }
    }
    return out;
  }
  if (std::filesystem::is_directory(dir)) {
    for (const char* name : {"train", "test"}) {
      const std::string path = absl::StrCat(dir, "/", name);
      absl::StatusOr<std::string> data = io::ReadFile(path);
      if (!data.ok()) return data.status();
      out.bytes[name] = *std::move(data);
      out.label[name] = path;
    }
    return out;
  }
  return absl::NotFoundError(absl::StrCat(raw_dir, ": neither cifar-100-python.tar.gz nor an extracted ",
                                          "cifar-100-python/ directory is there"));
}

// Labels from a list of ints or a 1-D numeric array.
absl::StatusOr<Tensor> LabelTensor(const std::string& what, const PyValue& v) {
  if (v.kind == PyValue::Kind::kNdArray && v.array_kind == PyValue::ArrayKind::kNumeric && v.shape.size() == 1) {
    return v.tensor;
  }
  if (v.kind == PyValue::Kind::kList || v.kind == PyValue::Kind::kTuple) {
    Tensor t = Tensor::Empty({static_cast<int64_t>(v.items.size())}, DType::kInt64);
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (v.items[i]->kind != PyValue::Kind::kInt) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": label ", i, " is a ", v.items[i]->Describe(), ", expected an int"));
      }
      t.data<int64_t>()[i] = v.items[i]->integer;
    }
    return t;
  }
  return absl::InvalidArgumentError(absl::StrCat(what, ": is a ", v.Describe(), ", expected a list of ints"));
}

// One batch pickle -> (x uint8 (N, 3, 32, 32), y int64 (N)).
absl::StatusOr<std::pair<Tensor, Tensor>> ParseBatch(const std::string& bytes, const std::string& name, int64_t want,
                                                     bool allow_mismatch) {
  absl::StatusOr<PyRef> root = Unpickle(bytes, name);
  if (!root.ok()) return root.status();
  if ((*root)->kind != PyValue::Kind::kDict) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": holds a ", (*root)->Describe(), ", expected a dict"));
  }
  PyRef data = (*root)->Get("data");
  PyRef labels = (*root)->Get("fine_labels");
  if (data == nullptr || labels == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": the dict lacks b'", data == nullptr ? "data" : "fine_labels",
                                                   "'"));
  }
  if (data->kind != PyValue::Kind::kNdArray || data->array_kind != PyValue::ArrayKind::kNumeric ||
      data->tensor.dtype() != DType::kUInt8 || data->shape.size() != 2 || data->shape[1] != kPixels) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": b'data' is a ", data->Describe(), ", expected a uint8 array (N, 3072)"));
  }
  const int64_t n = data->shape[0];
  if (absl::Status s = CheckCount(absl::StrCat(name, ": b'data' rows"), n, want, allow_mismatch); !s.ok()) return s;
  const std::string lwhat = absl::StrCat(name, ": b'fine_labels'");
  absl::StatusOr<Tensor> raw_labels = LabelTensor(lwhat, *labels);
  if (!raw_labels.ok()) return raw_labels.status();
  if (raw_labels->numel() != n) {
    return absl::InvalidArgumentError(absl::StrCat(lwhat, ": ", raw_labels->numel(), " labels for ", n, " images"));
  }
  absl::StatusOr<Tensor> y = IntegerLabels(lwhat, *raw_labels, 0, Cifar100Task::kClasses - 1);
  if (!y.ok()) return y.status();
  return std::make_pair(data->tensor.Contiguous().Reshape({n, 3, kS, kS}), *y);
}

std::shared_ptr<const SampleSet> ImageSet(const ArrayView& x, const ArrayView& y, bool cutout) {
  SampleLayout layout{{3, kS, kS}, {}, DType::kInt64, {}};
  return NewFnSampleSet(x.dim(0), layout, [x, y, cutout](int64_t i, Generator* rng, SampleOut* out) {
    const uint8_t* src = x.data<uint8_t>() + i * kPixels;
    for (int64_t k = 0; k < kPixels; ++k) out->x[k] = static_cast<float>(src[k]) / 255.f;
    if (rng != nullptr) {
      RandomCropWithPadding(out->x, 3, kS, kS, 4, rng);
      RandomHorizontalFlip(out->x, 3, kS, kS, 0.5, rng);
    }
    NormalizeChannels(out->x, 3, kS * kS, Cifar100Task::kMean, Cifar100Task::kStd);
    if (rng != nullptr && cutout) Cutout(out->x, 3, kS, kS, 16, rng);
    *static_cast<int64_t*>(out->y) = y.data<int64_t>()[i];
  });
}

}  // namespace

Cifar100Task::Cifar100Task() {
  info_.name = "cifar100";
  info_.title = "CIFAR-100";
  info_.input_shape = {3, kSize, kSize};
  info_.output_shape = {kClasses};
  info_.num_classes = kClasses;
  info_.loss = LossKind::kCrossEntropy;
  info_.metric = "error_pct";
  info_.batch = {128, 256, 128, 128};
}

Dataset Cifar100Task::MakeSynthetic(const SyntheticOptions& options) const {
  const double f = options.fraction;
  const int64_t pool = SyntheticCount(kTrain, f, 1000, 50), test = SyntheticCount(kTest, f, 200, 10);
  const Generator root = Generator(options.seed).Fork("cifar100/synthetic");
  auto [tx, ty] = SyntheticImages(root.Fork("prototypes"), root.Fork("train"), pool, kClasses, kSize);
  auto [sx, sy] = SyntheticImages(root.Fork("prototypes"), root.Fork("test"), test, kClasses, kSize);
  DatasetManifest m{"cifar100", "synthetic",
                    absl::StrCat("synthetic CIFAR-100-shaped images (seed ", options.seed, ", ", pool, " train / ", test,
                                 " test): per-class colour and stripe pattern plus noise")};
  return InMemoryDataset(m, {{"train_x", tx}, {"train_y", ty}, {"test_x", sx}, {"test_y", sy}});
}

absl::Status Cifar100Task::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                   const PrepareOptions& options) const {
  absl::StatusOr<RawBatches> raw = ReadBatches(raw_dir);
  if (!raw.ok()) return raw.status();
  auto train = ParseBatch(raw->bytes["train"], raw->label["train"], kTrain, options.allow_count_mismatch);
  if (!train.ok()) return train.status();
  raw->bytes["train"].clear();
  auto test = ParseBatch(raw->bytes["test"], raw->label["test"], kTest, options.allow_count_mismatch);
  if (!test.ok()) return test.status();
  DatasetManifest m{"cifar100", "real",
                    absl::StrCat("CIFAR-100 (fine labels) from ", raw->label["train"], " and ", raw->label["test"], " (",
                                 train->first.shape()[0], " / ", test->first.shape()[0], " images",
                                 options.allow_count_mismatch ? ", counts not checked" : "", "); uint8 (N, 3, 32, 32)")};
  return WriteDataset(out_dir, m,
                      {{"train_x", train->first}, {"train_y", train->second}, {"test_x", test->first},
                       {"test_y", test->second}});
}

absl::StatusOr<TaskData> Cifar100Task::Build(const Dataset& data, const DataOptions& options) const {
  std::map<std::string, ArrayView> v;
  for (const char* split : {"train", "test"}) {
    const std::string xn = absl::StrCat(split, "_x"), yn = absl::StrCat(split, "_y");
    auto x = GetArrayChecked(data, xn, {DType::kUInt8}, {3, kSize, kSize});
    if (!x.ok()) return x.status();
    auto y = GetArrayChecked(data, yn, {DType::kInt64}, {});
    if (!y.ok()) return y.status();
    if (absl::Status s = CheckSameRows(data, xn, *x, yn, *y); !s.ok()) return s;
    v[xn] = *x;
    v[yn] = *y;
  }
  const bool cutout = options.variant != DataVariant::kDartsSearch;
  auto pool = ImageSet(v["train_x"], v["train_y"], cutout);
  TaskData out;
  out.augment_train = true;
  out.augment_test = false;
  if (options.mode == RunMode::kSearch) {
    const int64_t n = pool->size(), n_train = n * 4 / 5;  // 40,000 of 50,000
    out.train = Range(pool, 0, n_train);
    out.val = Range(pool, n_train, n);
    out.augment_val = true;  // the original's validation subset shares the augmented dataset object
  } else {
    out.train = pool;
  }
  out.test = ImageSet(v["test_x"], v["test_y"], cutout);
  out.objective = std::make_shared<ClassificationObjective>();
  return out;
}

std::unique_ptr<Task> NewCifar100Task() { return std::make_unique<Cifar100Task>(); }

}  // namespace nb360::tasks
