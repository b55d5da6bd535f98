#include "tasks/common/pickle_numpy.h"

#include <cstring>
#include <vector>

#include "engine/check.h"
#include "engine/io/byte_io.h"

namespace nb360::tasks {
namespace pickle_internal {


// Parses "<f8", "|u1", "f8", "=i4", ">i2", "<U5" (5 characters), "|S3", "|O", "O8", "b1", "?".
std::optional<Descr> ParseDescr(std::string_view s) {
  Descr d;
  char order = '=';
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    order = s[0];
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  d.kind = s[0] == '?' ? 'b' : s[0];
  s.remove_prefix(1);
  if (std::string_view("fiubOUSVcMm").find(d.kind) == std::string_view::npos) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || n > (int64_t{1} << 40)) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (s.empty()) n = d.kind == 'b' ? 1 : d.kind == 'O' ? 8 : d.kind == 'U' || d.kind == 'S' ? 0 : -1;
  if (n < 0) return std::nullopt;
  d.itemsize = d.kind == 'U' ? n * 4 : n;
  d.order = order == '>' ? '>' : '<';  // '=' is native: little-endian hosts only (byte_io.h)
  if (d.itemsize <= 1 || d.kind == 'O' || d.kind == 'S') d.order = '|';
  return d;
}

std::string DescrString(const Descr& d) {
  return StrCat(d.order, d.kind, d.kind == 'O' ? std::string() : std::to_string(d.kind == 'U' ? d.itemsize / 4 : d.itemsize));
}

namespace {

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
    }
  } else if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Element i of raw (itemsize bytes, byte-swapped when big-endian) as an unsigned integer of that width.
uint64_t LoadBits(const char* p, int64_t itemsize, bool swap) {
  uint64_t v = 0;
  for (int64_t k = 0; k < itemsize; ++k) {
    const uint64_t byte = static_cast<uint8_t>(p[swap ? itemsize - 1 - k : k]);
    v |= byte << (8 * k);
  }
  return v;
}

int64_t SignExtend(uint64_t v, int64_t itemsize) {
  const int shift = 64 - 8 * static_cast<int>(itemsize);
  return static_cast<int64_t>(v << shift) >> shift;
}

// The engine dtype an array of this NumPy type becomes.
std::optional<DType> EngineDType(const Descr& d) {
  switch (d.kind) {
    case 'f':
      if (d.itemsize == 8) return DType::kFloat64;
      if (d.itemsize == 4 || d.itemsize == 2) return DType::kFloat32;
      return std::nullopt;
    case 'i':
      if (d.itemsize == 8) return DType::kInt64;
      if (d.itemsize == 4 || d.itemsize == 2 || d.itemsize == 1) return DType::kInt32;
      return std::nullopt;
    case 'u':
      if (d.itemsize == 1) return DType::kUInt8;
      if (d.itemsize == 2) return DType::kInt32;
      if (d.itemsize == 4 || d.itemsize == 8) return DType::kInt64;
      return std::nullopt;
    case 'b':
      if (d.itemsize == 1) return DType::kBool;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Converts numel C-ordered elements; the only failure is a uint64 value beyond int64.
std::optional<std::string> ConvertNumeric(const Descr& d, DType to, std::string_view raw, int64_t numel, Tensor* out) {
  *out = Tensor::Empty({numel}, to);
  const bool swap = d.order == '>';
  const char* p = raw.data();
  const int64_t w = d.itemsize;
  switch (to) {
    case DType::kFloat64: {
      double* o = out->data<double>();
      for (int64_t i = 0; i < numel; ++i) {
        uint64_t bits = LoadBits(p + i * w, w, swap);
        std::memcpy(&o[i], &bits, 8);
      }
      break;
    }
    case DType::kFloat32: {
      float* o = out->data<float>();
      for (int64_t i = 0; i < numel; ++i) {
        uint64_t bits = LoadBits(p + i * w, w, swap);
        if (w == 2) {
          o[i] = HalfToFloat(static_cast<uint16_t>(bits));
        } else {
          uint32_t b32 = static_cast<uint32_t>(bits);
          std::memcpy(&o[i], &b32, 4);
        }
      }
      break;
    }
    case DType::kInt64: {
      int64_t* o = out->data<int64_t>();
      for (int64_t i = 0; i < numel; ++i) {
        uint64_t bits = LoadBits(p + i * w, w, swap);
        if (d.kind == 'u' && w == 8 && (bits >> 63)) {
          return StrCat("uint64 element ", i, " = ", bits, " does not fit in int64");
        }
        o[i] = d.kind == 'i' ? SignExtend(bits, w) : static_cast<int64_t>(bits);
      }
      break;
    }
    case DType::kInt32: {
      int32_t* o = out->data<int32_t>();
      for (int64_t i = 0; i < numel; ++i) {
        uint64_t bits = LoadBits(p + i * w, w, swap);
        o[i] = static_cast<int32_t>(d.kind == 'i' ? SignExtend(bits, w) : static_cast<int64_t>(bits));
      }
      break;
    }
    case DType::kUInt8:
      std::memcpy(out->data<uint8_t>(), p, static_cast<size_t>(numel));
      break;
    case DType::kBool: {
      bool* o = out->data<bool>();
      for (int64_t i = 0; i < numel; ++i) o[i] = p[i] != 0;
      break;
    }
  }
  return std::nullopt;
}

// For each C-order position, the position of the same element in Fortran order.
std::vector<int64_t> FortranSource(const Shape& shape, int64_t numel) {
  std::vector<int64_t> src(static_cast<size_t>(numel));
  const size_t nd = shape.size();
  std::vector<int64_t> idx(nd, 0), fstride(nd, 1);
  for (size_t k = 1; k < nd; ++k) fstride[k] = fstride[k - 1] * shape[k - 1];
  for (int64_t i = 0; i < numel; ++i) {
    int64_t off = 0;
    for (size_t k = 0; k < nd; ++k) off += idx[k] * fstride[k];
    src[static_cast<size_t>(i)] = off;
    for (size_t k = nd; k-- > 0;) {  // advance the C-order multi-index
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return src;
}

}  // namespace

bool AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return true;
}

// Decodes UTF-8 that holds only code points < 256 (a latin-1 string) back to bytes.
std::optional<std::string> Latin1Bytes(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size() && (static_cast<uint8_t>(utf8[i + 1]) & 0xC0) == 0x80) {
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(utf8[i + 1]) & 0x3F)));
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string Latin1ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) AppendUtf8(static_cast<uint8_t>(c), &out);
  return out;
}

absl::StatusOr<int64_t> CountElements(const Shape& shape, std::string_view name) {
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0 || !io::CheckedMul(numel, d, &numel) || numel > (int64_t{1} << 48)) {
      return absl::InvalidArgumentError(StrCat(name, ": bad array shape ", ShapeString(shape)));
    }
  }
  return numel;
}

}  // namespace pickle_internal

using namespace pickle_internal;  // NOLINT: this file implements them

namespace {

absl::Status ArrayError(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": ", what));
}

}  // namespace

absl::StatusOr<PyRef> MakeNdArray(std::string_view descr, const Shape& shape, bool fortran, std::string_view raw,
                                  std::string_view name) {
  std::optional<Descr> d = ParseDescr(descr);
  if (!d) return ArrayError(name, StrCat("unreadable NumPy dtype '", descr, "'"));
  absl::StatusOr<int64_t> numel = CountElements(shape, name);
  if (!numel.ok()) return numel.status();
  auto v = std::make_shared<PyValue>();
  v->kind = PyValue::Kind::kNdArray;
  v->shape = shape;
  v->descr = DescrString(*d);
  v->depth = 1;
  if (d->kind == 'O') return ArrayError(name, "object arrays need an element list, not raw bytes");
  const bool is_string = d->kind == 'U' || d->kind == 'S';
  if (is_string && d->itemsize == 0 && *numel > 0) {
    return ArrayError(name, StrCat("string dtype ", v->descr, " with zero-size elements"));
  }
  std::optional<DType> to = EngineDType(*d);
  if (!is_string && !to) {
    return ArrayError(name, StrCat("unsupported NumPy dtype ", v->descr,
                                   " (supported: float16/32/64, int8/16/32/64, uint8/16/32/64, bool, str, bytes, object)"));
  }
  int64_t nbytes = 0;
  if (!io::CheckedMul(*numel, d->itemsize, &nbytes) || static_cast<uint64_t>(nbytes) != raw.size()) {
    return ArrayError(name, StrCat("array data of ", raw.size(), " bytes does not match ", v->descr, " ",
                                   ShapeString(shape), " (", *numel, " elements of ", d->itemsize, " bytes)"));
  }
  std::string reordered;
  if (fortran && shape.size() > 1 && *numel > 0) {
    reordered.resize(raw.size());
    const std::vector<int64_t> src = FortranSource(shape, *numel);
    const size_t w = static_cast<size_t>(d->itemsize);
    for (size_t i = 0; i < src.size(); ++i) std::memcpy(&reordered[i * w], raw.data() + src[i] * w, w);
    raw = reordered;
  }
  if (is_string) {
    v->array_kind = PyValue::ArrayKind::kString;
    v->strings.resize(static_cast<size_t>(*numel));
    const size_t w = static_cast<size_t>(d->itemsize);
    for (size_t i = 0; i < v->strings.size(); ++i) {
      std::string_view cell = raw.substr(i * w, w);
      std::string& s = v->strings[i];
      if (d->kind == 'S') {
        s = std::string(cell.substr(0, cell.find_last_not_of('\0') + 1));
        continue;
      }
      for (size_t k = 0; k + 4 <= cell.size(); k += 4) {
        const uint32_t cp = static_cast<uint32_t>(LoadBits(cell.data() + k, 4, d->order == '>'));
        if (cp == 0) continue;  // NUL padding (NumPy strips trailing NULs)
        if (!AppendUtf8(cp, &s)) {
          return ArrayError(name, StrCat("element ", i, " of a ", v->descr, " array holds invalid code point ", cp));
        }
      }
    }
    return PyRef(v);
  }
  Tensor flat;
  if (auto err = ConvertNumeric(*d, *to, raw, *numel, &flat)) return ArrayError(name, *err);
  v->tensor = flat.Reshape(shape);
  return PyRef(v);
}

}  // namespace nb360::tasks
