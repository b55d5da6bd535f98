// tasks/cosmic/cosmic.cc: Cosmic task description, Prepare and Build.
#include "tasks/cosmic/cosmic.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "tasks/common/metrics.h"
#include "tasks/cosmic/cosmic_raw.h"

namespace nb360::tasks {
namespace {

using cosmic::kCropSize;
using cosmic::kPlanes;

constexpr int64_t kPlane = kCropSize * kCropSize;

class CosmicObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override {
    return cosmic::MaskedBceLoss(output, batch.y, batch.aux);
  }
  std::unique_ptr<Metric> NewMetric(Split) const override { return std::make_unique<CosmicMetric>(); }
};

// The stacks of one canonical split as samples: x = image (+ sky augmentation), y = mask, aux = ignore.
class StackSet : public SampleSet {
 public:
  StackSet(ArrayView x, ArrayView sky) : x_(std::move(x)), sky_(std::move(sky)) {}
  int64_t size() const override { return x_.dim(0); }
  SampleLayout layout() const override {
    SampleLayout layout;
    layout.x = {1, kCropSize, kCropSize};
    layout.y = {1, kCropSize, kCropSize};
    layout.y_dtype = DType::kFloat32;
    layout.aux = {1, kCropSize, kCropSize};
    return layout;
  }
  void Read(int64_t i, Generator* rng, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < size(), "Cosmic StackSet::Read: index ", i, " of ", size());
    out->group = i;
    const float* s = x_.data<float>() + i * kPlanes * kPlane;
    float shift = 0.0f;
    if (rng != nullptr) {
      const double u = cosmic::kSkyAugMin + (cosmic::kSkyAugMax - cosmic::kSkyAugMin) * rng->NextDouble();
      shift = static_cast<float>(sky_.data<double>()[i] * u);
    }
    for (int64_t k = 0; k < kPlane; ++k) out->x[k] = s[k] + shift;
    std::memcpy(out->y, s + kPlane, kPlane * sizeof(float));
    if (out->aux != nullptr) std::memcpy(out->aux, s + 2 * kPlane, kPlane * sizeof(float));
  }

 private:
  ArrayView x_;
  ArrayView sky_;
};

std::string Label(const Dataset& data) {
  return data.dir.empty() ? absl::StrCat("in-memory cosmic dataset (", data.manifest.source, ")")
                          : absl::StrCat("dataset ", data.dir);
}

// The array `name` with dtype `dtype` and shape (N, sample...).
absl::StatusOr<ArrayView> GetArray(const Dataset& data, const std::string& name, DType dtype, const Shape& sample) {
  auto it = data.arrays.find(name);
  if (it == data.arrays.end()) {
    return absl::NotFoundError(absl::StrCat(Label(data), ": array '", name, "' is missing"));
  }
  Shape want = sample;
  want.insert(want.begin(), it->second.shape.empty() ? 0 : it->second.shape[0]);
  if (it->second.dtype != dtype || it->second.shape != want) {
    return absl::InvalidArgumentError(absl::StrCat(Label(data), ": array '", name, "' is ",
                                                   std::string(DTypeName(it->second.dtype)), " ",
                                                   ShapeString(it->second.shape), ", expected ",
                                                   std::string(DTypeName(dtype)), " (N",
                                                   sample.empty() ? "" : ", ", absl::StrJoin(sample, ", "), ")"));
  }
  return it->second;
}

absl::StatusOr<std::shared_ptr<const SampleSet>> SplitSamples(const Dataset& data, const std::string& prefix) {
  absl::StatusOr<ArrayView> x = GetArray(data, prefix + "_x", DType::kFloat32, {kPlanes, kCropSize, kCropSize});
  if (!x.ok()) return x.status();
  absl::StatusOr<ArrayView> sky = GetArray(data, prefix + "_sky", DType::kFloat64, {});
  if (!sky.ok()) return sky.status();
  if (x->dim(0) != sky->dim(0)) {
    return absl::InvalidArgumentError(absl::StrCat(Label(data), ": '", prefix, "_x' has ", x->dim(0),
                                                   " rows but '", prefix, "_sky' has ", sky->dim(0)));
  }
  if (x->dim(0) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(Label(data), ": array '", prefix, "_x' is empty"));
  }
  return std::shared_ptr<const SampleSet>(std::make_shared<StackSet>(*x, *sky));
}

// `got` stacks where the published data has `want` (unless allowed).
absl::Status CheckCount(const std::string& what, int64_t got, int64_t want, bool allow_mismatch) {
  if (got < 1) return absl::InvalidArgumentError(absl::StrCat(what, ": no stacks found"));
  if (got != want && !allow_mismatch) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", got, " stacks, the published data has ", want,
                                                   " (pass --allow_count_mismatch to accept a partial download)"));
  }
  return absl::OkStatus();
}

}  // namespace

namespace cosmic {

int64_t TrainPartEnd(int64_t n) { return std::max<int64_t>(1, static_cast<int64_t>(n * (1 - 0.1))); }
int64_t ValPartBegin(int64_t n) { return std::min<int64_t>(n - 1, static_cast<int64_t>(n * (1 - 0.1))); }

Tensor MaskedBceLoss(const Tensor& logits, const Tensor& mask, const Tensor& ignore) {
  if (!ignore.defined()) return BinaryCrossEntropyWithLogits(logits, mask);
  const Tensor keep = Add(Neg(ignore), 1.0);
  return BinaryCrossEntropyWithLogits(Mul(logits, keep), Mul(mask, keep));
}

}  // namespace cosmic

CosmicTask::CosmicTask() {
  info_.name = "cosmic";
  info_.title = "Cosmic";
  info_.input_shape = {1, kCropSize, kCropSize};
  info_.output_shape = {1, kCropSize, kCropSize};
  info_.num_classes = 1;
  info_.multi_label = false;
  info_.loss = LossKind::kMaskedBceWithLogits;
  info_.metric = "fnr_pct";
  info_.dense = true;
  info_.one_d = false;
  info_.batch = {.wrn = 8, .darts_search = 8, .darts_eval = 4, .eval = 8};
}

absl::Status CosmicTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                 const PrepareOptions& options) const {
  absl::StatusOr<cosmic::RawSplit> train = cosmic::ReadRawSplit(raw_dir, "train", options.threads);
  if (!train.ok()) return train.status();
  absl::Status s = CheckCount(absl::StrCat(train->source, ": f435w galaxy-field stacks"), train->stacks.size(0),
                              cosmic::kTrainPool, options.allow_count_mismatch);
  if (!s.ok()) return s;
  absl::StatusOr<cosmic::RawSplit> test = cosmic::ReadRawSplit(raw_dir, "test", options.threads);
  if (!test.ok()) return test.status();
  s = CheckCount(absl::StrCat(test->source, ": f435w galaxy-field stacks"), test->stacks.size(0), cosmic::kTest,
                 options.allow_count_mismatch);
  if (!s.ok()) return s;
  DatasetManifest manifest;
  manifest.task = info_.name;
  manifest.source = "real";
  manifest.description = absl::StrCat(
      "deepCR ACS/WFC f435w galaxy-field stacks (27 GAL visits), rows/cols 64..191; train pool ",
      train->stacks.size(0), " from ", train->source, ", test ", test->stacks.size(0), " from ", test->source,
      "; files in sorted path order (the original uses os.listdir order)",
      options.allow_count_mismatch ? "; counts not checked (--allow_count_mismatch)" : "");
  return WriteDataset(out_dir, manifest,
                      {{"train_x", train->stacks}, {"train_sky", train->sky},
                       {"test_x", test->stacks}, {"test_sky", test->sky}});
}

absl::StatusOr<TaskData> CosmicTask::Build(const Dataset& data, const DataOptions& options) const {
  absl::StatusOr<std::shared_ptr<const SampleSet>> pool = SplitSamples(data, "train");
  if (!pool.ok()) return pool.status();
  absl::StatusOr<std::shared_ptr<const SampleSet>> test = SplitSamples(data, "test");
  if (!test.ok()) return test.status();
  TaskData out;
  const int64_t n = (*pool)->size();
  if (options.mode == RunMode::kSearch) {
    if (n < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(Label(data), ": search mode needs at least 2 training-pool stacks, found ", n));
    }
    out.train = Range(*pool, 0, cosmic::TrainPartEnd(n));
    out.val = Range(*pool, cosmic::ValPartBegin(n), n);
  } else {
    out.train = *pool;
  }
  out.test = *test;
  out.augment_train = true;
  out.augment_val = true;   // the original adds random sky to validation images too
  out.augment_test = true;  // ... and to test images
  out.objective = std::make_shared<CosmicObjective>();
  return out;
}

std::unique_ptr<Task> NewCosmicTask() { return std::make_unique<CosmicTask>(); }

}  // namespace nb360::tasks
