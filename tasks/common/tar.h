// tasks/common/tar.h: reading tar archives (deepCR.ACS-WFC.*.tar for Cosmic, the tar inside
// cifar-100-python.tar.gz), in memory or streamed from disk, and a small writer for tests.
//
// Understands POSIX ustar (name + prefix), GNU extensions (long names via 'L' entries, base-256
// sizes) and pax 'x' extended headers (path and size records). Regular files ('0', '\0', '7') and
// directories ('5') are reported; links, devices, FIFOs, GNU 'K' long link names, pax global
// headers and GNU sparse files are skipped (their data too). Every header checksum is verified;
// truncation (inside a header, a member's data or its padding, or a missing end-of-archive block)
// is an error naming the archive and the member. Left out: sparse-file reconstruction, pax keys
// other than path/size, ownership and times, and writing anything but plain ustar/GNU 'L'.
//
// Example (streaming, never holding more than one member in memory):
//   absl::Status s = ForEachTarMember("/data/deepCR.ACS-WFC.train.tar",
//       [&](const TarEntry& e, const TarDataReader& read) -> absl::Status {
//         if (e.is_directory || !absl::EndsWith(e.name, ".npy")) return absl::OkStatus();  // skipped
//         absl::StatusOr<std::string> bytes = read.ReadAll();
//         ...
//       });
#ifndef NB360_TASKS_COMMON_TAR_H_
#define NB360_TASKS_COMMON_TAR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nb360::tasks {

// One regular file or directory of an archive.
struct TarEntry {
  std::string name;          // full path as stored (no trailing '/' for directories)
  bool is_directory = false;
  uint64_t size = 0;         // data bytes (0 for directories)
  uint64_t data_offset = 0;  // where the data starts in the archive
};

// A regular file's contents, read from the archive.
struct TarMember {
  std::string name;
  bool is_directory = false;
  std::string data;
};

class TarSource;  // where the archive's bytes come from (memory or a file); defined in tar.cc

// Reads one member's data on demand; valid only during the callback it was passed to.
class TarDataReader {
 public:
  TarDataReader(const TarSource* source, const TarEntry* entry) : source_(source), entry_(entry) {}
  uint64_t size() const;
  // The whole data of the member.
  absl::StatusOr<std::string> ReadAll() const;
  // Bytes [offset, offset + length) of the member's data; the range must lie inside it.
  absl::StatusOr<std::string> Read(uint64_t offset, uint64_t length) const;

 private:
  const TarSource* source_;
  const TarEntry* entry_;
};

using TarCallback = std::function<absl::Status(const TarEntry& entry, const TarDataReader& read)>;

// Calls `fn` for each regular file and directory of the archive at `path`, in archive order,
// reading only headers and whatever data `fn` asks for. Stops at the first error (fn's included).
absl::Status ForEachTarMember(const std::string& path, const TarCallback& fn);

// The same over archive bytes in memory; `name_for_errors` starts every error message.
absl::Status ForEachTarMemberInBytes(std::string_view bytes, std::string_view name_for_errors,
                                     const TarCallback& fn);

// Every regular file and directory with its data.
absl::StatusOr<std::vector<TarMember>> ParseTar(std::string_view bytes, std::string_view name_for_errors);

// Builds a ustar archive in memory (for tests and synthetic data). Names over 100 bytes get a GNU
// 'L' long-name entry. Times are 0 and owners root, so equal inputs give equal bytes.
class TarWriter {
 public:
  void AddFile(std::string_view name, std::string_view data);
  void AddDirectory(std::string_view name);
  // The archive, ended by two zero blocks.
  std::string Finish() &&;

 private:
  void AddHeader(std::string_view name, char type, uint64_t size);
  std::string out_;
};

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_TAR_H_
