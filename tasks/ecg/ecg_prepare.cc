// tasks/ecg/ecg_prepare.cc: EcgTask::Prepare, challenge2017.pkl -> samples / offsets / labels.
//
// The pickle is {'data': object array of 1-D integer arrays (one per record), 'label': object or
// string array of 'N'/'A'/'O'/'~'} (spec §8.1). Lists instead of object arrays and float records are
// accepted too; every sample must be finite, every label one of the four letters.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "tasks/common/pickle.h"
#include "tasks/ecg/ecg.h"

namespace nb360::tasks {
namespace {

// The elements of a 1-D object array, list or tuple.
absl::StatusOr<std::vector<PyRef>> Elements(const PyRef& v, const std::string& what) {
  if (v->kind == PyValue::Kind::kList || v->kind == PyValue::Kind::kTuple) return v->items;
  if (v->kind == PyValue::Kind::kNdArray && v->array_kind == PyValue::ArrayKind::kObject && v->shape.size() == 1) {
    return v->items;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is ", v->Describe(), ", expected a 1-D object array or a list"));
}

absl::StatusOr<std::vector<std::string>> Labels(const PyRef& v, const std::string& what) {
  if (v->kind == PyValue::Kind::kNdArray && v->array_kind == PyValue::ArrayKind::kString && v->shape.size() == 1) {
    return v->strings;
  }
  absl::StatusOr<std::vector<PyRef>> items = Elements(v, what);
  if (!items.ok()) return items.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < items->size(); ++i) {
    const PyRef& e = (*items)[i];
    if (!e->is_str_or_bytes()) {
      return absl::InvalidArgumentError(absl::StrCat(what, "[", i, "] is ", e->Describe(), ", expected a string"));
    }
    out.push_back(e->str);
  }
  return out;
}

// Appends record `r` (a 1-D numeric array) to `samples` as float32.
absl::Status AppendRecord(const PyRef& rec, const std::string& what, std::vector<float>* samples) {
  if (rec->kind != PyValue::Kind::kNdArray || rec->array_kind != PyValue::ArrayKind::kNumeric ||
      rec->shape.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is ", rec->Describe(), ", expected a 1-D numeric array"));
  }
  if (rec->shape[0] == 0) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  const Tensor t = rec->tensor.To(DType::kFloat64).Contiguous();
  const double* d = t.data<double>();
  for (int64_t k = 0; k < t.numel(); ++k) {
    if (!std::isfinite(d[k])) {
      return absl::InvalidArgumentError(absl::StrCat(what, " has a non-finite sample at position ", k));
    }
    samples->push_back(static_cast<float>(d[k]));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EcgTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                              const PrepareOptions& options) const {
  const std::string path = raw_dir + "/challenge2017.pkl";
  absl::StatusOr<PyRef> root = ReadPickle(path);
  if (!root.ok()) return root.status();
  if ((*root)->kind != PyValue::Kind::kDict) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": top level is ", (*root)->Describe(), ", expected a dict"));
  }
  const PyRef data = (*root)->Get("data"), label = (*root)->Get("label");
  if (data == nullptr || label == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the dict has no '", data == nullptr ? "data" : "label",
                                                   "' key (keys must be 'data' and 'label')"));
  }
  absl::StatusOr<std::vector<PyRef>> records = Elements(data, path + ": 'data'");
  if (!records.ok()) return records.status();
  absl::StatusOr<std::vector<std::string>> names = Labels(label, path + ": 'label'");
  if (!names.ok()) return names.status();
  const int64_t n = static_cast<int64_t>(records->size());
  if (static_cast<int64_t>(names->size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", n, " records in 'data' but ", names->size(), " labels in 'label'"));
  }
  if (n != kEcgRecords && !options.allow_count_mismatch) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", n, " records, expected ", kEcgRecords,
                                                   " (pass --allow_count_mismatch for a partial file)"));
  }
  std::vector<float> samples;
  std::vector<int64_t> offsets(n + 1, 0), labels(n);
  int64_t counts[kEcgClasses] = {0, 0, 0, 0};
  for (int64_t r = 0; r < n; ++r) {
    labels[r] = EcgLabelIndex((*names)[r]);
    if (labels[r] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": 'label'[", r, "] is '", (*names)[r], "', expected one of N, A, O, ~"));
    }
    ++counts[labels[r]];
    absl::Status s = AppendRecord((*records)[r], absl::StrCat(path, ": 'data'[", r, "]"), &samples);
    if (!s.ok()) return s;
    offsets[r + 1] = static_cast<int64_t>(samples.size());
  }
  const int64_t total = static_cast<int64_t>(samples.size());
  DatasetManifest m{"ecg", "real",
                    absl::StrCat("challenge2017.pkl (PhysioNet/CinC 2017 training2017, REFERENCE-v3 labels): ", n,
                                 " records, ", total, " samples; N ", counts[0], ", A ", counts[1], ", O ", counts[2],
                                 ", ~ ", counts[3], options.allow_count_mismatch && n != kEcgRecords
                                                        ? " (count mismatch allowed)"
                                                        : "")};
  return WriteDataset(out_dir, m,
                      {{"samples", Tensor::FromVector(samples, {total})},
                       {"offsets", Tensor::FromVector(offsets, {n + 1})},
                       {"labels", Tensor::FromVector(labels, {n})}});
}

}  // namespace nb360::tasks
