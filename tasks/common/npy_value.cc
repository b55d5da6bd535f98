#include "tasks/common/npy_value.h"

#include <vector>

#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/npy.h"

namespace nb360::tasks {
namespace {

absl::Status NpyError(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": ", what));
}

bool EngineReadable(std::string_view descr) {
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kUInt8, DType::kBool}) {
    if (descr == io::NpyDescr(d)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<PyRef> ParseNpyValue(std::string_view bytes, std::string_view name, const UnpickleOptions& options) {
  absl::StatusOr<io::NpyHeaderInfo> h = io::ParseNpyHeader(bytes, name);
  if (!h.ok()) return h.status();
  if (h->descr == "|O") {
    absl::StatusOr<PyRef> v = Unpickle(bytes.substr(h->data_offset), StrCat(name, " (pickled object array)"), options);
    if (!v.ok()) return v.status();
    const PyValue& a = **v;
    if (a.kind != PyValue::Kind::kNdArray || a.array_kind != PyValue::ArrayKind::kObject) {
      return NpyError(name, StrCat("object .npy holds a ", a.Describe(), ", not an object array"));
    }
    if (a.shape != h->shape) {
      return NpyError(name, StrCat("header shape ", ShapeString(h->shape), " but the pickled array is ",
                                   ShapeString(a.shape)));
    }
    if (a.shape.empty()) return a.items.at(0);  // np.save of a single object (a dict)
    return *v;
  }
  if (EngineReadable(h->descr)) {
    absl::StatusOr<Tensor> t = io::ParseNpy(bytes, name);
    if (!t.ok()) return t.status();
    auto v = std::make_shared<PyValue>();
    v->kind = PyValue::Kind::kNdArray;
    v->shape = t->shape();
    v->descr = h->descr;
    v->tensor = *t;
    v->depth = 1;
    return PyRef(v);
  }
  return MakeNdArray(h->descr, h->shape, h->fortran_order, bytes.substr(h->data_offset), name);
}

absl::StatusOr<PyRef> ReadNpyValue(const std::string& path, const UnpickleOptions& options) {
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpyValue(*bytes, path, options);
}

}  // namespace nb360::tasks
