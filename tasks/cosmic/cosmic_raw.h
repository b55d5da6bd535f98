// tasks/cosmic/cosmic_raw.h: reading the deepCR ACS/WFC files the Cosmic task is built from (tasks
// spec §7.1-7.2).
//
// A split ("train" or "test") comes either as the extracted tree npy_<split>/<filter>/<proposal>/<visit>/
// *.npy (under the raw directory or raw/data/) or as the archive deepCR.ACS-WFC.<split>.tar, streamed
// member by member (the training archive is 6.5 GB). Selection follows the original: filter f435w only,
// visits whose key "<proposal>_<visit>" the original's field-type table labels galaxy ('GAL'), files
// whose name contains ".npy" other than sky.npy. Each selected stack (2 or 3 planes: image, CR mask,
// optional ignore mask) is cropped to rows/cols 64..191 and stored as float32 (3, 128, 128); its sky
// level is sky.npy[k - 1] of its visit folder for a file named "<k>_...", 0 without sky.npy.
//
// Order: stacks are sorted by their path below npy_<split> (byte order). The original lists them in
// os.listdir order, which depends on the file system; sorting is the deterministic stand-in.
// Left out: other filters and field types (the benchmark uses neither), random crops.
#ifndef NB360_TASKS_COSMIC_COSMIC_RAW_H_
#define NB360_TASKS_COSMIC_COSMIC_RAW_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::tasks::cosmic {

inline constexpr int64_t kCropSize = 128;
inline constexpr int64_t kCropBegin = 64;  // rows and columns 64..191
inline constexpr int64_t kPlanes = 3;      // image, CR mask, ignore mask

// The field type the original's table gives the visit key "<proposal>_<visit>": "GAL", "EX", "GC",
// or "" when the key is not in the table (the original then fails with a KeyError).
std::string_view FieldType(std::string_view visit_key);
// The 27 galaxy-field visit keys, in the table's order.
const std::vector<std::string>& GalaxyVisitKeys();

// A numeric .npy array of any byte order and NumPy dtype (tasks/common/npy_value.h converts: big-endian
// '>f4', '>f8', '>i2', ... — FITS-derived arrays often keep that order — are byte-swapped).
absl::StatusOr<Tensor> ParseNpyAnyEndian(std::string_view bytes, std::string_view name_for_errors);

// One stack (P, H, W) with P in {2, 3} and H, W >= 192, any numeric dtype: writes the cropped planes
// image, mask, ignore (zeros when P == 2) to out (3, 128, 128) as float32, checking that the image is
// finite and mask / ignore lie in [0, 1]. Errors start with `name`.
absl::Status CropStack(const Tensor& stack, std::string_view name, float* out);

// sky.npy: a 1-D numeric array of finite sky levels.
absl::StatusOr<std::vector<double>> SkyLevels(const Tensor& sky, std::string_view name);

// The sky level of stack file `file_name` ("<k>_....npy" -> sky[k - 1]). Errors name the file.
absl::StatusOr<double> SkyForFile(const std::vector<double>& sky, std::string_view file_name,
                                  std::string_view where);

// One converted split, in sorted path order.
struct RawSplit {
  Tensor stacks;                   // float32 (N, 3, 128, 128)
  Tensor sky;                      // float64 (N)
  std::vector<std::string> paths;  // "<filter>/<proposal>/<visit>/<file>" per stack
  std::string source;              // the directory or archive read
};

// Reads split "train" or "test" from raw_dir (tree or tar, see above) with `threads` workers.
absl::StatusOr<RawSplit> ReadRawSplit(const std::string& raw_dir, const std::string& split, int threads);

}  // namespace nb360::tasks::cosmic

#endif  // NB360_TASKS_COSMIC_COSMIC_RAW_H_
