#include "engine/io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "engine/check.h"
#include "engine/io/byte_io.h"

namespace nb360::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kZip64EndSize = 56, kLocatorSize = 20;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kMax32 = 0xFFFFFFFF;
constexpr uint16_t kMax16 = 0xFFFF;
constexpr uint16_t kDosDate19800101 = (0 << 9) | (1 << 5) | 1;
// Deflate cannot compress better than about 1032:1; larger claims are corrupt (or a zip bomb).
constexpr uint64_t kMaxDeflateRatio = 1032;

uint32_t Crc32(std::string_view data) {
  return static_cast<uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<z_size_t>(data.size())));
}

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view name) : bytes_(bytes), name_(name) {}

  absl::StatusOr<std::vector<ZipMember>> ReadAll() {
    uint64_t entries = 0, cd_size = 0, cd_offset = 0;
    if (absl::Status s = FindCentralDirectory(&entries, &cd_size, &cd_offset); !s.ok()) return s;
    if (!InBounds(cd_offset, cd_size, bytes_.size())) {
      return Error("truncated or corrupt zip archive: central directory lies outside the file");
    }
    // Every entry takes at least 46 bytes: a garbage count cannot make us reserve much.
    if (entries > cd_size / kCentralSize) {
      return Error(StrCat("corrupt zip archive: ", entries, " entries cannot fit a central directory of ",
                          cd_size, " bytes"));
    }
    std::vector<ZipMember> members;
    members.reserve(entries);
    uint64_t pos = cd_offset;
    const uint64_t cd_end = cd_offset + cd_size;
    for (uint64_t i = 0; i < entries; ++i) {
      ZipMember m;
      if (absl::Status s = ReadEntry(&pos, cd_end, &m); !s.ok()) return s;
      members.push_back(std::move(m));
    }
    return members;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat(name_, ": ", what));
  }
  uint16_t U16(uint64_t p) const { return GetLE<uint16_t>(bytes_.data() + p); }
  uint32_t U32(uint64_t p) const { return GetLE<uint32_t>(bytes_.data() + p); }
  uint64_t U64(uint64_t p) const { return GetLE<uint64_t>(bytes_.data() + p); }

  absl::Status FindCentralDirectory(uint64_t* entries, uint64_t* cd_size, uint64_t* cd_offset) {
    if (bytes_.size() < kEndSize) {
      return Error(StrCat("not a zip archive, or truncated (", bytes_.size(), " bytes)"));
    }
    // The end record sits at the end, followed only by its comment (up to 64 KiB).
    const uint64_t last = bytes_.size() - kEndSize;
    const uint64_t first = last > kMax16 ? last - kMax16 : 0;
    uint64_t end = 0;
    bool found = false;
    for (uint64_t p = last + 1; p-- > first;) {
      if (U32(p) == kEndSig && p + kEndSize + U16(p + 20) == bytes_.size()) {
        end = p;
        found = true;
        break;
      }
    }
    if (!found) return Error("not a zip archive, or truncated: no end-of-central-directory record");
    if (U16(end + 4) != 0 || U16(end + 6) != 0) return Error("multi-disk zip archives are not supported");
    *entries = U16(end + 10);
    *cd_size = U32(end + 12);
    *cd_offset = U32(end + 16);
    // A ZIP64 locator right before the end record points at the ZIP64 end record.
    if (end >= kLocatorSize && U32(end - kLocatorSize) == kZip64LocatorSig) {
      const uint64_t z = U64(end - kLocatorSize + 8);
      if (!InBounds(z, kZip64EndSize, end - kLocatorSize) || U32(z) != kZip64EndSig) {
        return Error("corrupt zip archive: bad ZIP64 end-of-central-directory record");
      }
      *entries = U64(z + 32);
      *cd_size = U64(z + 40);
      *cd_offset = U64(z + 48);
    } else if (*entries == kMax16 || *cd_size == kMax32 || *cd_offset == kMax32) {
      return Error("corrupt zip archive: ZIP64 end-of-central-directory record is missing");
    }
    return absl::OkStatus();
  }

  absl::Status ReadEntry(uint64_t* pos, uint64_t cd_end, ZipMember* m) {
    const uint64_t p = *pos;
    if (!InBounds(p, kCentralSize, cd_end) || U32(p) != kCentralSig) {
      return Error("corrupt zip archive: bad central directory entry");
    }
    const uint16_t flags = U16(p + 8);
    const uint16_t method = U16(p + 10);
    const uint32_t crc = U32(p + 16);
    uint64_t csize = U32(p + 20);
    uint64_t usize = U32(p + 24);
    const uint16_t name_len = U16(p + 28), extra_len = U16(p + 30), comment_len = U16(p + 32);
    uint64_t offset = U32(p + 42);
    if (!InBounds(p + kCentralSize, uint64_t{name_len} + extra_len + comment_len, cd_end)) {
      return Error("corrupt zip archive: central directory entry runs past its end");
    }
    m->name.assign(bytes_.substr(p + kCentralSize, name_len));
    const std::string member = StrCat("member '", m->name, "': ");
    if (absl::Status s =
            ReadZip64Extra(p + kCentralSize + name_len, extra_len, &usize, &csize, &offset, member);
        !s.ok()) {
      return s;
    }
    *pos = p + kCentralSize + name_len + extra_len + comment_len;
    if (flags & 1) return Error(StrCat(member, "encrypted members are not supported"));
    // The local header repeats name and extra field (its extra may differ); data follows it.
    if (!InBounds(offset, kLocalSize, bytes_.size()) || U32(offset) != kLocalSig) {
      return Error(StrCat(member, "truncated or corrupt zip archive: bad local header"));
    }
    const uint16_t local_name_len = U16(offset + 26);
    if (!InBounds(offset + kLocalSize, local_name_len, bytes_.size()) ||
        bytes_.substr(offset + kLocalSize, local_name_len) != m->name) {
      return Error(StrCat(member, "corrupt zip archive: local header names a different file"));
    }
    const uint64_t data_start = offset + kLocalSize + local_name_len + U16(offset + 28);
    if (!InBounds(data_start, csize, bytes_.size())) {
      return Error(StrCat(member, "truncated zip archive: ", csize, " bytes of data at offset ", data_start,
                          ", file has ", bytes_.size()));
    }
    const std::string_view raw = bytes_.substr(data_start, csize);
    if (method == 0) {
      if (csize != usize) return Error(StrCat(member, "stored member with different sizes"));
      m->data.assign(raw);
    } else if (method == 8) {
      if (absl::Status s = Inflate(raw, usize, member, &m->data); !s.ok()) return s;
    } else {
      return Error(StrCat(member, "unsupported compression method ", method, " (only stored and deflate)"));
    }
    if (Crc32(m->data) != crc) return Error(StrCat(member, "CRC-32 mismatch (corrupt data)"));
    return absl::OkStatus();
  }

  // Replaces the saturated 32-bit fields with their ZIP64 values, in the order the format defines.
  absl::Status ReadZip64Extra(uint64_t p, uint64_t len, uint64_t* usize, uint64_t* csize, uint64_t* offset,
                              const std::string& member) {
    const uint64_t end = p + len;
    while (p + 4 <= end) {
      const uint16_t id = U16(p), size = U16(p + 2);
      if (p + 4 + size > end) return Error(StrCat(member, "corrupt zip extra field"));
      if (id == kZip64ExtraId) {
        uint64_t q = p + 4;
        for (uint64_t* field : {usize, csize, offset}) {
          if (*field != kMax32) continue;
          if (q + 8 > p + 4 + size) return Error(StrCat(member, "ZIP64 extra field is too short"));
          *field = U64(q);
          q += 8;
        }
        return absl::OkStatus();
      }
      p += 4 + size;
    }
    return absl::OkStatus();
  }

  absl::Status Inflate(std::string_view in, uint64_t usize, const std::string& member, std::string* out) {
    if (usize > in.size() * kMaxDeflateRatio + 1024) {
      return Error(
          StrCat(member, "corrupt zip archive: ", in.size(), " deflated bytes cannot expand to ", usize));
    }
    out->assign(usize, '\0');
    z_stream zs{};
    Bytef no_output = 0;  // zlib wants a non-null output pointer even for empty members
    zs.next_out = &no_output;
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Error(StrCat(member, "cannot initialise zlib"));
    constexpr uint64_t kChunk = uint64_t{1} << 30;  // zlib counts in 32-bit uInt
    uint64_t in_pos = 0, out_pos = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
      if (zs.avail_in == 0 && in_pos < in.size()) {
        const uint64_t n = std::min<uint64_t>(kChunk, in.size() - in_pos);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
        zs.avail_in = static_cast<uInt>(n);
        in_pos += n;
      }
      if (zs.avail_out == 0 && out_pos < usize) {
        const uint64_t n = std::min<uint64_t>(kChunk, usize - out_pos);
        zs.next_out = reinterpret_cast<Bytef*>(out->data() + out_pos);
        zs.avail_out = static_cast<uInt>(n);
        out_pos += n;
      }
      rc = inflate(&zs, Z_NO_FLUSH);
    }
    const uint64_t produced = zs.total_out;
    const std::string zmsg = zs.msg ? zs.msg : "";
    inflateEnd(&zs);
    if (rc == Z_STREAM_END && produced == usize) return absl::OkStatus();
    if (rc == Z_STREAM_END) {
      return Error(StrCat(member, "deflated data expands to ", produced, " bytes, expected ", usize));
    }
    if (rc == Z_BUF_ERROR && produced == usize) {
      return Error(StrCat(member, "deflated data expands beyond the recorded ", usize, " bytes"));
    }
    if (rc == Z_BUF_ERROR) return Error(StrCat(member, "truncated deflate stream"));
    return Error(
        StrCat(member, "corrupt deflate stream (zlib: ", zmsg.empty() ? std::to_string(rc) : zmsg, ")"));
  }

  std::string_view bytes_;
  std::string_view name_;
};

bool NeedsUtf8Flag(std::string_view name) {
  return std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace

absl::StatusOr<std::vector<ZipMember>> ParseZip(std::string_view bytes, std::string_view name_for_errors) {
  return Reader(bytes, name_for_errors).ReadAll();
}

void ZipWriter::AddStored(std::string_view name, std::string_view data) {
  Entry e{std::string(name), Crc32(data), data.size(), out_.size()};
  const bool zip64 = force_zip64_ || e.size >= kMax32;
  PutLE<uint32_t>(&out_, kLocalSig);
  PutLE<uint16_t>(&out_, zip64 ? 45 : 20);                    // version needed
  PutLE<uint16_t>(&out_, NeedsUtf8Flag(name) ? 1 << 11 : 0);  // flags
  PutLE<uint16_t>(&out_, 0);                                  // method: stored
  PutLE<uint16_t>(&out_, 0);                                  // time 00:00:00
  PutLE<uint16_t>(&out_, kDosDate19800101);
  PutLE<uint32_t>(&out_, e.crc);
  PutLE<uint32_t>(&out_, zip64 ? kMax32 : static_cast<uint32_t>(e.size));
  PutLE<uint32_t>(&out_, zip64 ? kMax32 : static_cast<uint32_t>(e.size));
  PutLE<uint16_t>(&out_, static_cast<uint16_t>(name.size()));
  PutLE<uint16_t>(&out_, zip64 ? 20 : 0);  // extra length
  out_.append(name);
  if (zip64) {
    PutLE<uint16_t>(&out_, kZip64ExtraId);
    PutLE<uint16_t>(&out_, 16);
    PutLE<uint64_t>(&out_, e.size);  // uncompressed
    PutLE<uint64_t>(&out_, e.size);  // compressed
  }
  out_.append(data);
  entries_.push_back(std::move(e));
}

std::string ZipWriter::Finish() && {
  const uint64_t cd_offset = out_.size();
  for (const Entry& e : entries_) {
    const bool big_size = force_zip64_ || e.size >= kMax32;
    const bool big_offset = force_zip64_ || e.offset >= kMax32;
    const uint16_t extra = (big_size ? 16 : 0) + (big_offset ? 8 : 0);
    const uint16_t version = extra ? 45 : 20;
    PutLE<uint32_t>(&out_, kCentralSig);
    PutLE<uint16_t>(&out_, (3 << 8) | version);  // made by: Unix
    PutLE<uint16_t>(&out_, version);
    PutLE<uint16_t>(&out_, NeedsUtf8Flag(e.name) ? 1 << 11 : 0);
    PutLE<uint16_t>(&out_, 0);  // stored
    PutLE<uint16_t>(&out_, 0);
    PutLE<uint16_t>(&out_, kDosDate19800101);
    PutLE<uint32_t>(&out_, e.crc);
    PutLE<uint32_t>(&out_, big_size ? kMax32 : static_cast<uint32_t>(e.size));
    PutLE<uint32_t>(&out_, big_size ? kMax32 : static_cast<uint32_t>(e.size));
    PutLE<uint16_t>(&out_, static_cast<uint16_t>(e.name.size()));
    PutLE<uint16_t>(&out_, extra ? extra + 4 : 0);
    PutLE<uint16_t>(&out_, 0);               // comment length
    PutLE<uint16_t>(&out_, 0);               // disk
    PutLE<uint16_t>(&out_, 0);               // internal attributes
    PutLE<uint32_t>(&out_, 0100644u << 16);  // external: regular file, rw-r--r--
    PutLE<uint32_t>(&out_, big_offset ? kMax32 : static_cast<uint32_t>(e.offset));
    out_.append(e.name);
    if (extra) {
      PutLE<uint16_t>(&out_, kZip64ExtraId);
      PutLE<uint16_t>(&out_, extra);
      if (big_size) {
        PutLE<uint64_t>(&out_, e.size);
        PutLE<uint64_t>(&out_, e.size);
      }
      if (big_offset) PutLE<uint64_t>(&out_, e.offset);
    }
  }
  const uint64_t cd_size = out_.size() - cd_offset;
  const uint64_t count = entries_.size();
  const bool zip64 = force_zip64_ || count >= kMax16 || cd_size >= kMax32 || cd_offset >= kMax32;
  if (zip64) {
    const uint64_t z = out_.size();
    PutLE<uint32_t>(&out_, kZip64EndSig);
    PutLE<uint64_t>(&out_, kZip64EndSize - 12);  // size of the rest of this record
    PutLE<uint16_t>(&out_, (3 << 8) | 45);
    PutLE<uint16_t>(&out_, 45);
    PutLE<uint32_t>(&out_, 0);  // this disk
    PutLE<uint32_t>(&out_, 0);  // disk with the central directory
    PutLE<uint64_t>(&out_, count);
    PutLE<uint64_t>(&out_, count);
    PutLE<uint64_t>(&out_, cd_size);
    PutLE<uint64_t>(&out_, cd_offset);
    PutLE<uint32_t>(&out_, kZip64LocatorSig);
    PutLE<uint32_t>(&out_, 0);
    PutLE<uint64_t>(&out_, z);
    PutLE<uint32_t>(&out_, 1);  // total disks
  }
  PutLE<uint32_t>(&out_, kEndSig);
  PutLE<uint16_t>(&out_, 0);
  PutLE<uint16_t>(&out_, 0);
  const uint16_t count16 = zip64 ? kMax16 : static_cast<uint16_t>(count);
  PutLE<uint16_t>(&out_, count16);
  PutLE<uint16_t>(&out_, count16);
  PutLE<uint32_t>(&out_, zip64 ? kMax32 : static_cast<uint32_t>(cd_size));
  PutLE<uint32_t>(&out_, zip64 ? kMax32 : static_cast<uint32_t>(cd_offset));
  PutLE<uint16_t>(&out_, 0);  // comment length
  return std::move(out_);
}

}  // namespace nb360::io
