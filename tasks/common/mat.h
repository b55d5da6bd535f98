// tasks/common/mat.h: MATLAB .mat files: read numeric variables (MAT v5/v7 and v7.3), write MAT v5.
//
// ReadMat detects the version from the 128-byte header:
//  * MAT v5/v7 (version 0x0100; little- or big-endian): top-level miMATRIX elements and miCOMPRESSED
//    (zlib) elements. Elements are read one at a time; a compressed variable that is not wanted is
//    skipped after inflating only its header (flags, dims, name).
//  * MAT v7.3 (version 0x0200, or an HDF5 signature at byte 0/512/1024/...): HDF5 datasets in the root
//    group, read with the HDF5 C API. MATLAB stores them column-major, so HDF5 lists the dimensions
//    reversed; they are reversed back here.
// Both give row-major tensors in MATLAB's dimension order with MATLAB's element semantics:
// tensor[i][j][k] = M(i+1, j+1, k+1); a v5 file gives exactly the arrays scipy.io.loadmat returns
// (always >= 2-D), a v7.3 file what h5py returns after reversing all axes (np.transpose).
// The column-major -> row-major transpose happens once, in blocks of whole last-axis slabs, straight
// into the result tensor (no full-size intermediate copy).
//
// Element types are kept: double -> float64, single -> float32, uint8 -> uint8, int32 -> int32,
// int64 -> int64, logical -> bool. Types the engine lacks are widened: int8/int16/uint16 -> int32,
// uint32 -> int64, uint64 -> int64 (values above INT64_MAX are an error).
// Left out: complex arrays (an error when read), sparse, cell, struct, object, char and function-handle
// variables (skipped; an error only when named in `only`), MAT v4 files, v7.3 variables outside the
// root group. Empty v7.3 arrays (MATLAB_empty) give an empty tensor with the stored dimensions.
//
// Example:
//   absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(path, {"coeff", "sol"});
//   Tensor coeff = vars->at("coeff");   // float64 (1024, 421, 421)
#ifndef NB360_TASKS_COMMON_MAT_H_
#define NB360_TASKS_COMMON_MAT_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::tasks {

// Reads the numeric variables of the .mat file at `path`. With a non-empty `only`, reads just those
// names and fails if one of them is missing or not a numeric array.
absl::StatusOr<std::map<std::string, Tensor>> ReadMat(const std::string& path,
                                                      const std::vector<std::string>& only = {});

// The same for a whole file held in memory; `name` is used in error messages. v7.3 bytes are opened
// as an in-memory HDF5 file image.
absl::StatusOr<std::map<std::string, Tensor>> ParseMat(std::string_view bytes, std::string_view name,
                                                       const std::vector<std::string>& only = {});

// Writes `vars` as a little-endian MAT v5 file (one miMATRIX per variable, zlib-compressed into
// miCOMPRESSED elements when `compress`; `level` is the zlib level). Tensors are CPU tensors of any
// engine dtype (bool -> logical); 0-D becomes 1x1 and 1-D (n) becomes 1xn, as scipy.io.savemat does.
// Names must be MATLAB identifiers (letter, then letters/digits/_; at most 63 characters). Each
// variable must fit the format's 4 GiB element size. The file is written under a temporary name and
// renamed into place.
absl::Status WriteMatV5(const std::string& path, const std::map<std::string, Tensor>& vars,
                        bool compress, int level = 1);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_MAT_H_
