// tasks/common/pickle_numpy.h: internal helpers shared by pickle.cc (the unpickler) and
// pickle_numpy.cc (NumPy dtypes and MakeNdArray): dtype strings, text encodings, shape checks.
// Not part of the public API; use pickle.h.
#ifndef NB360_TASKS_COMMON_PICKLE_NUMPY_H_
#define NB360_TASKS_COMMON_PICKLE_NUMPY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tasks/common/pickle.h"

namespace nb360::tasks::pickle_internal {

// A NumPy dtype string, decoded.
struct Descr {
  char order = '|';  // '<', '>' or '|'
  char kind = 'f';   // f i u b O U S (c M m V are recognised only to be refused)
  int64_t itemsize = 0;  // bytes (4 per character for 'U')
};

// Parses "<f8", "|u1", "f8", "=i4", ">i2", "<U5" (5 characters), "|S3", "|O", "O8", "b1", "?".
std::optional<Descr> ParseDescr(std::string_view s);
// The canonical spelling: "<i2", "|u1", "<U5", "|S3", "|O".
std::string DescrString(const Descr& d);

// Appends code point `cp` as UTF-8; false for surrogates and values beyond U+10FFFF.
bool AppendUtf8(uint32_t cp, std::string* out);
// UTF-8 text whose code points are all below 256 (a latin-1 string) back to bytes.
std::optional<std::string> Latin1Bytes(std::string_view utf8);
// Bytes read as latin-1, as UTF-8.
std::string Latin1ToUtf8(std::string_view bytes);

// The element count of `shape`, or an error (negative sizes, overflow, over 2^48 elements).
absl::StatusOr<int64_t> CountElements(const Shape& shape, std::string_view name);

}  // namespace nb360::tasks::pickle_internal

#endif  // NB360_TASKS_COMMON_PICKLE_NUMPY_H_
