// engine/io/safetensors.h: the safetensors format (Hugging Face) <-> named tensors.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON header, then the data buffer.
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// into the data buffer) and may hold "__metadata__", a string -> string map. We write tensors sorted
// by name with their data contiguous in that order, a compact header padded with spaces to a
// multiple of 8 bytes, dtypes F32 F64 I64 I32 U8 BOOL, so `safetensors.torch.load_file` reads it.
// Reading is strict: the tensors must tile the data buffer exactly (as the reference loader demands).
//
// Example:
//   absl::Status s = io::WriteSafetensors("/tmp/w.safetensors", {{"fc.weight", w}}, {{"step", "10"}});
//   absl::StatusOr<io::SafetensorsContents> c = io::ReadSafetensors("/tmp/w.safetensors");
#ifndef NB360_ENGINE_IO_SAFETENSORS_H_
#define NB360_ENGINE_IO_SAFETENSORS_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/io/tensor_bytes.h"

namespace nb360::io {

struct SafetensorsContents {
  NamedTensors tensors;  // sorted by name
  std::map<std::string, std::string> metadata;
};

// Names must be non-empty, unique and not "__metadata__"; tensors may have any layout.
absl::StatusOr<std::string> SerializeSafetensors(const NamedTensors& tensors,
                                                 const std::map<std::string, std::string>& metadata = {});
absl::Status WriteSafetensors(const std::string& path, const NamedTensors& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// `name_for_errors` starts every error message.
absl::StatusOr<SafetensorsContents> ParseSafetensors(std::string_view bytes,
                                                     std::string_view name_for_errors);
absl::StatusOr<SafetensorsContents> ReadSafetensors(const std::string& path);

// Checks that the file at `path` is a complete safetensors file (length prefix, header, data
// buffer size) reading only its header: what "is this checkpoint complete?" needs.
absl::Status CheckSafetensorsFile(const std::string& path);

// "F32", "BOOL", ... for a dtype.
std::string_view SafetensorsDType(DType dtype);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_SAFETENSORS_H_
