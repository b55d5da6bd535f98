// engine/io/zip.h: just enough of the ZIP format for .npz archives.
//
// ParseZip reads every member of an archive through its central directory: stored (method 0) and
// deflated (method 8) members, ZIP64 sizes and offsets, data descriptors; CRC-32s are verified.
// ZipWriter builds an archive of stored members (what np.savez writes), switching to ZIP64 records
// for members, offsets or counts beyond the 32/16-bit fields. Timestamps are fixed at 1980-01-01, so
// equal inputs give equal bytes. Everything happens in memory.
//
// Example:
//   ZipWriter w;
//   w.AddStored("a.npy", SerializeNpy(a));
//   std::string archive = std::move(w).Finish();
//   absl::StatusOr<std::vector<ZipMember>> members = ParseZip(archive, "mem.zip");
#ifndef NB360_ENGINE_IO_ZIP_H_
#define NB360_ENGINE_IO_ZIP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nb360::io {

struct ZipMember {
  std::string name;
  std::string data;  // uncompressed
};

// All members in central-directory order; `name_for_errors` starts every error message.
absl::StatusOr<std::vector<ZipMember>> ParseZip(std::string_view bytes, std::string_view name_for_errors);

class ZipWriter {
 public:
  // force_zip64 writes ZIP64 records even for small archives (for tests and interop checks).
  explicit ZipWriter(bool force_zip64 = false) : force_zip64_(force_zip64) {}

  // Appends a stored (uncompressed) member. Names are not checked for duplicates.
  void AddStored(std::string_view name, std::string_view data);

  // The finished archive (central directory and end records appended).
  std::string Finish() &&;

 private:
  struct Entry {
    std::string name;
    uint32_t crc = 0;
    uint64_t size = 0;
    uint64_t offset = 0;
  };
  bool force_zip64_;
  std::string out_;
  std::vector<Entry> entries_;
};

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_ZIP_H_
