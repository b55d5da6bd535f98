// engine/io/atomic_file.h: whole-file reads and crash-safe whole-file writes.
//
// WriteFileAtomically writes into a temporary file in the destination's directory, fsyncs it,
// renames it over the destination and fsyncs the directory: after a crash, `path` holds either the
// old contents or the new ones, never a mix. Temporary files are named ".<basename>.tmp.<unique>"
// and are removed when the write fails.
//
// Example:
//   absl::Status s = io::WriteFileAtomically("/runs/a/result.json", text);
//   absl::StatusOr<std::string> bytes = io::ReadFile("/runs/a/result.json");
#ifndef NB360_ENGINE_IO_ATOMIC_FILE_H_
#define NB360_ENGINE_IO_ATOMIC_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nb360::io {

// Replaces the file at `path` with `bytes` atomically (permissions 0666 minus the umask).
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes);

// The whole contents of the file at `path`.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// The size in bytes of the file at `path`.
absl::StatusOr<uint64_t> FileSize(const std::string& path);

// Up to `length` bytes of the file at `path` starting at `offset` (fewer at the end of the file).
absl::StatusOr<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t length);

// True for names WriteFileAtomically uses for its temporary files (basename only).
bool IsAtomicWriteTempName(std::string_view basename);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_ATOMIC_FILE_H_
