// tasks/common/mat_write.cc: WriteMatV5, a little-endian MAT v5 writer (plain or miCOMPRESSED).
//
// Variables are streamed to a temporary file in the destination's directory (column-major data
// gathered from the row-major tensor one block of slabs at a time, so no full-size copy is made),
// which is fsynced and renamed over `path`. A compressed element's size is patched once known.
// The header text carries no date, so equal inputs give equal bytes.
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/io/byte_io.h"
#include "tasks/common/mat.h"
#include "tasks/common/mat_internal.h"

namespace nb360::tasks {
namespace {

using mat_internal::Annotate;
using mat_internal::SlabLayout;

constexpr uint32_t kMiInt8 = 1, kMiUInt8 = 2, kMiInt32 = 5, kMiUInt32 = 6, kMiSingle = 7, kMiDouble = 9,
                   kMiInt64 = 12, kMiMatrix = 14, kMiCompressed = 15;

// Receives the bytes of the file (directly or through deflate).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual absl::Status Write(const char* data, size_t n) = 0;
};

class FileSink : public Sink {
 public:
  explicit FileSink(std::FILE* f) : f_(f) {}
  absl::Status Write(const char* data, size_t n) override {
    if (n > 0 && std::fwrite(data, 1, n, f_) != n) {
      return absl::DataLossError(absl::StrCat("write failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

 private:
  std::FILE* f_;
};

class DeflateSink : public Sink {
 public:
  DeflateSink(Sink* out, int level) : out_(out), level_(level) {}
  ~DeflateSink() override {
    if (initialised_) deflateEnd(&zs_);
  }
  absl::Status Init() {
    if (deflateInit(&zs_, level_) != Z_OK) return absl::InvalidArgumentError(absl::StrCat("bad zlib level ", level_));
    initialised_ = true;
    return absl::OkStatus();
  }
  absl::Status Write(const char* data, size_t n) override { return Run(data, n, Z_NO_FLUSH); }
  absl::Status Finish() { return Run(nullptr, 0, Z_FINISH); }
  uint64_t compressed_bytes() const { return written_; }

 private:
  absl::Status Run(const char* data, size_t n, int flush) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs_.avail_in = static_cast<uInt>(n);  // callers pass at most kBlockBytes
    int ret = Z_OK;
    do {
      zs_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      zs_.avail_out = static_cast<uInt>(buf_.size());
      ret = deflate(&zs_, flush);
      if (ret == Z_STREAM_ERROR) return absl::InternalError("deflate failed");
      const size_t have = buf_.size() - zs_.avail_out;
      written_ += have;
      if (absl::Status s = out_->Write(buf_.data(), have); !s.ok()) return s;
    } while (zs_.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
    return absl::OkStatus();
  }

  Sink* out_;
  int level_;
  bool initialised_ = false;
  z_stream zs_{};
  uint64_t written_ = 0;
  std::vector<char> buf_ = std::vector<char>(1 << 20);
};

struct Encoding {
  uint32_t mi_type;
  int cls;
  bool logical;
};

Encoding EncodingFor(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return {kMiDouble, mat_internal::kDoubleClass, false};
    case DType::kFloat32: return {kMiSingle, mat_internal::kSingleClass, false};
    case DType::kInt64: return {kMiInt64, mat_internal::kInt64Class, false};
    case DType::kInt32: return {kMiInt32, mat_internal::kInt32Class, false};
    case DType::kUInt8: return {kMiUInt8, mat_internal::kUInt8Class, false};
    case DType::kBool: return {kMiUInt8, mat_internal::kUInt8Class, true};
  }
  return {kMiDouble, mat_internal::kDoubleClass, false};
}

Shape MatDims(const Tensor& t) {
  if (t.dim() == 0) return {1, 1};
  if (t.dim() == 1) return {1, t.size(0)};
  return t.shape();
}

void PutTag(std::string* out, uint32_t type, uint32_t bytes) {
  io::PutLE<uint32_t>(out, type);
  io::PutLE<uint32_t>(out, bytes);
}

void Pad8(std::string* out) {
  while (out->size() % 8 != 0) out->push_back('\0');
}

// Array flags, dimensions and name sub-elements.
std::string MatrixHeader(const std::string& name, const Encoding& enc, const Shape& dims) {
  std::string h;
  PutTag(&h, kMiUInt32, 8);
  io::PutLE<uint32_t>(&h, static_cast<uint32_t>(enc.cls) | (enc.logical ? 0x0200u : 0u));
  io::PutLE<uint32_t>(&h, 0);
  PutTag(&h, kMiInt32, static_cast<uint32_t>(4 * dims.size()));
  for (int64_t d : dims) io::PutLE<uint32_t>(&h, static_cast<uint32_t>(d));
  Pad8(&h);
  if (name.size() <= 4) {
    io::PutLE<uint32_t>(&h, (static_cast<uint32_t>(name.size()) << 16) | kMiInt8);
    h += name;
  } else {
    PutTag(&h, kMiInt8, static_cast<uint32_t>(name.size()));
    h += name;
  }
  Pad8(&h);
  return h;
}

absl::Status CheckVariable(const std::string& name, const Tensor& t) {
  if (name.empty() || name.size() > 63 || !std::isalpha(static_cast<unsigned char>(name[0]))) {
    return absl::InvalidArgumentError(absl::StrCat("variable name '", name,
                                                   "' is not a MATLAB identifier (letter first, at most 63)"));
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return absl::InvalidArgumentError(absl::StrCat("variable name '", name, "' has a character other than "
                                                     "letters, digits and _"));
    }
  }
  if (!t.defined() || !t.device().is_cpu()) {
    return absl::InvalidArgumentError(absl::StrCat("variable '", name, "' is not a defined CPU tensor"));
  }
  for (int64_t d : MatDims(t)) {
    if (d > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("variable '", name, "': dimension ", d, " exceeds int32"));
    }
  }
  const uint64_t data = static_cast<uint64_t>(t.numel()) * DTypeSize(t.dtype());
  if (data + 4096 > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("variable '", name, "': ", data,
                                                   " bytes exceed the MAT v5 element limit (4 GiB)"));
  }
  return absl::OkStatus();
}

// Writes one miMATRIX element (tag, header, data, padding) to `sink`.
absl::Status WriteMatrix(Sink* sink, const std::string& name, const Tensor& tensor) {
  const Tensor t = tensor.Contiguous();
  const Encoding enc = EncodingFor(t.dtype());
  const Shape dims = MatDims(t);
  const size_t elem = DTypeSize(t.dtype());
  const uint64_t data_bytes = static_cast<uint64_t>(t.numel()) * elem;
  const uint64_t pad = (8 - data_bytes % 8) % 8;
  std::string head;
  const std::string header = MatrixHeader(name, enc, dims);
  PutTag(&head, kMiMatrix, static_cast<uint32_t>(header.size() + 8 + data_bytes + pad));
  head += header;
  PutTag(&head, enc.mi_type, static_cast<uint32_t>(data_bytes));
  if (absl::Status s = sink->Write(head.data(), head.size()); !s.ok()) return s;
  const SlabLayout layout(dims);
  const int64_t per_block = layout.SlabsPerBlock(elem);
  std::unique_ptr<char[]> block(new char[static_cast<size_t>(per_block * layout.slab()) * elem]);  // uninitialised
  for (int64_t l0 = 0; l0 < layout.slabs() && layout.slab() > 0; l0 += per_block) {
    const int64_t count = std::min(per_block, layout.slabs() - l0);
    layout.Gather(t.raw_data(), l0, count, elem, block.get());
    if (absl::Status s = sink->Write(block.get(), count * layout.slab() * elem); !s.ok()) return s;
  }
  const char zeros[8] = {};
  return sink->Write(zeros, pad);
}

absl::Status WriteVariable(std::FILE* f, const std::string& name, const Tensor& t, bool compress, int level) {
  FileSink file(f);
  if (!compress) return WriteMatrix(&file, name, t);
  const off_t tag_at = ftello(f);
  std::string tag;
  PutTag(&tag, kMiCompressed, 0);
  if (absl::Status s = file.Write(tag.data(), tag.size()); !s.ok()) return s;
  DeflateSink deflater(&file, level);
  if (absl::Status s = deflater.Init(); !s.ok()) return s;
  if (absl::Status s = WriteMatrix(&deflater, name, t); !s.ok()) return s;
  if (absl::Status s = deflater.Finish(); !s.ok()) return s;
  if (deflater.compressed_bytes() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("variable '", name, "': compressed size exceeds 4 GiB"));
  }
  const off_t end = ftello(f);
  std::string size;
  io::PutLE<uint32_t>(&size, static_cast<uint32_t>(deflater.compressed_bytes()));
  if (fseeko(f, tag_at + 4, SEEK_SET) != 0 || std::fwrite(size.data(), 1, 4, f) != 4 ||
      fseeko(f, end, SEEK_SET) != 0) {
    return absl::DataLossError(absl::StrCat("cannot patch the compressed size: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string FileHeader() {
  std::string h = "MATLAB 5.0 MAT-file, Platform: nb360, written by nb360::tasks::WriteMatV5";
  h.resize(116, ' ');
  h.append(8, '\0');  // no subsystem data
  io::PutLE<uint16_t>(&h, 0x0100);
  h += "IM";
  return h;
}

std::string TempPath(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return absl::StrCat(dir, ".", base, ".tmp.", getpid(), ".", counter++);
}

absl::Status WriteAll(std::FILE* f, const std::map<std::string, Tensor>& vars, bool compress, int level) {
  const std::string header = FileHeader();
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size()) {
    return absl::DataLossError(absl::StrCat("write failed: ", std::strerror(errno)));
  }
  for (const auto& [name, t] : vars) {
    if (absl::Status s = WriteVariable(f, name, t, compress, level); !s.ok()) {
      return Annotate(s, absl::StrCat("variable '", name, "'"));
    }
  }
  if (std::fflush(f) != 0 || fsync(fileno(f)) != 0) {
    return absl::DataLossError(absl::StrCat("flush failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteMatV5(const std::string& path, const std::map<std::string, Tensor>& vars, bool compress,
                        int level) {
  for (const auto& [name, t] : vars) {
    if (absl::Status s = CheckVariable(name, t); !s.ok()) return Annotate(s, path);
  }
  const std::string tmp = TempPath(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create ", tmp, ": ", std::strerror(errno)));
  }
  absl::Status s = WriteAll(f, vars, compress, level);
  if (std::fclose(f) != 0 && s.ok()) s = absl::DataLossError(absl::StrCat("close failed: ", std::strerror(errno)));
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    s = absl::DataLossError(absl::StrCat("cannot rename ", tmp, ": ", std::strerror(errno)));
  }
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return Annotate(s, path);
  }
  return absl::OkStatus();
}

}  // namespace nb360::tasks
