// tasks/common/mat_v5.cc: the MAT v5/v7 reader (tagged data elements, optionally zlib-compressed).
//
// The file is read element by element from a file or memory source; a compressed variable is inflated
// through a streaming zlib source, so a variable that is not wanted costs only its header. Every size
// the file declares is checked against what the element, the file, or (for compressed data) the
// deflate format's maximum expansion can still hold before anything is allocated.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/byte_io.h"
#include "tasks/common/mat_internal.h"

namespace nb360::tasks::mat_internal {
namespace {

// MAT v5 data types.
enum MiType : uint32_t {
  miINT8 = 1,
  miUINT8 = 2,
  miINT16 = 3,
  miUINT16 = 4,
  miINT32 = 5,
  miUINT32 = 6,
  miSINGLE = 7,
  miDOUBLE = 9,
  miINT64 = 12,
  miUINT64 = 13,
  miMATRIX = 14,
  miCOMPRESSED = 15,
  miUTF8 = 16,
};

// Bytes per element of a numeric data type; 0 for the others.
int MiSize(uint32_t type) {
  switch (type) {
    case miINT8:
    case miUINT8: return 1;
    case miINT16:
    case miUINT16: return 2;
    case miINT32:
    case miUINT32:
    case miSINGLE: return 4;
    case miDOUBLE:
    case miINT64:
    case miUINT64: return 8;
    default: return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Byte sources.

class Source {
 public:
  virtual ~Source() = default;
  // Reads exactly n bytes (an error describing the shortfall otherwise).
  virtual absl::Status Read(char* dst, uint64_t n) = 0;
  // An upper bound on the bytes that can still be read.
  virtual uint64_t MaxRemaining() const = 0;
};

class RandomAccessSource : public Source {
 public:
  virtual uint64_t size() const = 0;
  virtual uint64_t position() const = 0;
  virtual absl::Status SeekTo(uint64_t pos) = 0;
  uint64_t MaxRemaining() const override { return size() - position(); }

 protected:
  absl::Status Truncated(uint64_t n) const {
    return absl::InvalidArgumentError(absl::StrCat("truncated at byte ", position(), ": need ", n,
                                                   " bytes, ", size() - position(), " left"));
  }
};

class MemorySource : public RandomAccessSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  uint64_t position() const override { return pos_; }
  absl::Status Read(char* dst, uint64_t n) override {
    if (n > bytes_.size() - pos_) return Truncated(n);
    if (n > 0) std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status SeekTo(uint64_t pos) override {
    if (pos > bytes_.size()) return absl::InvalidArgumentError(absl::StrCat("seek past the end to ", pos));
    pos_ = pos;
    return absl::OkStatus();
  }

 private:
  std::string_view bytes_;
  uint64_t pos_ = 0;
};

class FileSource : public RandomAccessSource {
 public:
  static absl::StatusOr<std::unique_ptr<FileSource>> Open(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
    }
    std::unique_ptr<FileSource> src(new FileSource(f));
    if (fseeko(f, 0, SEEK_END) != 0) return absl::InternalError(absl::StrCat(path, ": cannot seek"));
    src->size_ = static_cast<uint64_t>(ftello(f));
    if (fseeko(f, 0, SEEK_SET) != 0) return absl::InternalError(absl::StrCat(path, ": cannot seek"));
    return src;
  }
  ~FileSource() override { std::fclose(f_); }
  uint64_t size() const override { return size_; }
  uint64_t position() const override { return pos_; }
  absl::Status Read(char* dst, uint64_t n) override {
    if (n > size_ - pos_) return Truncated(n);
    if (n > 0 && std::fread(dst, 1, n, f_) != n) {
      return absl::DataLossError(absl::StrCat("read error at byte ", pos_));
    }
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status SeekTo(uint64_t pos) override {
    if (pos > size_) return absl::InvalidArgumentError(absl::StrCat("seek past the end to ", pos));
    if (fseeko(f_, static_cast<off_t>(pos), SEEK_SET) != 0) {
      return absl::DataLossError(absl::StrCat("cannot seek to byte ", pos));
    }
    pos_ = pos;
    return absl::OkStatus();
  }

 private:
  explicit FileSource(std::FILE* f) : f_(f) {}
  std::FILE* f_;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
};

// Inflates `compressed` bytes of `outer` (from its current position) on demand.
class InflateSource : public Source {
 public:
  // Deflate expands at most ~1032:1; a generous bound for size checks.
  static constexpr uint64_t kMaxRatio = 1032;

  InflateSource(RandomAccessSource* outer, uint64_t compressed) : outer_(outer), left_(compressed) {}
  ~InflateSource() override {
    if (initialised_) inflateEnd(&zs_);
  }
  absl::Status Init() {
    std::memset(&zs_, 0, sizeof(zs_));
    if (inflateInit(&zs_) != Z_OK) return absl::InternalError("inflateInit failed");
    initialised_ = true;
    return absl::OkStatus();
  }
  uint64_t MaxRemaining() const override {
    const uint64_t in = left_ + zs_.avail_in;
    if (in > std::numeric_limits<uint64_t>::max() / kMaxRatio - 1) return std::numeric_limits<uint64_t>::max();
    return (in + 1) * kMaxRatio + (uint64_t{1} << 16);
  }
  absl::Status Read(char* dst, uint64_t n) override;
  // Inflates to the end of the stream, discarding the output (checks the Adler-32 checksum).
  absl::Status Drain();

 private:
  absl::Status Refill();
  absl::Status Step(char* dst, uInt want, uint64_t* got);

  RandomAccessSource* outer_;
  uint64_t left_;           // compressed bytes not yet read from outer_
  uint64_t produced_ = 0;   // decompressed bytes so far
  bool initialised_ = false;
  bool ended_ = false;
  z_stream zs_{};
  std::vector<char> in_ = std::vector<char>(256 << 10);
};

absl::Status InflateSource::Refill() {
  const uint64_t k = std::min<uint64_t>(left_, in_.size());
  if (absl::Status s = outer_->Read(in_.data(), k); !s.ok()) return s;
  left_ -= k;
  zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
  zs_.avail_in = static_cast<uInt>(k);
  return absl::OkStatus();
}

// One inflate call into dst[0, want); adds the bytes produced to *got.
absl::Status InflateSource::Step(char* dst, uInt want, uint64_t* got) {
  if (zs_.avail_in == 0 && left_ > 0) {
    if (absl::Status s = Refill(); !s.ok()) return s;
  }
  zs_.next_out = reinterpret_cast<Bytef*>(dst);
  zs_.avail_out = want;
  const int ret = inflate(&zs_, Z_NO_FLUSH);
  *got = want - zs_.avail_out;
  produced_ += *got;
  if (ret == Z_STREAM_END) {
    ended_ = true;
  } else if (ret == Z_BUF_ERROR && zs_.avail_in == 0 && left_ == 0) {
    return absl::InvalidArgumentError(absl::StrCat("compressed stream truncated after ", produced_,
                                                   " decompressed bytes"));
  } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("zlib error after ", produced_, " decompressed bytes: ",
                                                   zs_.msg != nullptr ? zs_.msg : zError(ret)));
  }
  return absl::OkStatus();
}

absl::Status InflateSource::Read(char* dst, uint64_t n) {
  while (n > 0) {
    if (ended_) {
      return absl::InvalidArgumentError(absl::StrCat("compressed data ends after ", produced_,
                                                     " bytes; ", n, " more needed"));
    }
    uint64_t got = 0;
    if (absl::Status s = Step(dst, static_cast<uInt>(std::min<uint64_t>(n, 1u << 30)), &got); !s.ok()) return s;
    dst += got;
    n -= got;
  }
  return absl::OkStatus();
}

absl::Status InflateSource::Drain() {
  char scratch[16384];
  while (!ended_) {
    uint64_t got = 0;
    if (absl::Status s = Step(scratch, sizeof(scratch), &got); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Element parsing.

template <class T>
T Load(const char* p, bool swap) {
  std::make_unsigned_t<std::conditional_t<std::is_floating_point_v<T>,
                                          std::conditional_t<sizeof(T) == 4, int32_t, int64_t>, T>>
      bits;
  static_assert(sizeof(bits) == sizeof(T));
  std::memcpy(&bits, p, sizeof(T));
  if (swap) {
    if constexpr (sizeof(T) == 2) bits = __builtin_bswap16(bits);
    if constexpr (sizeof(T) == 4) bits = __builtin_bswap32(bits);
    if constexpr (sizeof(T) == 8) bits = __builtin_bswap64(bits);
  }
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

// The bytes of one matrix element still unread; reads are checked against it.
struct Body {
  Source* src;
  uint64_t left;

  absl::Status Read(char* dst, uint64_t n, absl::string_view what) {
    if (n > left) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": needs ", n, " bytes but the matrix element has only ", left, " left"));
    }
    left -= n;
    return Annotate(src->Read(dst, n), what);
  }
  absl::Status Skip(uint64_t n, absl::string_view what) {
    char scratch[4096];
    while (n > 0) {
      const uint64_t k = std::min<uint64_t>(n, sizeof(scratch));
      if (absl::Status s = Read(scratch, k, what); !s.ok()) return s;
      n -= k;
    }
    return absl::OkStatus();
  }
};

struct Tag {
  uint32_t type = 0;
  uint32_t bytes = 0;
  bool small = false;
  char data[4] = {0, 0, 0, 0};  // the data of a small element
};

absl::StatusOr<Tag> ParseTag(const char* b, bool swap, absl::string_view what) {
  Tag tag;
  const uint32_t w0 = Load<uint32_t>(b, swap);
  if ((w0 >> 16) != 0) {
    tag.small = true;
    tag.type = w0 & 0xFFFF;
    tag.bytes = w0 >> 16;
    if (tag.bytes > 4) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": small data element declares ", tag.bytes, " bytes (at most 4)"));
    }
    std::memcpy(tag.data, b + 4, 4);
  } else {
    tag.type = w0;
    tag.bytes = Load<uint32_t>(b + 4, swap);
  }
  return tag;
}

absl::StatusOr<Tag> ReadTag(Body& body, bool swap, absl::string_view what) {
  char b[8];
  if (absl::Status s = body.Read(b, 8, what); !s.ok()) return s;
  return ParseTag(b, swap, what);
}

// Reads a whole sub-element of at most `max_bytes` bytes, including its padding.
absl::StatusOr<std::string> ReadSubelement(Body& body, bool swap, uint64_t max_bytes, Tag* tag_out,
                                           absl::string_view what) {
  absl::StatusOr<Tag> tag = ReadTag(body, swap, what);
  if (!tag.ok()) return tag.status();
  *tag_out = *tag;
  if (tag->small) return std::string(tag->data, tag->bytes);
  if (tag->bytes > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": declares ", tag->bytes, " bytes (at most ", max_bytes, " expected)"));
  }
  std::string data(tag->bytes, '\0');
  if (absl::Status s = body.Read(data.data(), data.size(), what); !s.ok()) return s;
  const uint64_t pad = std::min<uint64_t>((8 - tag->bytes % 8) % 8, body.left);
  if (absl::Status s = body.Skip(pad, what); !s.ok()) return s;
  return data;
}

// ---------------------------------------------------------------------------------------------
// Element conversion.

template <class To, class From>
bool FitsInteger(From v) {
  if constexpr (std::is_floating_point_v<From>) {
    // Exact powers of two bound the range; NaN fails both comparisons.
    const long double lo = static_cast<long double>(std::numeric_limits<To>::min());
    const long double hi = static_cast<long double>(std::numeric_limits<To>::max()) + 1.0L;
    return static_cast<long double>(v) >= lo && static_cast<long double>(v) < hi;
  } else if constexpr (std::is_signed_v<From>) {
    return static_cast<int64_t>(v) >= static_cast<int64_t>(std::numeric_limits<To>::min()) &&
           (v < 0 || static_cast<uint64_t>(v) <= static_cast<uint64_t>(std::numeric_limits<To>::max()));
  } else {
    return static_cast<uint64_t>(v) <= static_cast<uint64_t>(std::numeric_limits<To>::max());
  }
}

template <class To, class From>
absl::Status ConvertLoop(const char* src, int64_t n, bool swap, To* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const From v = Load<From>(src + i * sizeof(From), swap);
    if constexpr (std::is_same_v<To, bool>) {
      dst[i] = v != 0;
    } else if constexpr (std::is_integral_v<To>) {
      if (!FitsInteger<To>(v)) {
        return absl::InvalidArgumentError(absl::StrCat("element ", i, " = ", v,
                                                       " does not fit the array's integer class"));
      }
      dst[i] = static_cast<To>(v);
    } else {
      dst[i] = static_cast<To>(v);
    }
  }
  return absl::OkStatus();
}

template <class To>
absl::Status ConvertTo(uint32_t mi, const char* src, int64_t n, bool swap, To* dst) {
  switch (mi) {
    case miINT8: return ConvertLoop<To, int8_t>(src, n, swap, dst);
    case miUINT8: return ConvertLoop<To, uint8_t>(src, n, swap, dst);
    case miINT16: return ConvertLoop<To, int16_t>(src, n, swap, dst);
    case miUINT16: return ConvertLoop<To, uint16_t>(src, n, swap, dst);
    case miINT32: return ConvertLoop<To, int32_t>(src, n, swap, dst);
    case miUINT32: return ConvertLoop<To, uint32_t>(src, n, swap, dst);
    case miSINGLE: return ConvertLoop<To, float>(src, n, swap, dst);
    case miDOUBLE: return ConvertLoop<To, double>(src, n, swap, dst);
    case miINT64: return ConvertLoop<To, int64_t>(src, n, swap, dst);
    default: return ConvertLoop<To, uint64_t>(src, n, swap, dst);
  }
}

absl::Status Convert(uint32_t mi, const char* src, int64_t n, bool swap, DType dest, void* dst) {
  switch (dest) {
    case DType::kFloat64: return ConvertTo(mi, src, n, swap, static_cast<double*>(dst));
    case DType::kFloat32: return ConvertTo(mi, src, n, swap, static_cast<float*>(dst));
    case DType::kInt64: return ConvertTo(mi, src, n, swap, static_cast<int64_t*>(dst));
    case DType::kInt32: return ConvertTo(mi, src, n, swap, static_cast<int32_t*>(dst));
    case DType::kUInt8: return ConvertTo(mi, src, n, swap, static_cast<uint8_t*>(dst));
    case DType::kBool: return ConvertTo(mi, src, n, swap, static_cast<bool*>(dst));
  }
  return absl::InternalError("unknown dtype");
}

// True when the stored bytes are already the destination's representation.
bool SameRepresentation(uint32_t mi, DType dest) {
  switch (dest) {
    case DType::kFloat64: return mi == miDOUBLE;
    case DType::kFloat32: return mi == miSINGLE;
    case DType::kInt64: return mi == miINT64;
    case DType::kInt32: return mi == miINT32;
    case DType::kUInt8: return mi == miUINT8;
    case DType::kBool: return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Matrices.

struct MatrixHeader {
  int cls = 0;
  bool complex = false;
  bool logical = false;
  Shape dims;
  std::string name;
};

absl::StatusOr<MatrixHeader> ReadMatrixHeader(Body& body, bool swap) {
  MatrixHeader h;
  Tag tag;
  absl::StatusOr<std::string> flags = ReadSubelement(body, swap, 64, &tag, "array flags");
  if (!flags.ok()) return flags.status();
  if (tag.type != miUINT32 || flags->size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat("array flags: expected miUINT32 (>= 4 bytes), got type ",
                                                   tag.type, " with ", flags->size(), " bytes"));
  }
  const uint32_t word = Load<uint32_t>(flags->data(), swap);
  h.cls = static_cast<int>(word & 0xFF);
  h.complex = (word & 0x0800) != 0;
  h.logical = (word & 0x0200) != 0;
  absl::StatusOr<std::string> dims = ReadSubelement(body, swap, 4 * 64, &tag, "dimensions");
  if (!dims.ok()) return dims.status();
  if (tag.type != miINT32 || dims->empty() || dims->size() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("dimensions: expected miINT32 values, got type ", tag.type,
                                                   " with ", dims->size(), " bytes"));
  }
  for (size_t i = 0; i < dims->size(); i += 4) {
    const int32_t d = Load<int32_t>(dims->data() + i, swap);
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("dimensions: negative size ", d));
    h.dims.push_back(d);
  }
  absl::StatusOr<std::string> name = ReadSubelement(body, swap, 4096, &tag, "array name");
  if (!name.ok()) return name.status();
  if (tag.type != miINT8 && tag.type != miUINT8 && tag.type != miUTF8) {
    return absl::InvalidArgumentError(absl::StrCat("array name: unexpected data type ", tag.type));
  }
  h.name = std::move(*name);
  return h;
}

// Reads the real part of a numeric matrix into a new row-major tensor.
absl::StatusOr<Tensor> ReadMatrixData(Body& body, bool swap, const MatrixHeader& h) {
  int64_t numel = 1;
  for (int64_t d : h.dims) {
    if (!io::CheckedMul(numel, d, &numel)) return absl::InvalidArgumentError("dimensions overflow");
  }
  absl::StatusOr<Tag> tag = ReadTag(body, swap, "data");
  if (!tag.ok()) return tag.status();
  const int mi_size = MiSize(tag->type);
  if (mi_size == 0) {
    return absl::InvalidArgumentError(absl::StrCat("data: non-numeric data type ", tag->type));
  }
  int64_t bytes = 0;
  if (!io::CheckedMul(numel, mi_size, &bytes) || static_cast<uint64_t>(bytes) != tag->bytes) {
    return absl::InvalidArgumentError(absl::StrCat("data: ", tag->bytes, " bytes, but dimensions ",
                                                   ShapeString(h.dims), " of ", mi_size,
                                                   "-byte elements need ", numel, " x ", mi_size));
  }
  if (!tag->small && (tag->bytes > body.left || tag->bytes > body.src->MaxRemaining())) {
    return absl::InvalidArgumentError(absl::StrCat("data: declares ", tag->bytes, " bytes but at most ",
                                                   std::min(body.left, body.src->MaxRemaining()),
                                                   " can follow"));
  }
  const DType dtype = DTypeForClass(h.cls, h.logical);
  Tensor out = Tensor::Empty(h.dims, dtype);
  if (numel == 0) return out;
  if (tag->small) {
    if (absl::Status s = Convert(tag->type, tag->data, numel, swap, dtype, out.raw_data()); !s.ok()) {
      return Annotate(s, "data");
    }
    return out;
  }
  const SlabLayout layout(h.dims);
  const size_t elem = DTypeSize(dtype);
  const bool direct = !swap && SameRepresentation(tag->type, dtype);
  const int64_t per_block = layout.SlabsPerBlock(std::max<size_t>(elem, mi_size));
  std::unique_ptr<char[]> block(new char[static_cast<size_t>(per_block * layout.slab()) * elem]);  // uninitialised
  AdviseHugePages(block.get(), static_cast<size_t>(per_block * layout.slab()) * elem);
  AdviseHugePages(out.raw_data(), static_cast<size_t>(out.numel()) * elem);
  std::unique_ptr<char[]> raw(new char[direct ? 1 : static_cast<size_t>(per_block * layout.slab()) * mi_size]);
  for (int64_t l0 = 0; l0 < layout.slabs(); l0 += per_block) {
    const int64_t count = std::min(per_block, layout.slabs() - l0);
    const int64_t n = count * layout.slab();
    char* dst = direct ? block.get() : raw.get();
    if (absl::Status s = body.Read(dst, n * mi_size, "data"); !s.ok()) return s;
    if (!direct) {
      if (absl::Status s = Convert(tag->type, raw.get(), n, swap, dtype, block.get()); !s.ok()) {
        return Annotate(s, "data");
      }
    }
    layout.Scatter(block.get(), l0, count, elem, out.raw_data());
  }
  return out;
}

// What became of one matrix element.
struct MatrixResult {
  std::string name;
  std::optional<Tensor> tensor;  // empty when skipped
  std::string skip_reason;       // why a matrix named in `only` was not read
};

absl::StatusOr<MatrixResult> ReadMatrix(Body& body, bool swap, const std::set<std::string>& only) {
  absl::StatusOr<MatrixHeader> h = ReadMatrixHeader(body, swap);
  if (!h.ok()) return h.status();
  MatrixResult r;
  r.name = h->name;
  if (h->name.empty() || (!only.empty() && only.count(h->name) == 0)) return r;
  const std::string what = absl::StrCat("variable '", h->name, "'");
  if (!IsNumericClass(h->cls)) {
    r.skip_reason = absl::StrCat("is a ", ClassName(h->cls), " array, not a numeric array");
    return r;
  }
  if (h->complex) {
    return absl::UnimplementedError(absl::StrCat(what, ": complex arrays are not supported"));
  }
  absl::StatusOr<Tensor> t = ReadMatrixData(body, swap, *h);
  if (!t.ok()) return Annotate(t.status(), what);
  r.tensor = std::move(*t);
  return r;
}

// Reads the top-level element starting at the source's position; `end` receives where the next starts.
absl::StatusOr<MatrixResult> ReadElement(RandomAccessSource& src, bool swap, const std::set<std::string>& only,
                                         uint64_t* end) {
  const uint64_t start = src.position();
  char b[8];
  if (absl::Status s = src.Read(b, 8); !s.ok()) return Annotate(s, "element tag");
  Body outer{&src, src.size() - start - 8};
  absl::StatusOr<Tag> tag = ParseTag(b, swap, "element tag");
  if (!tag.ok()) return tag.status();
  if (tag->small) {
    return absl::InvalidArgumentError(absl::StrCat("small data element (type ", tag->type, ") at top level"));
  }
  if (tag->bytes > outer.left) {
    return absl::InvalidArgumentError(absl::StrCat("element of type ", tag->type, " declares ", tag->bytes,
                                                   " bytes but only ", outer.left, " follow"));
  }
  uint64_t padded = tag->bytes;
  if (tag->type != miCOMPRESSED) padded = std::min<uint64_t>(outer.left, (padded + 7) / 8 * 8);
  *end = start + 8 + padded;
  if (tag->type == miMATRIX) {
    Body body{&src, tag->bytes};
    return ReadMatrix(body, swap, only);
  }
  if (tag->type != miCOMPRESSED) return MatrixResult{};  // other top-level elements are skipped
  InflateSource inflater(&src, tag->bytes);
  if (absl::Status s = inflater.Init(); !s.ok()) return s;
  Body inner{&inflater, std::numeric_limits<uint64_t>::max()};
  absl::StatusOr<Tag> inner_tag = ReadTag(inner, swap, "compressed element tag");
  if (!inner_tag.ok()) return inner_tag.status();
  if (inner_tag->type != miMATRIX || inner_tag->small) return MatrixResult{};
  Body body{&inflater, inner_tag->bytes};
  absl::StatusOr<MatrixResult> r = ReadMatrix(body, swap, only);
  if (r.ok() && r->tensor.has_value()) {
    // Inflate what is left (padding, imaginary parts) so that zlib verifies the stream's checksum.
    if (absl::Status s = inflater.Drain(); !s.ok()) return Annotate(s, absl::StrCat("variable '", r->name, "'"));
  }
  return r;
}

absl::StatusOr<std::map<std::string, Tensor>> ReadAll(RandomAccessSource& src, absl::string_view name,
                                                      const std::vector<std::string>& only_list) {
  char header[128];
  if (absl::Status s = src.Read(header, 128); !s.ok()) return Annotate(s, name);
  const bool swap = header[126] == 'M' && header[127] == 'I';
  const std::set<std::string> only(only_list.begin(), only_list.end());
  std::map<std::string, Tensor> vars;
  std::map<std::string, std::string> skipped;
  while (src.position() < src.size()) {
    const uint64_t start = src.position();
    uint64_t end = 0;
    absl::StatusOr<MatrixResult> r = ReadElement(src, swap, only, &end);
    if (!r.ok()) return Annotate(r.status(), absl::StrCat(name, ": element at byte ", start));
    if (r->tensor.has_value()) {
      vars[r->name] = std::move(*r->tensor);
      skipped.erase(r->name);
    } else if (!r->skip_reason.empty()) {
      skipped[r->name] = r->skip_reason;
    }
    if (!only.empty() && vars.size() == only.size()) break;
    if (absl::Status s = src.SeekTo(end); !s.ok()) {
      return Annotate(s, absl::StrCat(name, ": element at byte ", start));
    }
  }
  for (const std::string& want : only) {
    if (vars.count(want) != 0) continue;
    if (auto it = skipped.find(want); it != skipped.end()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": variable '", want, "' ", it->second));
    }
    std::vector<std::string> found;
    for (const auto& [k, v] : vars) found.push_back(k);
    return absl::NotFoundError(absl::StrCat(name, ": no numeric variable '", want, "' (read: ",
                                            found.empty() ? "none" : absl::StrJoin(found, ", "), ")"));
  }
  return vars;
}

}  // namespace

absl::StatusOr<std::map<std::string, Tensor>> ReadMatV5(const std::string& path, std::string_view bytes,
                                                        absl::string_view name,
                                                        const std::vector<std::string>& only) {
  if (path.empty()) {
    MemorySource src(bytes);
    return ReadAll(src, name, only);
  }
  absl::StatusOr<std::unique_ptr<FileSource>> src = FileSource::Open(path);
  if (!src.ok()) return src.status();
  return ReadAll(**src, name, only);
}

}  // namespace nb360::tasks::mat_internal
