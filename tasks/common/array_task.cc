// tasks/common/array_task.cc: classification objective, function-backed sample sets, array checks.
#include "tasks/common/array_task.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/loss.h"
#include "tasks/common/metrics.h"

namespace nb360::tasks {
namespace {

class FnSampleSet : public SampleSet {
 public:
  FnSampleSet(int64_t n, SampleLayout layout, SampleReadFn fn)
      : n_(n), layout_(std::move(layout)), fn_(std::move(fn)) {}
  int64_t size() const override { return n_; }
  SampleLayout layout() const override { return layout_; }
  void Read(int64_t i, Generator* rng, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < n_, "FnSampleSet::Read: index ", i, " of ", n_);
    out->group = i;
    fn_(i, rng, out);
  }

 private:
  int64_t n_;
  SampleLayout layout_;
  SampleReadFn fn_;
};

std::string DTypeList(const std::vector<DType>& dtypes) {
  std::string s;
  for (size_t i = 0; i < dtypes.size(); ++i) {
    absl::StrAppend(&s, i == 0 ? "" : (i + 1 == dtypes.size() ? " or " : ", "), std::string(DTypeName(dtypes[i])));
  }
  return s;
}

template <class T>
absl::StatusOr<Tensor> ConvertLabels(const std::string& what, const T* p, int64_t n, const Shape& shape,
                                     int64_t lo, int64_t hi) {
  Tensor out = Tensor::Empty(shape, DType::kInt64);
  int64_t* q = out.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(p[i]);
    if (!(v == std::floor(v)) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": label ", v, " at index ", i, " is not an integer in [",
                                                     lo, ", ", hi, "]"));
    }
    q[i] = static_cast<int64_t>(v);
  }
  return out;
}

}  // namespace

Tensor ClassificationObjective::Loss(const Tensor& output, const Batch& batch) const {
  return CrossEntropy(output, batch.y);
}

std::unique_ptr<Metric> ClassificationObjective::NewMetric(Split) const {
  return std::make_unique<ClassificationMetric>();
}

int64_t SyntheticCount(int64_t real, double fraction, int64_t fallback, int64_t minimum) {
  if (fraction <= 0) return fallback;
  return std::max<int64_t>(minimum, std::llround(static_cast<double>(real) * fraction));
}

std::shared_ptr<const SampleSet> NewFnSampleSet(int64_t n, SampleLayout layout, SampleReadFn fn) {
  return std::make_shared<FnSampleSet>(n, std::move(layout), std::move(fn));
}

std::string DatasetLabel(const Dataset& data) {
  if (!data.dir.empty()) return absl::StrCat("dataset ", data.dir);
  return absl::StrCat("in-memory ", data.manifest.task, " dataset (", data.manifest.source, ")");
}

absl::StatusOr<ArrayView> GetArrayChecked(const Dataset& data, const std::string& name,
                                          const std::vector<DType>& dtypes, const Shape& sample_shape) {
  auto it = data.arrays.find(name);
  if (it == data.arrays.end()) {
    return absl::NotFoundError(absl::StrCat(DatasetLabel(data), ": array '", name, "' is missing"));
  }
  const ArrayView& v = it->second;
  bool dtype_ok = false;
  for (DType d : dtypes) dtype_ok = dtype_ok || d == v.dtype;
  if (!dtype_ok) {
    return absl::InvalidArgumentError(absl::StrCat(DatasetLabel(data), ": array '", name, "' has dtype ",
                                                   std::string(DTypeName(v.dtype)), ", expected ", DTypeList(dtypes)));
  }
  Shape want = {-1};
  want.insert(want.end(), sample_shape.begin(), sample_shape.end());
  bool shape_ok = v.shape.size() == want.size();
  for (size_t i = 1; shape_ok && i < want.size(); ++i) shape_ok = v.shape[i] == want[i];
  if (!shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat(DatasetLabel(data), ": array '", name, "' has shape ",
                                                   ShapeString(v.shape), ", expected (N, ",
                                                   absl::StrJoin(sample_shape, ", "), ")"));
  }
  return v;
}

absl::Status CheckSameRows(const Dataset& data, const std::string& x_name, const ArrayView& x,
                           const std::string& y_name, const ArrayView& y) {
  if (x.dim(0) != y.dim(0)) {
    return absl::InvalidArgumentError(absl::StrCat(DatasetLabel(data), ": '", x_name, "' has ", x.dim(0), " rows but '",
                                                   y_name, "' has ", y.dim(0)));
  }
  return absl::OkStatus();
}

absl::Status CheckCount(const std::string& what, int64_t got, int64_t want, bool allow_mismatch) {
  if (got < 1) return absl::InvalidArgumentError(absl::StrCat(what, ": ", got, " samples (empty)"));
  if (got != want && !allow_mismatch) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", got, " samples, the published file has ", want,
                                                   " (pass --allow_count_mismatch to accept a partial download)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> IntegerLabels(const std::string& what, const Tensor& labels, int64_t lo, int64_t hi) {
  Tensor c = labels.Contiguous();
  const int64_t n = c.numel();
  switch (c.dtype()) {
    case DType::kInt64: return ConvertLabels(what, c.data<int64_t>(), n, c.shape(), lo, hi);
    case DType::kInt32: return ConvertLabels(what, c.data<int32_t>(), n, c.shape(), lo, hi);
    case DType::kUInt8: return ConvertLabels(what, c.data<uint8_t>(), n, c.shape(), lo, hi);
    case DType::kFloat64: return ConvertLabels(what, c.data<double>(), n, c.shape(), lo, hi);
    case DType::kFloat32: return ConvertLabels(what, c.data<float>(), n, c.shape(), lo, hi);
    case DType::kBool: break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": labels have dtype ", std::string(DTypeName(c.dtype())), ", expected an integer or float type"));
}

absl::Status CheckFinite(const std::string& what, const Tensor& t) {
  Tensor c = t.Contiguous();
  const int64_t n = c.numel();
  auto scan = [&](auto* p) -> absl::Status {
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(static_cast<double>(p[i]))) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": non-finite value ", static_cast<double>(p[i]),
                                                       " at flat index ", i));
      }
    }
    return absl::OkStatus();
  };
  if (c.dtype() == DType::kFloat32) return scan(c.data<float>());
  if (c.dtype() == DType::kFloat64) return scan(c.data<double>());
  return absl::OkStatus();
}

}  // namespace nb360::tasks
