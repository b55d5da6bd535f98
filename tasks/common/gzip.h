// tasks/common/gzip.h: gzip (RFC 1952) decompression for the task files (s2_cifar100.gz,
// cifar-100-python.tar.gz), and compression for tests.
//
// Gunzip reads every member of a multi-member stream, honours the header flags FEXTRA, FNAME,
// FCOMMENT and FHCRC (the header CRC-16 is checked), and verifies each member's CRC-32 and ISIZE.
// Truncation, corruption, a wrong magic and trailing bytes that are not another member are errors
// naming the file, the member and the byte offset. Trailing zero bytes (tape padding, which GNU gzip
// also accepts) are ignored. Left out: streaming (everything is in memory), the FTEXT hint and the
// compressed-data-only "zlib" format.
//
// Example:
//   absl::StatusOr<std::string> raw = tasks::ReadFileMaybeGzip("/data/s2_cifar100.gz");
#ifndef NB360_TASKS_COMMON_GZIP_H_
#define NB360_TASKS_COMMON_GZIP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nb360::tasks {

// The decompressed concatenation of all members; more than `max_output` bytes is an error.
absl::StatusOr<std::string> Gunzip(std::string_view bytes, std::string_view name_for_errors,
                                   uint64_t max_output = 64ull << 30);

// True when `bytes` starts with the gzip magic 1f 8b.
bool IsGzip(std::string_view bytes);

// The file's bytes, gunzipped when they start with the gzip magic.
absl::StatusOr<std::string> ReadFileMaybeGzip(const std::string& path);

// One gzip member holding `bytes` (deflate level 6, mtime 0, no file name): equal inputs give equal
// bytes.
std::string Gzip(std::string_view bytes);

// Writes Gzip(bytes) to `path` atomically.
absl::Status GzipFile(const std::string& path, std::string_view bytes);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_GZIP_H_
