// engine/io/byte_io.h: little-endian integer encoding and overflow-checked size arithmetic.
//
// File formats (npy, zip, safetensors) store integers little-endian regardless of the host; these
// helpers assemble them byte by byte, so they are correct on any host. Raw tensor payloads are
// copied as-is, which is only correct on a little-endian host (checked below at compile time).
#ifndef NB360_ENGINE_IO_BYTE_IO_H_
#define NB360_ENGINE_IO_BYTE_IO_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace nb360::io {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "nb360 IO copies tensor payloads verbatim and needs a little-endian host");

// Appends `value` as sizeof(T) little-endian bytes.
template <class T>
void PutLE(std::string* out, T value) {
  static_assert(std::is_unsigned_v<T>, "PutLE takes unsigned integers");
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Reads sizeof(T) little-endian bytes at p (the caller has checked the bounds).
template <class T>
T GetLE(const char* p) {
  static_assert(std::is_unsigned_v<T>, "GetLE returns unsigned integers");
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return value;
}

// Overwrites sizeof(T) bytes at (*out)[pos] with `value` little-endian.
template <class T>
void SetLE(std::string* out, size_t pos, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) (*out)[pos + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

// a * b and a + b for sizes; false on overflow (or negative input).
inline bool CheckedMul(int64_t a, int64_t b, int64_t* out) {
  return a >= 0 && b >= 0 && !__builtin_mul_overflow(a, b, out);
}
inline bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }

// True when [offset, offset + length) lies inside a buffer of `size` bytes (overflow-safe).
inline bool InBounds(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_BYTE_IO_H_
