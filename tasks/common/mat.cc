// tasks/common/mat.cc: version detection for .mat files and the helpers shared by the readers/writer.
#include "tasks/common/mat.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "tasks/common/mat_internal.h"

namespace nb360::tasks {
namespace mat_internal {

bool IsNumericClass(int cls) { return cls >= kDoubleClass && cls <= kUInt64Class; }

std::string ClassName(int cls) {
  static const char* const kNames[] = {"",       "cell",   "struct", "object", "char",   "sparse",
                                       "double", "single", "int8",   "uint8",  "int16",  "uint16",
                                       "int32",  "uint32", "int64",  "uint64", "function handle",
                                       "opaque"};
  if (cls >= 1 && cls <= 17) return kNames[cls];
  return absl::StrCat("class ", cls);
}

DType DTypeForClass(int cls, bool logical) {
  if (logical) return DType::kBool;
  switch (cls) {
    case kDoubleClass: return DType::kFloat64;
    case kSingleClass: return DType::kFloat32;
    case kUInt8Class: return DType::kUInt8;
    case kInt8Class:
    case kInt16Class:
    case kUInt16Class:
    case kInt32Class: return DType::kInt32;
    default: return DType::kInt64;  // uint32, int64, uint64
  }
}

int ClassFromName(absl::string_view name) {
  for (int cls = kDoubleClass; cls <= kUInt64Class; ++cls) {
    if (name == ClassName(cls)) return cls;
  }
  return 0;
}

SlabLayout::SlabLayout(const Shape& dims) {
  if (dims.empty()) return;
  last_ = dims.back();
  dims_.assign(dims.begin(), dims.end() - 1);
  rstride_.assign(dims_.size(), 1);
  for (int64_t d = static_cast<int64_t>(dims_.size()) - 2; d >= 0; --d) {
    rstride_[d] = rstride_[d + 1] * dims_[d + 1];
  }
  for (int64_t d : dims_) slab_ *= d;
}

int64_t SlabLayout::SlabsPerBlock(size_t elem_size) const {
  const int64_t bytes = std::max<int64_t>(1, slab_) * static_cast<int64_t>(elem_size);
  return std::max<int64_t>(1, std::min<int64_t>(last_, kBlockBytes / bytes));
}

namespace {

// Walks the slab positions p = 0..slab-1 in column-major order, tracking the row-major offset r(p)
// (in units of the last dimension), and calls fn(p, r).
template <class Fn>
void WalkSlab(const Shape& dims, const Shape& rstride, int64_t slab, Fn&& fn) {
  const size_t n = dims.size();
  std::vector<int64_t> sub(n, 0);
  int64_t r = 0;
  for (int64_t p = 0; p < slab; ++p) {
    fn(p, r);
    for (size_t k = 0; k < n; ++k) {
      if (++sub[k] < dims[k]) {
        r += rstride[k];
        break;
      }
      r -= (dims[k] - 1) * rstride[k];
      sub[k] = 0;
    }
  }
}

template <class U>
void ScatterT(const U* src, int64_t l0, int64_t count, const Shape& dims, const Shape& rstride,
              int64_t slab, int64_t last, U* dst) {
  WalkSlab(dims, rstride, slab, [&](int64_t p, int64_t r) {
    U* d = dst + r * last + l0;
    for (int64_t b = 0; b < count; ++b) d[b] = src[b * slab + p];
  });
}

template <class U>
void GatherT(const U* src, int64_t l0, int64_t count, const Shape& dims, const Shape& rstride,
             int64_t slab, int64_t last, U* dst) {
  WalkSlab(dims, rstride, slab, [&](int64_t p, int64_t r) {
    const U* s = src + r * last + l0;
    for (int64_t b = 0; b < count; ++b) dst[b * slab + p] = s[b];
  });
}

}  // namespace

void SlabLayout::Scatter(const void* src, int64_t l0, int64_t count, size_t elem_size, void* dst) const {
  switch (elem_size) {
    case 1:
      ScatterT(static_cast<const uint8_t*>(src), l0, count, dims_, rstride_, slab_, last_,
               static_cast<uint8_t*>(dst));
      break;
    case 4:
      ScatterT(static_cast<const uint32_t*>(src), l0, count, dims_, rstride_, slab_, last_,
               static_cast<uint32_t*>(dst));
      break;
    default:
      NB_CHECK(elem_size == 8, "SlabLayout::Scatter: element size ", elem_size);
      ScatterT(static_cast<const uint64_t*>(src), l0, count, dims_, rstride_, slab_, last_,
               static_cast<uint64_t*>(dst));
  }
}

void SlabLayout::Gather(const void* src, int64_t l0, int64_t count, size_t elem_size, void* dst) const {
  switch (elem_size) {
    case 1:
      GatherT(static_cast<const uint8_t*>(src), l0, count, dims_, rstride_, slab_, last_,
              static_cast<uint8_t*>(dst));
      break;
    case 4:
      GatherT(static_cast<const uint32_t*>(src), l0, count, dims_, rstride_, slab_, last_,
              static_cast<uint32_t*>(dst));
      break;
    default:
      NB_CHECK(elem_size == 8, "SlabLayout::Gather: element size ", elem_size);
      GatherT(static_cast<const uint64_t*>(src), l0, count, dims_, rstride_, slab_, last_,
              static_cast<uint64_t*>(dst));
  }
}

void AdviseHugePages(void* p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

absl::Status Annotate(const absl::Status& s, absl::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(prefix, ": ", s.message()));
}

}  // namespace mat_internal

namespace {

constexpr char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";

enum class MatVersion { kV5, kV73 };

// Decides the version from the first bytes of the file (`head`, up to 1032 bytes).
absl::StatusOr<MatVersion> DetectVersion(std::string_view head, absl::string_view name) {
  for (size_t at : {size_t{0}, size_t{512}, size_t{1024}}) {
    if (head.size() >= at + 8 && head.compare(at, 8, std::string_view(kHdf5Signature, 8)) == 0) {
      return MatVersion::kV73;
    }
  }
  if (head.size() < 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not a MAT file: ", head.size(), " bytes, shorter than the 128-byte header"));
  }
  if (head[0] == 0 || head[1] == 0 || head[2] == 0 || head[3] == 0) {
    return absl::UnimplementedError(absl::StrCat(name, ": looks like a MAT v4 file (not supported)"));
  }
  const unsigned char v0 = static_cast<unsigned char>(head[124]);
  const unsigned char v1 = static_cast<unsigned char>(head[125]);
  const std::string_view endian = head.substr(126, 2);
  int version = 0;
  if (endian == "IM") {
    version = v0 | (v1 << 8);
  } else if (endian == "MI") {
    version = (v0 << 8) | v1;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": not a MAT file: endian indicator at byte 126 is not 'IM' or 'MI'"));
  }
  if (version == 0x0100) return MatVersion::kV5;
  if (version == 0x0200) return MatVersion::kV73;
  return absl::UnimplementedError(
      absl::StrCat(name, ": unsupported MAT version 0x", absl::Hex(version, absl::kZeroPad4)));
}

}  // namespace

absl::StatusOr<std::map<std::string, Tensor>> ReadMat(const std::string& path,
                                                      const std::vector<std::string>& only) {
  absl::StatusOr<std::string> head = io::ReadFileRange(path, 0, 1032);
  if (!head.ok()) return head.status();
  absl::StatusOr<MatVersion> version = DetectVersion(*head, path);
  if (!version.ok()) return version.status();
  if (*version == MatVersion::kV73) return mat_internal::ReadMatV73(path, {}, path, only);
  return mat_internal::ReadMatV5(path, {}, path, only);
}

absl::StatusOr<std::map<std::string, Tensor>> ParseMat(std::string_view bytes, std::string_view name_sv,
                                                       const std::vector<std::string>& only) {
  const absl::string_view name(name_sv.data(), name_sv.size());
  absl::StatusOr<MatVersion> version = DetectVersion(bytes.substr(0, 1032), name);
  if (!version.ok()) return version.status();
  if (*version == MatVersion::kV73) return mat_internal::ReadMatV73("", bytes, name, only);
  return mat_internal::ReadMatV5("", bytes, name, only);
}

}  // namespace nb360::tasks
