#include "tasks/common/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include <cstdio>
#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/byte_io.h"

namespace nb360::tasks {
namespace {

constexpr uint8_t kFText = 1, kFHcrc = 2, kFExtra = 4, kFName = 8, kFComment = 16;
// Deflate cannot expand data by more than about 1032:1; used to cap speculative reservations.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr size_t kMaxChunk = size_t{1} << 30;  // zlib's avail_in/avail_out are 32-bit

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%x", v);
  return buf;
}

struct Member {
  std::string_view bytes;
  std::string_view name;
  int index;
  std::string Where(size_t pos) const {
    return StrCat(name, ": gzip member ", index, ", byte ", pos, ": ");
  }
};

// Parses the member header starting at *pos; on success *pos is the first deflate byte.
absl::Status ParseHeader(const Member& m, size_t* pos) {
  const std::string_view b = m.bytes;
  const size_t start = *pos;
  if (b.size() - start < 10) {
    return absl::DataLossError(StrCat(m.Where(start), "truncated gzip header (", b.size() - start,
                                            " of 10 bytes)"));
  }
  const auto u8 = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  if (u8(start + 2) != 8) {
    return absl::InvalidArgumentError(
        StrCat(m.Where(start + 2), "compression method ", static_cast<int>(u8(start + 2)), " is not deflate (8)"));
  }
  const uint8_t flags = u8(start + 3);
  if (flags & 0xE0) {
    return absl::InvalidArgumentError(
        StrCat(m.Where(start + 3), "reserved header flag bits set (flags 0x", Hex(flags), ")"));
  }
  size_t p = start + 10;
  if (flags & kFExtra) {
    if (b.size() - p < 2) return absl::DataLossError(StrCat(m.Where(p), "truncated in FEXTRA length"));
    const size_t xlen = io::GetLE<uint16_t>(b.data() + p);
    p += 2;
    if (b.size() - p < xlen) {
      return absl::DataLossError(StrCat(m.Where(p), "truncated in FEXTRA field of ", xlen, " bytes"));
    }
    p += xlen;
  }
  for (uint8_t flag : {kFName, kFComment}) {
    if (!(flags & flag)) continue;
    const size_t end = b.find('\0', p);
    if (end == std::string_view::npos) {
      return absl::DataLossError(
          StrCat(m.Where(p), "truncated in ", flag == kFName ? "FNAME" : "FCOMMENT", " string"));
    }
    p = end + 1;
  }
  if (flags & kFHcrc) {
    if (b.size() - p < 2) return absl::DataLossError(StrCat(m.Where(p), "truncated in FHCRC"));
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(b.data() + start), p - start) & 0xFFFF;
    const uint32_t stored = io::GetLE<uint16_t>(b.data() + p);
    if (crc != stored) {
      return absl::DataLossError(StrCat(m.Where(p), "header CRC-16 mismatch (stored 0x",
                                              Hex(stored), ", computed 0x", Hex(crc), ")"));
    }
    p += 2;
  }
  (void)kFText;
  *pos = p;
  return absl::OkStatus();
}

// Inflates the raw deflate stream at *pos, appending to *out; *pos ends after the stream.
absl::Status InflateMember(const Member& m, size_t* pos, uint64_t max_output, std::string* out,
                           uint32_t* crc, uint64_t* produced) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return absl::InternalError("inflateInit2 failed");
  const size_t member_start = out->size();
  size_t in_pos = *pos;
  size_t out_pos = out->size();
  int rc = Z_OK;
  absl::Status status;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0) {
      const size_t n = std::min(m.bytes.size() - in_pos, kMaxChunk);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.bytes.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (out_pos == out->size()) {
      if (out->size() >= max_output) {
        status = absl::ResourceExhaustedError(
            StrCat(m.Where(in_pos - zs.avail_in), "decompressed data exceeds the limit of ",
                         max_output, " bytes"));
        break;
      }
      const uint64_t grow = std::clamp<uint64_t>(out->size(), 1 << 16, kMaxChunk);
      out->resize(std::min<uint64_t>(out->size() + grow, max_output));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + out_pos);
    zs.avail_out = static_cast<uInt>(std::min(out->size() - out_pos, kMaxChunk));
    const uInt avail_in_before = zs.avail_in, avail_out_before = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    out_pos += avail_out_before - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      status = absl::DataLossError(StrCat(m.Where(in_pos - zs.avail_in), "corrupt deflate data (",
                                                zs.msg ? zs.msg : "invalid stream", ")"));
      break;
    }
    if (rc == Z_MEM_ERROR) {
      status = absl::ResourceExhaustedError(StrCat(m.Where(in_pos - zs.avail_in), "zlib out of memory"));
      break;
    }
    const bool progressed = zs.avail_in != avail_in_before || zs.avail_out != avail_out_before;
    if (zs.avail_in == 0 && in_pos == m.bytes.size() && (rc == Z_BUF_ERROR || !progressed)) {
      status = absl::DataLossError(
          StrCat(m.Where(in_pos), "compressed data truncated (the deflate stream does not end)"));
      break;
    }
  }
  const size_t consumed_end = in_pos - zs.avail_in;
  inflateEnd(&zs);
  if (!status.ok()) return status;
  out->resize(out_pos);
  *produced = out_pos - member_start;
  // crc32 takes 32-bit lengths: feed in chunks.
  uint32_t c = crc32(0, nullptr, 0);
  for (size_t p = member_start; p < out_pos; p += kMaxChunk) {
    c = crc32(c, reinterpret_cast<const Bytef*>(out->data() + p), std::min(out_pos - p, kMaxChunk));
  }
  *crc = c;
  *pos = consumed_end;
  return absl::OkStatus();
}

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1F && static_cast<uint8_t>(bytes[1]) == 0x8B;
}

absl::StatusOr<std::string> Gunzip(std::string_view bytes, std::string_view name_for_errors,
                                   uint64_t max_output) {
  if (!IsGzip(bytes)) {
    return absl::InvalidArgumentError(StrCat(
        name_for_errors, ": not a gzip file (", bytes.size() < 2 ? "fewer than 2 bytes" : "wrong magic bytes",
        ", wanted 1f 8b)"));
  }
  std::string out;
  // Reserve from the last member's ISIZE, capped by what deflate can possibly produce.
  if (bytes.size() >= 18) {
    const uint64_t isize = io::GetLE<uint32_t>(bytes.data() + bytes.size() - 4);
    out.reserve(std::min({isize, max_output, kMaxDeflateRatio * bytes.size()}));
  }
  size_t pos = 0;
  for (int index = 0; pos < bytes.size(); ++index) {
    Member m{bytes, name_for_errors, index};
    if (index > 0 && !IsGzip(bytes.substr(pos))) {
      if (bytes.find_first_not_of('\0', pos) == std::string_view::npos) break;  // zero padding
      return absl::InvalidArgumentError(StrCat(
          name_for_errors, ": trailing garbage after gzip member ", index - 1, " at byte ", pos, " (",
          bytes.size() - pos, " bytes that are not a gzip member)"));
    }
    if (absl::Status s = ParseHeader(m, &pos); !s.ok()) return s;
    uint32_t crc = 0;
    uint64_t produced = 0;
    if (absl::Status s = InflateMember(m, &pos, max_output, &out, &crc, &produced); !s.ok()) return s;
    if (bytes.size() - pos < 8) {
      return absl::DataLossError(StrCat(m.Where(pos), "truncated gzip trailer (",
                                              bytes.size() - pos, " of 8 bytes)"));
    }
    const uint32_t stored_crc = io::GetLE<uint32_t>(bytes.data() + pos);
    const uint32_t stored_size = io::GetLE<uint32_t>(bytes.data() + pos + 4);
    if (stored_crc != crc) {
      return absl::DataLossError(StrCat(m.Where(pos), "CRC-32 mismatch (stored 0x", Hex(stored_crc),
                                              ", computed 0x", Hex(crc), ")"));
    }
    if (stored_size != static_cast<uint32_t>(produced)) {
      return absl::DataLossError(StrCat(m.Where(pos + 4), "ISIZE mismatch (stored ", stored_size,
                                              ", decompressed ", produced, " bytes mod 2^32)"));
    }
    pos += 8;
  }
  return out;
}

absl::StatusOr<std::string> ReadFileMaybeGzip(const std::string& path) {
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  if (!bytes.ok() || !IsGzip(*bytes)) return bytes;
  return Gunzip(*bytes, path);
}

std::string Gzip(std::string_view bytes) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  // windowBits 15 + 16: a gzip wrapper with mtime 0, no name, OS 3.
  NB_CHECK(deflateInit2(&zs, 6, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
  std::string out;
  size_t in_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_pos < bytes.size()) {
      const size_t n = std::min(bytes.size() - in_pos, kMaxChunk);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    const size_t old = out.size();
    out.resize(old + (1 << 16));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = 1 << 16;
    rc = deflate(&zs, in_pos == bytes.size() && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
    NB_CHECK(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate failed: ", rc);
    out.resize(old + (1 << 16) - zs.avail_out);
  }
  deflateEnd(&zs);
  return out;
}

absl::Status GzipFile(const std::string& path, std::string_view bytes) {
  return io::WriteFileAtomically(path, Gzip(bytes));
}

}  // namespace nb360::tasks
