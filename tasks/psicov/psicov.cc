// tasks/psicov/psicov.cc: PSICOV task description, packing, Build and the objective.
#include "tasks/psicov/psicov.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ops/loss.h"
#include "tasks/common/metrics.h"
#include "tasks/psicov/psicov_features.h"

namespace nb360::tasks {
namespace {

using psicov::kChannels;
using psicov::kFeat1d;
using psicov::kPairMaps;

// Seeds the fixed crop of protein i when a set is read without an rng.
constexpr uint64_t kFixedCropSeed = 0x7073696376ull;  // "psicv"

class PsicovObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override { return MseLoss(output, batch.y); }
  std::unique_ptr<Metric> NewMetric(Split split) const override {
    return std::make_unique<PsicovMetric>(split == Split::kTest ? PsicovMetric::Mode::kTest
                                                                : PsicovMetric::Mode::kValidation);
  }
};

// The arrays of one packed protein set.
struct PackedSet {
  ArrayView length, offset1d, offset2d, feat1d, pair;
  int64_t size() const { return length.dim(0); }
  psicov::ProteinView Protein(int64_t i) const {
    return {length.data<int64_t>()[i], feat1d.data<float>() + offset1d.data<int64_t>()[i] * kFeat1d,
            pair.data<float>() + offset2d.data<int64_t>()[i]};
  }
};

// Windows of one packed set: x (57, W, W), y (1, W, W), extra = L.
class WindowSet : public SampleSet {
 public:
  WindowSet(PackedSet set, int64_t window, bool clip) : set_(std::move(set)), window_(window), clip_(clip) {}
  int64_t size() const override { return set_.size(); }
  SampleLayout layout() const override {
    SampleLayout l;
    l.x = {kChannels, window_, window_};
    l.y = {1, window_, window_};
    l.y_dtype = DType::kFloat32;
    return l;
  }
  void Read(int64_t i, Generator* rng, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < size(), "PSICOV WindowSet::Read: index ", i, " of ", size());
    const psicov::ProteinView p = set_.Protein(i);
    Generator fixed(kFixedCropSeed + static_cast<uint64_t>(i));
    Generator* g = rng != nullptr ? rng : &fixed;
    int64_t row0 = 0, col0 = 0;
    psicov::CropOffsets(p.length, window_, [g](int64_t n) { return g->RandInt(n); }, &row0, &col0);
    psicov::FillWindow(p, window_, row0, col0, clip_, out->x, static_cast<float*>(out->y));
    out->group = i;
    out->extra = p.length;
  }

 private:
  PackedSet set_;
  int64_t window_;
  bool clip_;
};

std::string Label(const Dataset& data) {
  return data.dir.empty() ? absl::StrCat("in-memory psicov dataset (", data.manifest.source, ")")
                          : absl::StrCat("dataset ", data.dir);
}

absl::StatusOr<ArrayView> GetArray(const Dataset& data, const std::string& name, DType dtype, size_t rank) {
  auto it = data.arrays.find(name);
  if (it == data.arrays.end()) return absl::NotFoundError(absl::StrCat(Label(data), ": array '", name, "' is missing"));
  if (it->second.dtype != dtype || it->second.shape.size() != rank) {
    return absl::InvalidArgumentError(absl::StrCat(Label(data), ": array '", name, "' is ",
                                                   std::string(DTypeName(it->second.dtype)), " ",
                                                   ShapeString(it->second.shape), ", expected ",
                                                   std::string(DTypeName(dtype)), " of rank ", rank));
  }
  return it->second;
}

absl::StatusOr<PackedSet> GetPackedSet(const Dataset& data, const std::string& prefix) {
  PackedSet s;
  const std::pair<ArrayView*, std::pair<const char*, DType>> specs[] = {
      {&s.length, {"_length", DType::kInt64}},     {&s.offset1d, {"_offset1d", DType::kInt64}},
      {&s.offset2d, {"_offset2d", DType::kInt64}}, {&s.feat1d, {"_feat1d", DType::kFloat32}},
      {&s.pair, {"_pair", DType::kFloat32}}};
  for (const auto& [view, spec] : specs) {
    const std::string name = prefix + spec.first;
    absl::StatusOr<ArrayView> v = GetArray(data, name, spec.second, name.find("feat1d") != std::string::npos ? 2 : 1);
    if (!v.ok()) return v.status();
    *view = *std::move(v);
  }
  const int64_t n = s.length.dim(0);
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(Label(data), ": ", prefix, " arrays are inconsistent: ", what));
  };
  if (n < 1) return bad("no proteins");
  if (s.offset1d.dim(0) != n || s.offset2d.dim(0) != n) return bad("offset arrays differ in length from _length");
  if (s.feat1d.dim(1) != kFeat1d) return bad(absl::StrCat("_feat1d has ", s.feat1d.dim(1), " columns, expected 27"));
  int64_t rows = 0, elems = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = s.length.data<int64_t>()[i];
    if (l < 2 || l > 100000) return bad(absl::StrCat("protein ", i, " has length ", l));
    if (s.offset1d.data<int64_t>()[i] != rows || s.offset2d.data<int64_t>()[i] != elems) {
      return bad(absl::StrCat("offsets of protein ", i, " do not follow the lengths"));
    }
    rows += l;
    elems += kPairMaps * l * l;
  }
  if (s.feat1d.dim(0) != rows) return bad(absl::StrCat("_feat1d has ", s.feat1d.dim(0), " rows, lengths sum to ", rows));
  if (s.pair.dim(0) != elems) return bad(absl::StrCat("_pair has ", s.pair.dim(0), " values, expected ", elems));
  return s;
}

}  // namespace

namespace psicov {

int64_t ValidationCount(int64_t n) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(n) * kDeepCovVal / kDeepCov));
}

void PackProteins(const std::string& prefix, std::vector<PackedProtein>* proteins,
                  std::map<std::string, Tensor>* arrays) {
  const int64_t n = static_cast<int64_t>(proteins->size());
  Tensor length = Tensor::Empty({n}, DType::kInt64);
  Tensor off1 = Tensor::Empty({n}, DType::kInt64);
  Tensor off2 = Tensor::Empty({n}, DType::kInt64);
  int64_t rows = 0, elems = 0;
  for (int64_t i = 0; i < n; ++i) {
    const PackedProtein& p = (*proteins)[i];
    NB_CHECK(static_cast<int64_t>(p.feat1d.size()) == p.length * kFeat1d &&
                 static_cast<int64_t>(p.pair.size()) == kPairMaps * p.length * p.length,
             "PackProteins: protein ", i, " buffers do not match L = ", p.length);
    length.data<int64_t>()[i] = p.length;
    off1.data<int64_t>()[i] = rows;
    off2.data<int64_t>()[i] = elems;
    rows += p.length;
    elems += kPairMaps * p.length * p.length;
  }
  Tensor feat = Tensor::Empty({rows, kFeat1d}, DType::kFloat32);
  Tensor pair = Tensor::Empty({elems}, DType::kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    PackedProtein& p = (*proteins)[i];
    std::memcpy(feat.data<float>() + off1.data<int64_t>()[i] * kFeat1d, p.feat1d.data(), p.feat1d.size() * 4);
    std::memcpy(pair.data<float>() + off2.data<int64_t>()[i], p.pair.data(), p.pair.size() * 4);
    std::vector<float>().swap(p.feat1d);
    std::vector<float>().swap(p.pair);
  }
  (*arrays)[prefix + "_length"] = length;
  (*arrays)[prefix + "_offset1d"] = off1;
  (*arrays)[prefix + "_offset2d"] = off2;
  (*arrays)[prefix + "_feat1d"] = feat;
  (*arrays)[prefix + "_pair"] = pair;
}

}  // namespace psicov

PsicovTask::PsicovTask() {
  info_.name = "psicov";
  info_.title = "PSICOV";
  info_.input_shape = {kChannels, psicov::kTrainWindow, psicov::kTrainWindow};
  info_.output_shape = {1, psicov::kTrainWindow, psicov::kTrainWindow};
  info_.num_classes = 1;
  info_.loss = LossKind::kMse;
  info_.metric = "mae8";
  info_.dense = true;
  info_.batch = {.wrn = 8, .darts_search = 8, .darts_eval = 4, .eval = 2};
}

absl::StatusOr<TaskData> PsicovTask::Build(const Dataset& data, const DataOptions& options) const {
  absl::StatusOr<PackedSet> deepcov = GetPackedSet(data, "deepcov");
  if (!deepcov.ok()) return deepcov.status();
  absl::StatusOr<PackedSet> test = GetPackedSet(data, "psicov");
  if (!test.ok()) return test.status();
  auto windows = std::make_shared<WindowSet>(*deepcov, psicov::kTrainWindow, /*clip=*/true);
  TaskData out;
  const int64_t n = deepcov->size();
  if (options.mode == RunMode::kSearch) {
    const int64_t n_val = psicov::ValidationCount(n);
    if (n_val >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat(Label(data), ": search mode needs more than ", n_val, " DeepCov proteins, found ", n));
    }
    out.train = Range(windows, n_val, n);
    out.val = Range(windows, 0, n_val);
  } else {
    out.train = windows;
  }
  out.test = std::make_shared<WindowSet>(*test, psicov::kTestWindow, /*clip=*/false);
  out.augment_train = true;
  out.augment_val = true;  // the original crops long validation proteins at random too
  out.augment_test = false;
  out.objective = std::make_shared<PsicovObjective>();
  return out;
}

std::unique_ptr<Task> NewPsicovTask() { return std::make_unique<PsicovTask>(); }

}  // namespace nb360::tasks
