// engine/io/npz.h: NumPy .npz archives <-> named tensors.
//
// Reads what np.savez and np.savez_compressed write (stored or deflated members, ZIP64 included);
// member "w.npy" comes back named "w". Writes uncompressed archives laid out like np.savez
// (member "<name>.npy" per tensor, CRC-32s set), atomically, readable by np.load.
//
// Example:
//   absl::Status s = io::WriteNpz("/tmp/batch.npz", {{"x", x}, {"y", y}});
//   absl::StatusOr<std::map<std::string, Tensor>> m = io::ReadNpzMap("/tmp/batch.npz");
#ifndef NB360_ENGINE_IO_NPZ_H_
#define NB360_ENGINE_IO_NPZ_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/io/tensor_bytes.h"
#include "engine/tensor.h"

namespace nb360::io {

// Members in archive order, names without ".npy"; every member must be a supported .npy.
absl::StatusOr<NamedTensors> ParseNpz(std::string_view bytes, std::string_view name_for_errors);
absl::StatusOr<NamedTensors> ReadNpz(const std::string& path);
// The same, keyed by name.
absl::StatusOr<std::map<std::string, Tensor>> ReadNpzMap(const std::string& path);

// An uncompressed archive; names must be non-empty and unique (".npy" is appended).
// force_zip64 writes ZIP64 records even when not needed (for interop tests).
absl::StatusOr<std::string> SerializeNpz(const NamedTensors& tensors, bool force_zip64 = false);
absl::Status WriteNpz(const std::string& path, const NamedTensors& tensors);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_NPZ_H_
