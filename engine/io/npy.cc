#include "engine/io/npy.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <vector>

#include "absl/strings/str_join.h"
#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/byte_io.h"
#include "engine/io/tensor_bytes.h"

namespace nb360::io {
namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kAlign = 64;

// ---------------------------------------------------------------- header dict (a Python literal)

struct HeaderValue {
  enum class Kind { kString, kBool, kTuple, kList } kind = Kind::kString;
  std::string str;
  bool boolean = false;
  std::vector<int64_t> ints;
};

// Parses the header's Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2,), }
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  // Fills descr, fortran_order and shape; the error text says what is wrong (without the file name).
  std::optional<std::string> Parse(std::string* descr, bool* fortran_order, Shape* shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    if (!Eat('{')) return "it does not start with '{'";
    while (true) {
      Skip();
      if (Eat('}')) break;
      std::string key;
      if (auto err = ParseString(&key)) return err;
      if (key != "descr" && key != "fortran_order" && key != "shape") return "unexpected key '" + key + "'";
      if (!Eat(':')) return "wanted ':' after key '" + key + "'";
      HeaderValue value;
      if (auto err = ParseValue(&value)) return "value of '" + key + "': " + *err;
      if (key == "descr") {
        if (value.kind == HeaderValue::Kind::kList) {
          return std::string("structured (record) dtypes are not supported");
        }
        if (value.kind != HeaderValue::Kind::kString) return std::string("'descr' is not a string");
        *descr = value.str;
        have_descr = true;
      } else if (key == "fortran_order") {
        if (value.kind != HeaderValue::Kind::kBool) return std::string("'fortran_order' is not True/False");
        *fortran_order = value.boolean;
        have_fortran = true;
      } else if (key == "shape") {
        if (value.kind != HeaderValue::Kind::kTuple) return std::string("'shape' is not a tuple");
        *shape = value.ints;
        have_shape = true;
      }
      Skip();
      if (Eat(',')) continue;
      if (Eat('}')) break;
      return std::string("wanted ',' or '}'");
    }
    Skip();
    if (pos_ != text_.size()) return std::string("unexpected characters after '}'");
    if (!have_descr || !have_fortran || !have_shape) {
      return std::string("it lacks one of the keys 'descr', 'fortran_order', 'shape'");
    }
    return std::nullopt;
  }

 private:
  void Skip() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatWord(std::string_view w) {
    Skip();
    if (text_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }

  std::optional<std::string> ParseString(std::string* out) {
    Skip();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return "wanted a quoted string";
    const char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') return std::string("escapes in header strings are not supported");
      out->push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) return std::string("unterminated string");
    ++pos_;
    return std::nullopt;
  }

  std::optional<std::string> ParseValue(HeaderValue* v) {
    Skip();
    if (pos_ >= text_.size()) return std::string("unexpected end of header");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      v->kind = HeaderValue::Kind::kString;
      return ParseString(&v->str);
    }
    if (c == '[') {
      v->kind = HeaderValue::Kind::kList;
      return std::nullopt;  // only 'descr' may be a list, and that is rejected by the caller
    }
    if (EatWord("True")) {
      v->kind = HeaderValue::Kind::kBool;
      v->boolean = true;
      return std::nullopt;
    }
    if (EatWord("False")) {
      v->kind = HeaderValue::Kind::kBool;
      v->boolean = false;
      return std::nullopt;
    }
    if (c == '(') {
      ++pos_;
      v->kind = HeaderValue::Kind::kTuple;
      while (true) {
        if (Eat(')')) return std::nullopt;
        Skip();
        int64_t n = 0;
        bool any = false;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
          if (!CheckedMul(n, 10, &n) || __builtin_add_overflow(n, text_[pos_] - '0', &n)) {
            return std::string("a shape entry is too large");
          }
          ++pos_;
          any = true;
        }
        if (!any) return std::string("wanted a non-negative integer in the shape tuple");
        if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long
        v->ints.push_back(n);
        if (Eat(',')) continue;
        if (Eat(')')) return std::nullopt;
        return std::string("wanted ',' or ')' in the shape tuple");
      }
    }
    return std::string("unexpected value in header");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The dtype of a descr, or an error message.
std::optional<std::string> DTypeFromDescr(std::string_view descr, DType* dtype) {
  const std::string quoted = "'" + std::string(descr) + "'";
  const std::string_view code = descr.empty() ? descr : descr.substr(1);
  if (code == "f4")
    *dtype = DType::kFloat32;
  else if (code == "f8")
    *dtype = DType::kFloat64;
  else if (code == "i8")
    *dtype = DType::kInt64;
  else if (code == "i4")
    *dtype = DType::kInt32;
  else if (code == "u1")
    *dtype = DType::kUInt8;
  else if (code == "b1")
    *dtype = DType::kBool;
  else
    return "unsupported dtype " + quoted + " (supported: <f4 <f8 <i8 <i4 |u1 |b1)";
  const char order = descr[0];
  if (DTypeSize(*dtype) == 1) {
    // Byte order is meaningless for one-byte types.
    if (order == '|' || order == '<' || order == '>' || order == '=') return std::nullopt;
  } else if (order == '<') {
    return std::nullopt;
  } else if (order == '>') {
    return "big-endian dtype " + quoted +
           " is not supported; save it little-endian, e.g. arr.astype(arr.dtype.newbyteorder('<'))";
  }
  return "unsupported dtype " + quoted + " (supported: <f4 <f8 <i8 <i4 |u1 |b1)";
}

absl::Status NpyError(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": ", what));
}

std::string ShapeTuple(const Shape& shape) {
  if (shape.size() == 1) return StrCat("(", shape[0], ",)");
  return StrCat("(", absl::StrJoin(shape, ", "), ")");
}

}  // namespace

std::string_view NpyDescr(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt64:
      return "<i8";
    case DType::kInt32:
      return "<i4";
    case DType::kUInt8:
      return "|u1";
    case DType::kBool:
      return "|b1";
  }
  return "?";
}

absl::StatusOr<NpyHeaderInfo> ParseNpyHeader(std::string_view bytes, std::string_view name) {
  if (bytes.size() < kMagic.size() + 2 || bytes.substr(0, kMagic.size()) != kMagic) {
    if (bytes.size() < kMagic.size() + 2 && kMagic.substr(0, std::min(bytes.size(), kMagic.size())) ==
                                                bytes.substr(0, std::min(bytes.size(), kMagic.size()))) {
      return NpyError(name, StrCat("not a .npy file (too short), ", bytes.size(), " bytes"));
    }
    return NpyError(name, "not a .npy file (wrong magic, wanted \\x93NUMPY)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    return NpyError(name, StrCat("unsupported .npy format version ", major, ".", minor));
  }
  const size_t len_size = major == 1 ? 2 : 4;
  const size_t prefix = kMagic.size() + 2 + len_size;
  if (bytes.size() < prefix) {
    return NpyError(name, StrCat("truncated .npy header (", bytes.size(), " bytes)"));
  }
  const uint64_t header_len =
      major == 1 ? GetLE<uint16_t>(bytes.data() + 8) : GetLE<uint32_t>(bytes.data() + 8);
  if (!InBounds(prefix, header_len, bytes.size())) {
    return NpyError(name, StrCat("truncated .npy header: ", header_len, " bytes announced, file has ",
                                 bytes.size(), " bytes"));
  }
  NpyHeaderInfo h;
  if (auto err = HeaderParser(bytes.substr(prefix, header_len)).Parse(&h.descr, &h.fortran_order, &h.shape)) {
    return NpyError(name, StrCat("bad .npy header: ", *err));
  }
  h.data_offset = prefix + header_len;
  return h;
}

absl::StatusOr<Tensor> ParseNpy(std::string_view bytes, std::string_view name) {
  absl::StatusOr<NpyHeaderInfo> h = ParseNpyHeader(bytes, name);
  if (!h.ok()) return h.status();
  const std::string& descr = h->descr;
  const bool fortran_order = h->fortran_order;
  const Shape& shape = h->shape;
  DType dtype = DType::kFloat32;
  if (auto err = DTypeFromDescr(descr, &dtype)) return NpyError(name, *err);
  absl::StatusOr<int64_t> nbytes = ByteCount(shape, dtype);
  if (!nbytes.ok()) return NpyError(name, StrCat("bad .npy header: ", nbytes.status().message()));
  const std::string_view data = bytes.substr(h->data_offset);
  if (data.size() != static_cast<uint64_t>(*nbytes)) {
    return NpyError(name,
                    StrCat(data.size() < static_cast<uint64_t>(*nbytes) ? "truncated .npy data: "
                                                                        : "trailing bytes in .npy data: ",
                           "shape ", ShapeTuple(shape), " ", descr, " needs ", *nbytes, " bytes, file has ",
                           data.size()));
  }
  if (!fortran_order || shape.size() < 2) return TensorFromBytes(shape, dtype, data);
  // Fortran order is row-major order of the reversed shape; permute back and make it contiguous.
  Shape reversed(shape.rbegin(), shape.rend());
  std::vector<int64_t> dims(shape.size());
  std::iota(dims.rbegin(), dims.rend(), 0);
  return TensorFromBytes(reversed, dtype, data).Permute(dims).Contiguous().Detach();
}

std::string NpyHeader(DType dtype, const Shape& shape) {
  std::string dict = StrCat("{'descr': '", NpyDescr(dtype), "', 'fortran_order': False, 'shape': ",
                            ShapeTuple(shape), ", }");
  // Pad with spaces and end with '\n' so that the data starts on a 64-byte boundary.
  int major = 1;
  size_t total = kMagic.size() + 2 + 2 + dict.size() + 1;
  if ((total + kAlign - 1) / kAlign * kAlign - kMagic.size() - 4 > 0xFFFF) {
    major = 2;
    total += 2;
  }
  const size_t padded = (total + kAlign - 1) / kAlign * kAlign;
  dict.append(padded - total, ' ');
  dict.push_back('\n');
  std::string out;
  out.append(kMagic);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  if (major == 1) {
    PutLE<uint16_t>(&out, static_cast<uint16_t>(dict.size()));
  } else {
    PutLE<uint32_t>(&out, static_cast<uint32_t>(dict.size()));
  }
  out.append(dict);
  return out;
}

std::string SerializeNpy(const Tensor& t) {
  const Tensor host = HostContiguous(t);
  const std::string_view data = TensorBytes(host);
  std::string out = NpyHeader(host.dtype(), host.shape());
  out.reserve(out.size() + data.size());
  out.append(data);
  return out;
}

absl::StatusOr<Tensor> ReadNpy(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpy(*bytes, path);
}

absl::Status WriteNpy(const std::string& path, const Tensor& t) {
  return WriteFileAtomically(path, SerializeNpy(t));
}

}  // namespace nb360::io
