#include "tasks/common/npy_value.h"

#include <optional>
#include <vector>

#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/byte_io.h"
#include "engine/io/npy.h"

namespace nb360::tasks {
namespace {

struct NpyHeader {
  std::string descr;
  bool fortran = false;
  Shape shape;
  size_t data_offset = 0;
};

// The header dict, a Python literal: {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : t_(text) {}

  std::optional<std::string> Parse(NpyHeader* h) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    if (!Eat('{')) return "it does not start with '{'";
    while (!Eat('}')) {
      std::string key;
      if (!String(&key)) return "bad key";
      if (!Eat(':')) return StrCat("no ':' after '", key, "'");
      if (key == "descr") {
        Skip();
        if (pos_ < t_.size() && t_[pos_] == '[') return std::string("structured (record) dtypes are not supported");
        if (!String(&h->descr)) return std::string("'descr' is not a string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (Word("True")) h->fortran = true;
        else if (Word("False")) h->fortran = false;
        else return std::string("'fortran_order' is not True/False");
        have_fortran = true;
      } else if (key == "shape") {
        if (!Tuple(&h->shape)) return std::string("'shape' is not a tuple of integers");
        have_shape = true;
      } else {
        return StrCat("unexpected key '", key, "'");
      }
      if (!Eat(',') && !Peek('}')) return std::string("wanted ',' or '}'");
    }
    Skip();
    if (pos_ != t_.size()) return std::string("unexpected characters after '}'");
    if (!have_descr || !have_fortran || !have_shape) return std::string("it lacks 'descr', 'fortran_order' or 'shape'");
    return std::nullopt;
  }

 private:
  void Skip() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\t' || t_[pos_] == '\r')) ++pos_;
  }
  bool Peek(char c) {
    Skip();
    return pos_ < t_.size() && t_[pos_] == c;
  }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool Word(std::string_view w) {
    Skip();
    if (t_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  bool String(std::string* out) {
    Skip();
    if (pos_ >= t_.size() || (t_[pos_] != '\'' && t_[pos_] != '"')) return false;
    const char q = t_[pos_++];
    const size_t end = t_.find(q, pos_);
    if (end == std::string_view::npos) return false;
    *out = std::string(t_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool Tuple(Shape* out) {
    if (!Eat('(')) return false;
    out->clear();
    while (!Eat(')')) {
      Skip();
      int64_t v = 0;
      size_t digits = 0;
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9' && digits < 18) {
        v = v * 10 + (t_[pos_++] - '0');
        ++digits;
      }
      if (digits == 0) return false;
      out->push_back(v);
      if (!Eat(',') && !Peek(')')) return false;
    }
    return true;
  }

  std::string_view t_;
  size_t pos_ = 0;
};

absl::Status NpyError(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": ", what));
}

absl::StatusOr<NpyHeader> ParseHeader(std::string_view b, std::string_view name) {
  if (b.size() < 10 || b.substr(0, 6) != std::string_view("\x93NUMPY", 6)) {
    return NpyError(name, b.size() >= 6 ? "not a .npy file (wrong magic, wanted \\x93NUMPY)"
                                        : "not a .npy file (too short)");
  }
  const int major = static_cast<uint8_t>(b[6]);
  if (major < 1 || major > 3) return NpyError(name, StrCat("unsupported .npy format version ", major));
  const size_t len_size = major == 1 ? 2 : 4;
  if (b.size() < 8 + len_size) return NpyError(name, StrCat("truncated .npy header (", b.size(), " bytes)"));
  const uint64_t header_len = major == 1 ? io::GetLE<uint16_t>(b.data() + 8) : io::GetLE<uint32_t>(b.data() + 8);
  NpyHeader h;
  h.data_offset = 8 + len_size + header_len;
  if (h.data_offset > b.size()) {
    return NpyError(name, StrCat("truncated .npy header: ", header_len, " bytes announced, file has ", b.size()));
  }
  if (auto err = HeaderParser(b.substr(8 + len_size, header_len)).Parse(&h)) {
    return NpyError(name, StrCat("bad .npy header: ", *err));
  }
  return h;
}

bool EngineReadable(std::string_view descr) {
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kUInt8, DType::kBool}) {
    if (descr == io::NpyDescr(d)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<PyRef> ParseNpyValue(std::string_view bytes, std::string_view name, const UnpickleOptions& options) {
  absl::StatusOr<NpyHeader> h = ParseHeader(bytes, name);
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
  return MakeNdArray(h->descr, h->shape, h->fortran, bytes.substr(h->data_offset), name);
}

absl::StatusOr<PyRef> ReadNpyValue(const std::string& path, const UnpickleOptions& options) {
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpyValue(*bytes, path, options);
}

}  // namespace nb360::tasks
