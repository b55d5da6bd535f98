// engine/io/npy.h: NumPy .npy files <-> Tensor.
//
// Reads format versions 1.0, 2.0 and 3.0 with dtypes <f4 <f8 <i8 <i4 |u1 |b1 (float32, float64,
// int64, int32, uint8, bool), in C or Fortran order (Fortran data comes back as a contiguous
// row-major tensor with the same values). Big-endian data and other dtypes are rejected with an
// error saying so. Writes version 1.0 (2.0 when the header outgrows 1.0), C order, 64-byte aligned
// data, from any tensor (views are written by value).
//
// Example:
//   absl::Status s = io::WriteNpy("/tmp/x.npy", x);
//   absl::StatusOr<Tensor> y = io::ReadNpy("/tmp/x.npy");   // np.load("/tmp/x.npy") also works
#ifndef NB360_ENGINE_IO_NPY_H_
#define NB360_ENGINE_IO_NPY_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::io {

// The header of a .npy file: the dtype string as written ("<f4", "|O", ">i2", ...), the layout, the
// shape, and the byte offset where the data starts.
struct NpyHeaderInfo {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  size_t data_offset = 0;
};

// Parses magic, version and header dict only (any descr; the data need not be there). Errors start with
// `name_for_errors`. The one .npy header parser: ParseNpy, memory-mapped datasets and the object-array
// reader all use it.
absl::StatusOr<NpyHeaderInfo> ParseNpyHeader(std::string_view bytes, std::string_view name_for_errors);

// Parses .npy bytes; `name_for_errors` (a path, an archive member) starts every error message.
absl::StatusOr<Tensor> ParseNpy(std::string_view bytes, std::string_view name_for_errors);

// The header (magic, version, dict, padding) of a C-order .npy file of `shape`; the data follows it,
// starting on a 64-byte boundary.
std::string NpyHeader(DType dtype, const Shape& shape);

// The .npy bytes for `t` (any layout or device; must be defined).
std::string SerializeNpy(const Tensor& t);

// ParseNpy of the file's contents.
absl::StatusOr<Tensor> ReadNpy(const std::string& path);

// Writes SerializeNpy(t) to `path` atomically.
absl::Status WriteNpy(const std::string& path, const Tensor& t);

// The NumPy descr string ("<f4", "|b1", ...) of a dtype.
std::string_view NpyDescr(DType dtype);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_NPY_H_
