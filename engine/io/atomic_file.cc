#include "engine/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "engine/check.h"

namespace nb360::io {
namespace {

constexpr std::string_view kTempMarker = ".tmp.";

absl::Status ErrnoError(int err, std::string_view what, const std::string& path) {
  return absl::ErrnoToStatus(err, StrCat(what, " ", path));
}

// Splits "a/b/c" into ("a/b", "c"); a bare name lives in ".".
void SplitPath(const std::string& path, std::string* dir, std::string* base) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *base = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *base = path.substr(slash + 1);
  }
}

absl::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Creates a fresh temporary file next to the destination; returns its fd and name.
absl::Status CreateTemp(const std::string& dir, const std::string& base, int* fd, std::string* name) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    const uint64_t stamp = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    *name =
        StrCat(dir, "/.", base, kTempMarker, ::getpid(), ".", counter.fetch_add(1), ".", stamp % 1000000007);
    *fd = ::open(name->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (*fd >= 0) return absl::OkStatus();
    if (errno != EEXIST && errno != EINTR) return ErrnoError(errno, "cannot create temporary file", *name);
  }
  return absl::AlreadyExistsError(StrCat("cannot find a free temporary name next to ", dir, "/", base));
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open directory", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory; the rename itself has happened.
  if (rc != 0 && err != EINVAL && err != ENOTSUP) return ErrnoError(err, "cannot fsync directory", dir);
  return absl::OkStatus();
}

}  // namespace

bool IsAtomicWriteTempName(std::string_view basename) {
  return !basename.empty() && basename[0] == '.' && basename.find(kTempMarker) != std::string_view::npos;
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  std::string dir, base;
  SplitPath(path, &dir, &base);
  if (base.empty()) return absl::InvalidArgumentError(StrCat("cannot write ", path, ": not a file name"));
  int fd = -1;
  std::string temp;
  if (absl::Status s = CreateTemp(dir, base, &fd, &temp); !s.ok()) {
    return absl::Status(s.code(), StrCat("cannot write ", path, ": ", s.message()));
  }
  absl::Status status = WriteAll(fd, bytes, temp);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError(errno, "cannot fsync", temp);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError(errno, "cannot close", temp);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoError(errno, StrCat("cannot rename ", temp, " to"), path);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return absl::Status(status.code(), StrCat("cannot write ", path, ": ", status.message()));
  }
  return SyncDirectory(dir);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(err, "cannot stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(StrCat("cannot read ", path, ": is a directory"));
  }
  // Read straight into the result; grow past st_size for files that change or report no size.
  std::string out(st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0, '\0');
  size_t filled = 0;
  while (true) {
    if (filled == out.size()) out.resize(out.size() + (1 << 16));
    const ssize_t n = ::read(fd, out.data() + filled, out.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoError(err, "cannot read", path);
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(filled);
  return out;
}

absl::StatusOr<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError(errno, "cannot stat", path);
  if (S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(StrCat(path, " is a directory"));
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(err, "cannot stat", path);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t available = offset < size ? size - offset : 0;
  std::string out(static_cast<size_t>(length < available ? length : available), '\0');
  size_t filled = 0;
  while (filled < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + filled, out.size() - filled, static_cast<off_t>(offset + filled));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoError(err, "cannot read", path);
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(filled);
  return out;
}

}  // namespace nb360::io
