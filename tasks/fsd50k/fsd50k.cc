// tasks/fsd50k/fsd50k.cc: FSD50K task description, training transform, sample sets, Build.
#include "tasks/fsd50k/fsd50k.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "ops/loss.h"
#include "tasks/common/metrics.h"

namespace nb360::tasks {
namespace {

struct Mask {
  int64_t f0, nf, t0, nt;
};

// SpecAugment masks (spec_augment with num_mask 2, freq 0.15, time 0.20) for a (96, w) spectrogram.
std::vector<Mask> DrawMasks(int64_t w, Generator* rng) {
  std::vector<Mask> masks;
  const int64_t k = 1 + rng->RandInt(2);
  for (int64_t i = 0; i < k; ++i) {
    Mask m;
    m.nf = static_cast<int64_t>(rng->NextDouble() * 0.15 * kFsdMels);
    m.f0 = static_cast<int64_t>(rng->NextDouble() * static_cast<double>(kFsdMels - m.nf));
    m.nt = static_cast<int64_t>(rng->NextDouble() * 0.20 * static_cast<double>(w));
    m.t0 = static_cast<int64_t>(rng->NextDouble() * static_cast<double>(w - m.nt));
    masks.push_back(m);
  }
  return masks;
}

// One split's chunks and clips.
struct FsdSplit {
  ArrayView spec;     // (chunks, 96, 101)
  ArrayView labels;   // uint8 (clips, 200)
  std::vector<int64_t> chunk_clip;
  std::vector<int64_t> clip_begin;  // clips + 1 chunk offsets
};

struct FsdNoise {
  ArrayView spec;  // (96, frames)
  std::vector<int64_t> offsets;
  std::vector<float> min;
  SpecView View(int64_t n) const {
    const int64_t frames = spec.dim(1);
    return {spec.data<float>() + offsets[n], offsets[n + 1] - offsets[n], frames, min[n]};
  }
};

void WriteLabels(const FsdSplit& s, int64_t clip, void* y) {
  const uint8_t* row = s.labels.data<uint8_t>() + clip * kFsdClasses;
  float* out = static_cast<float*>(y);
  for (int64_t k = 0; k < kFsdClasses; ++k) out[k] = row[k];
}

// Copies (96, 101) `src` into x, dropping the first `drop` frames.
void Emit(const float* src, int64_t drop, float* x) {
  const int64_t w = kFsdFrames - drop;
  for (int64_t m = 0; m < kFsdMels; ++m) std::copy_n(src + m * kFsdFrames + drop, w, x + m * w);
}

// Training: one random chunk per clip, transformed and mixed with background noise.
class FsdTrainSet : public SampleSet {
 public:
  FsdTrainSet(std::shared_ptr<const FsdSplit> split, std::shared_ptr<const FsdNoise> noise, int64_t drop)
      : split_(std::move(split)), noise_(std::move(noise)), drop_(drop) {}
  int64_t size() const override { return static_cast<int64_t>(split_->clip_begin.size()) - 1; }
  SampleLayout layout() const override {
    return {{1, kFsdMels, kFsdFrames - drop_}, {kFsdClasses}, DType::kFloat32, {}};
  }
  void Read(int64_t i, Generator* rng, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < size(), "FsdTrainSet::Read: index ", i, " of ", size());
    const int64_t begin = split_->clip_begin[i], count = split_->clip_begin[i + 1] - begin;
    const int64_t chunk = begin + (rng != nullptr ? rng->RandInt(count) : 0);
    const float* src = split_->spec.data<float>() + chunk * kFsdMels * kFsdFrames;
    std::vector<float> x(kFsdMels * kFsdFrames);
    if (rng == nullptr) {
      std::copy_n(src, x.size(), x.data());
    } else {
      const SpecView view{src, kFsdFrames, kFsdFrames, SpecMin(src, kFsdFrames, kFsdFrames)};
      FsdTrainTransform(view, kFsdFrames, rng, x.data());
      if (rng->NextDouble() < 0.75) {
        const int64_t n = rng->RandInt(static_cast<int64_t>(noise_->offsets.size()) - 1);
        std::vector<float> bg(x.size());
        FsdTrainTransform(noise_->View(n), kFsdFrames, rng, bg.data());
        const float alpha = static_cast<float>(0.5 * rng->NextDouble());
        for (size_t k = 0; k < x.size(); ++k) x[k] = (1.0f - alpha) * x[k] + alpha * bg[k];
      }
    }
    Emit(x.data(), drop_, out->x);
    WriteLabels(*split_, i, out->y);
    out->group = i;
  }

 private:
  std::shared_ptr<const FsdSplit> split_;
  std::shared_ptr<const FsdNoise> noise_;
  int64_t drop_;
};

// Evaluation: every chunk of every clip; group = clip index.
class FsdEvalSet : public SampleSet {
 public:
  FsdEvalSet(std::shared_ptr<const FsdSplit> split, int64_t drop) : split_(std::move(split)), drop_(drop) {}
  int64_t size() const override { return static_cast<int64_t>(split_->chunk_clip.size()); }
  SampleLayout layout() const override {
    return {{1, kFsdMels, kFsdFrames - drop_}, {kFsdClasses}, DType::kFloat32, {}};
  }
  void Read(int64_t i, Generator* /*rng*/, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < size(), "FsdEvalSet::Read: index ", i, " of ", size());
    // PadToSize(101) with the minimum is the identity on 101-frame chunks.
    Emit(split_->spec.data<float>() + i * kFsdMels * kFsdFrames, drop_, out->x);
    const int64_t clip = split_->chunk_clip[i];
    WriteLabels(*split_, clip, out->y);
    out->group = clip;
  }

 private:
  std::shared_ptr<const FsdSplit> split_;
  int64_t drop_;
};

class FsdObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override {
    return BinaryCrossEntropyWithLogits(output, batch.y);
  }
  std::unique_ptr<Metric> NewMetric(Split /*split*/) const override { return std::make_unique<FsdClipMetric>(); }
};

std::string DatasetName(const Dataset& d) { return d.dir.empty() ? "in-memory fsd50k dataset" : d.dir; }

absl::StatusOr<ArrayView> GetArray(const Dataset& d, const std::string& name, DType dtype, const Shape& shape) {
  absl::StatusOr<ArrayView> v = d.Get(name);
  if (!v.ok()) return v.status();
  bool ok = v->dtype == dtype && v->shape.size() == shape.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || shape[i] == v->shape[i];
  if (!ok) {
    std::string want = "(";
    for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&want, i ? ", " : "", shape[i] < 0 ? "n" : absl::StrCat(shape[i]));
    absl::StrAppend(&want, ")");
    return absl::InvalidArgumentError(absl::StrCat(DatasetName(d), ": array '", name, "' is ",
                                                   std::string(DTypeName(v->dtype)), ShapeString(v->shape),
                                                   ", expected ", std::string(DTypeName(dtype)), want));
  }
  return v;
}

absl::StatusOr<std::shared_ptr<FsdSplit>> LoadSplit(const Dataset& d, const std::string& s) {
  auto out = std::make_shared<FsdSplit>();
  absl::StatusOr<ArrayView> spec = GetArray(d, s + "_spec", DType::kFloat32, {-1, kFsdMels, kFsdFrames});
  if (!spec.ok()) return spec.status();
  const int64_t chunks = spec->dim(0);
  absl::StatusOr<ArrayView> cc = GetArray(d, s + "_chunk_clip", DType::kInt64, {chunks});
  if (!cc.ok()) return cc.status();
  absl::StatusOr<ArrayView> labels = GetArray(d, s + "_labels", DType::kUInt8, {-1, kFsdClasses});
  if (!labels.ok()) return labels.status();
  const int64_t clips = labels->dim(0);
  if (clips == 0 || chunks < clips) {
    return absl::InvalidArgumentError(
        absl::StrCat(DatasetName(d), ": split '", s, "' has ", clips, " clips and ", chunks, " chunks"));
  }
  out->spec = *spec;
  out->labels = *labels;
  out->chunk_clip.assign(cc->data<int64_t>(), cc->data<int64_t>() + chunks);
  out->clip_begin.push_back(0);
  for (int64_t i = 0; i < chunks; ++i) {
    const int64_t c = out->chunk_clip[i], prev = i == 0 ? -1 : out->chunk_clip[i - 1];
    if (c != prev && c != prev + 1) {
      return absl::InvalidArgumentError(absl::StrCat(DatasetName(d), ": '", s, "_chunk_clip'[", i, "] = ", c,
                                                     " after ", prev, " (chunks must be grouped by clip 0, 1, ...)"));
    }
    if (c != prev && i > 0) out->clip_begin.push_back(i);
  }
  out->clip_begin.push_back(chunks);
  if (static_cast<int64_t>(out->clip_begin.size()) - 1 != clips) {
    return absl::InvalidArgumentError(absl::StrCat(DatasetName(d), ": '", s, "_chunk_clip' names ",
                                                   out->clip_begin.size() - 1, " clips, '", s, "_labels' has ",
                                                   clips));
  }
  const uint8_t* l = labels->data<uint8_t>();
  for (int64_t k = 0; k < labels->numel(); ++k) {
    if (l[k] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(DatasetName(d), ": '", s, "_labels'[", k / kFsdClasses, ", ",
                                                     k % kFsdClasses, "] = ", int{l[k]}, ", expected 0 or 1"));
    }
  }
  return out;
}

absl::StatusOr<std::shared_ptr<FsdNoise>> LoadNoise(const Dataset& d) {
  auto out = std::make_shared<FsdNoise>();
  absl::StatusOr<ArrayView> spec = GetArray(d, "noise_spec", DType::kFloat32, {kFsdMels, -1});
  if (!spec.ok()) return spec.status();
  absl::StatusOr<ArrayView> off = GetArray(d, "noise_offsets", DType::kInt64, {-1});
  if (!off.ok()) return off.status();
  out->spec = *spec;
  out->offsets.assign(off->data<int64_t>(), off->data<int64_t>() + off->numel());
  const int64_t n = static_cast<int64_t>(out->offsets.size()) - 1;
  if (n < 1 || out->offsets[0] != 0 || out->offsets[n] != spec->dim(1)) {
    return absl::InvalidArgumentError(absl::StrCat(DatasetName(d), ": 'noise_offsets' must run from 0 to ",
                                                   spec->dim(1), " over at least one noise file"));
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t w = out->offsets[i + 1] - out->offsets[i];
    if (w < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(DatasetName(d), ": 'noise_offsets' gives noise ", i, " no frames"));
    }
    out->min.push_back(SpecMin(spec->data<float>() + out->offsets[i], w, spec->dim(1)));
  }
  return out;
}

}  // namespace

float SpecMin(const float* data, int64_t width, int64_t stride) {
  float m = std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r < kFsdMels; ++r) {
    for (int64_t t = 0; t < width; ++t) m = std::min(m, data[r * stride + t]);
  }
  return m;
}

void FsdPad(const SpecView& x, int64_t size, bool wrap, std::vector<float>* out) {
  const int64_t w = std::max(x.width, size), pad = w - x.width, offset = pad / 2;
  out->assign(kFsdMels * w, x.min_value);
  for (int64_t r = 0; r < kFsdMels; ++r) {
    for (int64_t t = 0; t < w; ++t) {
      const int64_t src = t - offset;
      if (src >= 0 && src < x.width) {
        (*out)[r * w + t] = x.data[r * x.stride + src];
      } else if (wrap) {
        const int64_t k = ((src % x.width) + x.width) % x.width;
        (*out)[r * w + t] = x.data[r * x.stride + k];
      }
    }
  }
}

void FsdTrainTransform(const SpecView& x_in, int64_t size, Generator* rng, float* out) {
  const bool wrap = rng->NextDouble() < 0.5;
  SpecView x = x_in;
  std::vector<float> padded;
  if (x.width < size) {
    FsdPad(x, size, wrap, &padded);
    x = {padded.data(), size, size, x.min_value};
  }
  std::vector<Mask> masks;
  if (rng->NextDouble() < 0.5) masks = DrawMasks(x.width, rng);
  const int64_t start = rng->RandInt(x.width - size + 1);
  for (int64_t r = 0; r < kFsdMels; ++r) {
    for (int64_t t = 0; t < size; ++t) out[r * size + t] = x.data[r * x.stride + start + t];
  }
  // Masks are set to the spectrogram's minimum before cropping (spec_augment on the full width).
  for (const Mask& m : masks) {
    for (int64_t r = m.f0; r < m.f0 + m.nf; ++r) {
      for (int64_t t = 0; t < size; ++t) out[r * size + t] = x.min_value;
    }
    const int64_t lo = std::max(m.t0, start), hi = std::min(m.t0 + m.nt, start + size);
    for (int64_t r = 0; r < kFsdMels; ++r) {
      for (int64_t t = lo; t < hi; ++t) out[r * size + (t - start)] = x.min_value;
    }
  }
}

Fsd50kTask::Fsd50kTask() {
  info_.name = "fsd50k";
  info_.title = "FSD50K";
  info_.input_shape = {1, kFsdMels, kFsdFrames};
  info_.output_shape = {kFsdClasses};
  info_.num_classes = kFsdClasses;
  info_.multi_label = true;
  info_.loss = LossKind::kBceWithLogits;
  info_.metric = "one_minus_map";
  info_.batch = {256, 32, 32, 256};
}

absl::StatusOr<TaskData> Fsd50kTask::Build(const Dataset& data, const DataOptions& options) const {
  const int64_t drop = options.variant == DataVariant::kBackbone ? 0 : 1;
  absl::StatusOr<std::shared_ptr<FsdSplit>> train = LoadSplit(data, "train");
  if (!train.ok()) return train.status();
  absl::StatusOr<std::shared_ptr<FsdSplit>> eval = LoadSplit(data, "eval");
  if (!eval.ok()) return eval.status();
  absl::StatusOr<std::shared_ptr<FsdNoise>> noise = LoadNoise(data);
  if (!noise.ok()) return noise.status();
  TaskData out;
  out.train = std::make_shared<FsdTrainSet>(*train, *noise, drop);
  if (options.mode == RunMode::kSearch) {
    absl::StatusOr<std::shared_ptr<FsdSplit>> val = LoadSplit(data, "val");
    if (!val.ok()) return val.status();
    out.val = std::make_shared<FsdEvalSet>(*val, drop);
  }
  out.test = std::make_shared<FsdEvalSet>(*eval, drop);
  out.augment_train = true;
  out.objective = std::make_shared<FsdObjective>();
  return out;
}

std::unique_ptr<Task> NewFsd50kTask() { return std::make_unique<Fsd50kTask>(); }

}  // namespace nb360::tasks
