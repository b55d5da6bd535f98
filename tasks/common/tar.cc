#include "tasks/common/tar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "engine/check.h"

namespace nb360::tasks {

// ------------------------------------------------------------------------------------------ sources

class TarSource {
 public:
  virtual ~TarSource() = default;
  virtual uint64_t Size() const = 0;
  // Exactly `length` bytes at `offset` (the caller has checked the range against Size()).
  virtual absl::Status Read(uint64_t offset, uint64_t length, std::string* out) const = 0;
  virtual std::string_view Name() const = 0;
};

namespace {

constexpr uint64_t kBlock = 512;
constexpr uint64_t kMaxMetaSize = 1 << 20;  // GNU long names and pax headers

class MemorySource : public TarSource {
 public:
  MemorySource(std::string_view bytes, std::string_view name) : bytes_(bytes), name_(name) {}
  uint64_t Size() const override { return bytes_.size(); }
  absl::Status Read(uint64_t offset, uint64_t length, std::string* out) const override {
    out->assign(bytes_.substr(offset, length));
    return absl::OkStatus();
  }
  std::string_view Name() const override { return name_; }

 private:
  std::string_view bytes_;
  std::string_view name_;
};

class FileSource : public TarSource {
 public:
  FileSource(int fd, uint64_t size, std::string name) : fd_(fd), size_(size), name_(std::move(name)) {}
  ~FileSource() override { close(fd_); }
  uint64_t Size() const override { return size_; }
  absl::Status Read(uint64_t offset, uint64_t length, std::string* out) const override {
    out->resize(length);
    uint64_t done = 0;
    while (done < length) {
      ssize_t n = pread(fd_, out->data() + done, std::min<uint64_t>(length - done, 1 << 30), offset + done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::DataLossError(StrCat(name_, ": read failed at byte ", offset + done, ": ",
                                          n == 0 ? "unexpected end of file" : std::strerror(errno)));
      }
      done += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }
  std::string_view Name() const override { return name_; }

 private:
  int fd_;
  uint64_t size_;
  std::string name_;
};

// ------------------------------------------------------------------------------------------ header fields

std::string_view CString(std::string_view field) { return field.substr(0, field.find('\0')); }

// An octal field (leading spaces, digits, then NUL/space) or a GNU base-256 one (high bit set).
std::optional<uint64_t> ParseNumber(std::string_view field) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(field[i]); };
  if (!field.empty() && (byte(0) & 0x80)) {
    if (byte(0) != 0x80) return std::nullopt;  // negative (0xFF) or bits we do not expect
    uint64_t v = 0;
    for (size_t i = 1; i < field.size(); ++i) {
      if (v >> 55) return std::nullopt;
      v = (v << 8) | byte(i);
    }
    if (v >> 63) return std::nullopt;
    return v;
  }
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  uint64_t v = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  }
  return v;
}

bool IsZeroBlock(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == 0; });
}

// Checks the header checksum (unsigned sum, or the historic signed sum).
std::optional<std::string> CheckChecksum(std::string_view h) {
  std::optional<uint64_t> stored = ParseNumber(h.substr(148, 8));
  if (!stored) return std::string("unreadable checksum field");
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= 148 && i < 156;
    unsigned_sum += in_field ? ' ' : static_cast<uint8_t>(h[i]);
    signed_sum += in_field ? ' ' : static_cast<int8_t>(h[i]);
  }
  if (static_cast<int64_t>(*stored) == unsigned_sum || static_cast<int64_t>(*stored) == signed_sum) {
    return std::nullopt;
  }
  return StrCat("header checksum mismatch (stored ", *stored, ", computed ", unsigned_sum,
                "): not a tar archive or corrupt");
}

// Parses pax records "LEN key=value\n" for 'path' and 'size'.
std::optional<std::string> ParsePax(std::string_view data, std::optional<std::string>* path,
                                    std::optional<uint64_t>* size) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (data[pos] == '\0') break;  // some writers pad with NULs
    size_t space = data.find(' ', pos);
    if (space == std::string_view::npos || space == pos || space - pos > 18) {
      return StrCat("bad pax record length at offset ", pos);
    }
    uint64_t len = 0;
    for (size_t i = pos; i < space; ++i) {
      if (data[i] < '0' || data[i] > '9') return StrCat("bad pax record length at offset ", pos);
      len = len * 10 + static_cast<uint64_t>(data[i] - '0');
    }
    if (len < space - pos + 3 || len > data.size() - pos || data[pos + len - 1] != '\n') {
      return StrCat("bad pax record at offset ", pos, " (length ", len, ")");
    }
    std::string_view record = data.substr(space + 1, pos + len - 1 - (space + 1));
    size_t eq = record.find('=');
    if (eq == std::string_view::npos) return StrCat("pax record at offset ", pos, " has no '='");
    std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
    if (key == "path") {
      *path = std::string(value);
    } else if (key == "size") {
      uint64_t v = 0;
      if (value.empty() || value.size() > 18) return StrCat("bad pax size '", value, "'");
      for (char c : value) {
        if (c < '0' || c > '9') return StrCat("bad pax size '", value, "'");
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      *size = v;
    }
    pos += len;
  }
  return std::nullopt;
}

// ------------------------------------------------------------------------------------------ the walk

absl::Status Walk(const TarSource& src, const TarCallback& fn) {
  const std::string_view name = src.Name();
  const uint64_t total = src.Size();
  if (total == 0) return absl::InvalidArgumentError(StrCat(name, ": empty file, not a tar archive"));
  std::optional<std::string> long_name, pax_path;
  std::optional<uint64_t> pax_size;
  std::string header, meta;
  uint64_t pos = 0;
  while (true) {
    if (pos == total) {
      return absl::DataLossError(StrCat(name, ": no end-of-archive block at byte ", pos, " (truncated archive?)"));
    }
    if (total - pos < kBlock) {
      return absl::DataLossError(
          StrCat(name, ": truncated tar header at byte ", pos, " (", total - pos, " of 512 bytes)"));
    }
    if (absl::Status s = src.Read(pos, kBlock, &header); !s.ok()) return s;
    if (IsZeroBlock(header)) {
      if (long_name || pax_path || pax_size) {
        return absl::DataLossError(StrCat(name, ": archive ends at byte ", pos,
                                          " right after an extended header (truncated archive?)"));
      }
      return absl::OkStatus();  // end of archive (what follows, usually a second zero block, is ignored)
    }
    if (auto err = CheckChecksum(header)) {
      return absl::DataLossError(StrCat(name, ": tar header at byte ", pos, ": ", *err));
    }
    const char type = header[156];
    std::string entry_name;
    const bool posix_ustar = header.compare(257, 6, std::string("ustar\0", 6)) == 0;
    if (posix_ustar && header[345] != '\0') {
      entry_name = StrCat(CString(std::string_view(header).substr(345, 155)), "/",
                          CString(std::string_view(header).substr(0, 100)));
    } else {
      entry_name = std::string(CString(std::string_view(header).substr(0, 100)));
    }
    std::optional<uint64_t> size = ParseNumber(std::string_view(header).substr(124, 12));
    if (!size) {
      return absl::DataLossError(StrCat(name, ": tar header at byte ", pos, " ('", entry_name,
                                        "'): unreadable size field"));
    }
    const bool is_meta = type == 'L' || type == 'K' || type == 'x' || type == 'g';
    if (!is_meta) {
      if (long_name) entry_name = *long_name;
      if (pax_path) entry_name = *pax_path;
      if (pax_size) *size = *pax_size;
    }
    const uint64_t data_offset = pos + kBlock;
    const uint64_t padded = (*size + kBlock - 1) / kBlock * kBlock;
    if (*size > total || data_offset > total - *size) {
      return absl::DataLossError(StrCat(name, ": member '", entry_name, "': data truncated (", *size,
                                        " bytes at byte ", data_offset, ", archive has ", total, ")"));
    }
    if (padded > total - data_offset) {
      return absl::DataLossError(StrCat(name, ": member '", entry_name, "': padding after the data truncated (",
                                        "archive ends at byte ", total, ")"));
    }
    if (type == 'L' || type == 'x') {
      if (*size > kMaxMetaSize) {
        return absl::InvalidArgumentError(StrCat(name, ": tar header at byte ", pos, ": ",
                                                 type == 'L' ? "GNU long name" : "pax header", " of ", *size,
                                                 " bytes is larger than the limit of ", kMaxMetaSize));
      }
      if (absl::Status s = src.Read(data_offset, *size, &meta); !s.ok()) return s;
      if (type == 'L') {
        long_name = std::string(CString(meta));
      } else if (auto err = ParsePax(meta, &pax_path, &pax_size)) {
        return absl::DataLossError(StrCat(name, ": pax header at byte ", pos, ": ", *err));
      }
    } else if (!is_meta) {
      const bool regular = type == '0' || type == '\0' || type == '7';
      TarEntry entry;
      entry.is_directory = type == '5' || (regular && !entry_name.empty() && entry_name.back() == '/');
      if (regular || entry.is_directory) {
        while (entry.is_directory && entry_name.size() > 1 && entry_name.back() == '/') entry_name.pop_back();
        entry.name = std::move(entry_name);
        entry.size = entry.is_directory ? 0 : *size;
        entry.data_offset = data_offset;
        if (absl::Status s = fn(entry, TarDataReader(&src, &entry)); !s.ok()) return s;
      }
      long_name.reset();
      pax_path.reset();
      pax_size.reset();
    }
    pos = data_offset + padded;
  }
}

// ------------------------------------------------------------------------------------------ writer helpers

void PutField(std::string* h, size_t at, size_t width, std::string_view text) {
  h->replace(at, std::min(width, text.size()), text.substr(0, width));
}

// An octal field of width-1 digits and a NUL, or base-256 when the value does not fit.
void PutNumber(std::string* h, size_t at, size_t width, uint64_t v) {
  if (width - 1 < 22 && v >= (uint64_t{1} << (3 * (width - 1)))) {
    (*h)[at] = static_cast<char>(0x80);
    for (size_t i = width - 1; i >= 1; --i, v >>= 8) (*h)[at + i] = static_cast<char>(v & 0xFF);
    return;
  }
  std::string digits(width - 1, '0');
  for (size_t i = width - 1; i-- > 0; v >>= 3) digits[i] = static_cast<char>('0' + (v & 7));
  PutField(h, at, width - 1, digits);
}

}  // namespace

// ------------------------------------------------------------------------------------------ public API

uint64_t TarDataReader::size() const { return entry_->size; }

absl::StatusOr<std::string> TarDataReader::ReadAll() const { return Read(0, entry_->size); }

absl::StatusOr<std::string> TarDataReader::Read(uint64_t offset, uint64_t length) const {
  if (offset > entry_->size || length > entry_->size - offset) {
    return absl::OutOfRangeError(StrCat(source_->Name(), ": member '", entry_->name, "': read of ", length,
                                        " bytes at offset ", offset, " is outside its ", entry_->size,
                                        " bytes"));
  }
  std::string out;
  if (absl::Status s = source_->Read(entry_->data_offset + offset, length, &out); !s.ok()) return s;
  return out;
}

absl::Status ForEachTarMember(const std::string& path, const TarCallback& fn) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(StrCat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(StrCat(path, ": not a regular file"));
  }
  FileSource src(fd, static_cast<uint64_t>(st.st_size), path);
  return Walk(src, fn);
}

absl::Status ForEachTarMemberInBytes(std::string_view bytes, std::string_view name_for_errors,
                                     const TarCallback& fn) {
  MemorySource src(bytes, name_for_errors);
  return Walk(src, fn);
}

absl::StatusOr<std::vector<TarMember>> ParseTar(std::string_view bytes, std::string_view name_for_errors) {
  std::vector<TarMember> members;
  absl::Status s = ForEachTarMemberInBytes(
      bytes, name_for_errors, [&](const TarEntry& e, const TarDataReader& read) -> absl::Status {
        TarMember m{e.name, e.is_directory, {}};
        if (!e.is_directory) {
          absl::StatusOr<std::string> data = read.ReadAll();
          if (!data.ok()) return data.status();
          m.data = std::move(*data);
        }
        members.push_back(std::move(m));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return members;
}

void TarWriter::AddHeader(std::string_view name, char type, uint64_t size) {
  if (name.size() > 100) {
    std::string long_name(name);
    long_name.push_back('\0');
    AddHeader("././@LongLink", 'L', long_name.size());
    out_ += long_name;
    out_.append((kBlock - long_name.size() % kBlock) % kBlock, '\0');
  }
  std::string h(kBlock, '\0');
  PutField(&h, 0, 100, name);
  PutNumber(&h, 100, 8, type == '5' ? 0755 : 0644);
  PutNumber(&h, 108, 8, 0);
  PutNumber(&h, 116, 8, 0);
  PutNumber(&h, 124, 12, size);
  PutNumber(&h, 136, 12, 0);
  h[156] = type;
  PutField(&h, 257, 8, std::string_view("ustar\0" "00", 8));
  PutField(&h, 265, 32, "root");
  PutField(&h, 297, 32, "root");
  PutField(&h, 148, 8, "        ");
  uint64_t sum = 0;
  for (char c : h) sum += static_cast<uint8_t>(c);
  PutNumber(&h, 148, 7, sum);  // six digits and a NUL, then the space already there
  out_ += h;
}

void TarWriter::AddFile(std::string_view name, std::string_view data) {
  AddHeader(name, '0', data.size());
  out_ += data;
  out_.append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

void TarWriter::AddDirectory(std::string_view name) {
  std::string n(name);
  if (n.empty() || n.back() != '/') n.push_back('/');
  AddHeader(n, '5', 0);
}

std::string TarWriter::Finish() && {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

}  // namespace nb360::tasks
