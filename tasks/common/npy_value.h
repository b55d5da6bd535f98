// tasks/common/npy_value.h: any .npy file as a PyValue, including the ones engine/io/npy.h refuses:
// object arrays saved with allow_pickle (Satellite's np.save of a dict, PSICOV's distance triples,
// NinaPro's files loaded with allow_pickle), string arrays and other numeric dtypes.
//
// Plain numeric files go through io::ParseNpy (float32/64, int32/64, uint8, bool); other numeric
// dtypes (float16, int8/16, uint16/32/64, big-endian) are converted as in pickle.h; '<U'/'|S' arrays
// give strings; '|O' files hold a pickle of the array after the header, which is unpickled (see
// pickle.h: nothing is executed). A 0-d object array (np.save of a dict or any single object) comes
// back as that object itself; other object arrays as an NdArray of PyValues. Left out: structured
// dtypes, complex numbers and datetimes.
//
// Example:
//   absl::StatusOr<tasks::PyRef> sat = tasks::ReadNpyValue("/data/satellite_train.npy");
//   tasks::PyRef x = (*sat)->Get("data");   // NdArray float64 (N, 46)
#ifndef NB360_TASKS_COMMON_NPY_VALUE_H_
#define NB360_TASKS_COMMON_NPY_VALUE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tasks/common/pickle.h"

namespace nb360::tasks {

// Parses .npy bytes; `name_for_errors` starts every error message.
absl::StatusOr<PyRef> ParseNpyValue(std::string_view bytes, std::string_view name_for_errors,
                                    const UnpickleOptions& options = {});

// ParseNpyValue of the file's contents.
absl::StatusOr<PyRef> ReadNpyValue(const std::string& path, const UnpickleOptions& options = {});

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_NPY_VALUE_H_
