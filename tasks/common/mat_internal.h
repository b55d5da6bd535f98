// tasks/common/mat_internal.h: pieces shared by the MAT v5 reader, the v7.3 reader and the writer.
//
// MATLAB array classes, their engine dtypes, and SlabLayout, which moves column-major data in blocks
// of whole last-axis slabs into (or out of) a row-major tensor. Not part of the public API.
#ifndef NB360_TASKS_COMMON_MAT_INTERNAL_H_
#define NB360_TASKS_COMMON_MAT_INTERNAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/tensor.h"

namespace nb360::tasks::mat_internal {

// mxCLASS codes of MAT v5 array flags.
enum MatClass : int {
  kCellClass = 1,
  kStructClass = 2,
  kObjectClass = 3,
  kCharClass = 4,
  kSparseClass = 5,
  kDoubleClass = 6,
  kSingleClass = 7,
  kInt8Class = 8,
  kUInt8Class = 9,
  kInt16Class = 10,
  kUInt16Class = 11,
  kInt32Class = 12,
  kUInt32Class = 13,
  kInt64Class = 14,
  kUInt64Class = 15,
};

// True for the classes read into tensors (double .. uint64).
bool IsNumericClass(int cls);
// Human-readable class name ("double", "cell", ...; "class 42" for unknown codes).
std::string ClassName(int cls);
// Engine dtype for a numeric class (logical: bool).
DType DTypeForClass(int cls, bool logical);
// The numeric class named by a v7.3 MATLAB_class attribute ("double", ...); 0 when not numeric.
int ClassFromName(absl::string_view name);

// Block size for slab transfers (bytes of destination elements per block).
inline constexpr int64_t kBlockBytes = int64_t{32} << 20;

// A row-major tensor with MATLAB dims (d0, ..., d_{n-1}) seen as column-major data: slab(l) holds the
// prod(d0..d_{n-2}) elements with last subscript l, in column-major order.
class SlabLayout {
 public:
  explicit SlabLayout(const Shape& dims);
  int64_t slab() const { return slab_; }   // elements per slab
  int64_t slabs() const { return last_; }  // number of slabs (last dim; 1 for 0-D)
  // Slabs per block of at most kBlockBytes (>= 1).
  int64_t SlabsPerBlock(size_t elem_size) const;
  // Copies `count` slabs (l0 .. l0+count-1) from column-major `src` (count * slab elements of
  // elem_size bytes) into the row-major tensor data `dst`.
  void Scatter(const void* src, int64_t l0, int64_t count, size_t elem_size, void* dst) const;
  // The reverse: row-major `src` -> column-major block `dst`.
  void Gather(const void* src, int64_t l0, int64_t count, size_t elem_size, void* dst) const;

 private:
  Shape dims_;      // MATLAB dims without the last
  Shape rstride_;   // row-major strides of dims_ in units of last_
  int64_t slab_ = 1;
  int64_t last_ = 1;
};

// Hints the kernel to back [p, p + bytes) with transparent huge pages (before first touch): the slab
// transpose writes one short run per 4 KiB page, so huge pages spare most TLB misses. A no-op where
// unsupported.
void AdviseHugePages(void* p, size_t bytes);

// A status with the same code and "prefix: " prepended to the message.
absl::Status Annotate(const absl::Status& s, absl::string_view prefix);

// The v5 reader on a file (`path`) or on bytes in memory (`bytes`, path empty); `name` for messages.
absl::StatusOr<std::map<std::string, Tensor>> ReadMatV5(const std::string& path, std::string_view bytes,
                                                        absl::string_view name,
                                                        const std::vector<std::string>& only);
// The v7.3 (HDF5) reader on a file or on bytes in memory, as above.
absl::StatusOr<std::map<std::string, Tensor>> ReadMatV73(const std::string& path, std::string_view bytes,
                                                         absl::string_view name,
                                                         const std::vector<std::string>& only);

}  // namespace nb360::tasks::mat_internal

#endif  // NB360_TASKS_COMMON_MAT_INTERNAL_H_
