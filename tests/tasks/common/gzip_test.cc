#include "tasks/common/gzip.h"

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "engine/io/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

using ::testing::HasSubstr;

std::string TestData(const std::string& name) { return "tests/tasks/common/testdata/" + name; }

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(i % 7 == 0 ? (x >> 16) : 'a' + i % 5);
  }
  return s;
}

// Gzip() = 10-byte header + raw deflate + 8-byte trailer.
std::string RawDeflate(const std::string& gz) { return gz.substr(10, gz.size() - 18); }
std::string Trailer(const std::string& gz) { return gz.substr(gz.size() - 8); }

TEST(GzipTest, RoundTripSizes) {
  for (size_t n : {0, 1, 100, 70000, 300000}) {
    std::string raw = Pattern(n);
    std::string gz = Gzip(raw);
    EXPECT_TRUE(IsGzip(gz));
    absl::StatusOr<std::string> back = Gunzip(gz, "mem.gz");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, raw) << n;
  }
}

TEST(GzipTest, Deterministic) { EXPECT_EQ(Gzip(Pattern(5000)), Gzip(Pattern(5000))); }

TEST(GzipTest, ReadsPythonFileWithName) {
  // make_testdata.py: gzip.GzipFile(filename='hello.txt', mtime=0) of b"hello gzip\n" * 100 (FNAME set).
  absl::StatusOr<std::string> raw = ReadFileMaybeGzip(TestData("hello.txt.gz"));
  ASSERT_TRUE(raw.ok()) << raw.status();
  std::string want;
  for (int i = 0; i < 100; ++i) want += "hello gzip\n";
  EXPECT_EQ(*raw, want);
}

TEST(GzipTest, ReadsPythonMultiMember) {
  // make_testdata.py: gzip.compress(b"first ") + gzip.compress(b"second").
  absl::StatusOr<std::string> raw = ReadFileMaybeGzip(TestData("multi.gz"));
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, "first second");
}

TEST(GzipTest, MaybeGzipPassesPlainFilesThrough) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/plain.bin";
  ASSERT_TRUE(io::WriteFileAtomically(path, "not compressed").ok());
  EXPECT_EQ(*ReadFileMaybeGzip(path), "not compressed");
  const std::string gz_path = std::string(getenv("TEST_TMPDIR")) + "/x.gz";
  ASSERT_TRUE(GzipFile(gz_path, "compressed").ok());
  EXPECT_EQ(*ReadFileMaybeGzip(gz_path), "compressed");
  absl::StatusOr<std::string> missing = ReadFileMaybeGzip(std::string(getenv("TEST_TMPDIR")) + "/nope.gz");
  EXPECT_FALSE(missing.ok());
}

TEST(GzipTest, AllHeaderFlags) {
  const std::string raw = Pattern(1000), gz = Gzip(raw);
  // FEXTRA | FNAME | FCOMMENT | FHCRC.
  std::string header("\x1f\x8b\x08\x1e\0\0\0\0\0\x03", 10);
  header += std::string("\x04\x00" "ab\x01\x02", 6);  // XLEN 4 + extra bytes
  header += std::string("name.bin\0", 9);
  header += std::string("a comment\0", 10);
  uint32_t crc = 0;
  {
    // CRC-16 of the header = low half of its CRC-32; compute with a tiny bitwise CRC-32.
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char ch : header) {
      c ^= ch;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    crc = ~c;
  }
  std::string good = header + std::string{static_cast<char>(crc & 0xFF), static_cast<char>((crc >> 8) & 0xFF)} +
                     RawDeflate(gz) + Trailer(gz);
  absl::StatusOr<std::string> back = Gunzip(good, "flags.gz");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, raw);

  std::string bad_hcrc = good;
  bad_hcrc[header.size()] ^= 1;
  absl::StatusOr<std::string> r = Gunzip(bad_hcrc, "flags.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("flags.gz"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("header CRC-16 mismatch"));

  // Truncated inside each variable field.
  for (size_t cut : {11, 14, 18, 25, 30, 36, 37}) {
    absl::StatusOr<std::string> t = Gunzip(good.substr(0, cut), "flags.gz");
    ASSERT_FALSE(t.ok()) << cut;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("truncated")) << cut;
  }
}

TEST(GzipTest, WrongMagic) {
  absl::StatusOr<std::string> r = Gunzip("PK\x03\x04 something", "a.zip");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), "a.zip: not a gzip file (wrong magic bytes, wanted 1f 8b)");
  EXPECT_FALSE(Gunzip("", "e.gz").ok());
  EXPECT_FALSE(IsGzip("\x1f"));
}

TEST(GzipTest, BadMethodAndFlags) {
  std::string gz = Gzip("abc");
  std::string m = gz;
  m[2] = 7;
  EXPECT_THAT(std::string(Gunzip(m, "m.gz").status().message()), HasSubstr("compression method 7 is not deflate"));
  std::string f = gz;
  f[3] = static_cast<char>(0x80);
  EXPECT_THAT(std::string(Gunzip(f, "f.gz").status().message()), HasSubstr("reserved header flag bits"));
}

TEST(GzipTest, TruncatedEverywhere) {
  const std::string gz = Gzip(Pattern(20000));
  for (size_t cut = 2; cut < gz.size(); cut += std::max<size_t>(1, gz.size() / 97)) {
    absl::StatusOr<std::string> r = Gunzip(gz.substr(0, cut), "cut.gz");
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("cut.gz: ")) << cut;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("truncated")) << cut << ": " << r.status();
  }
  absl::StatusOr<std::string> r = Gunzip(gz.substr(0, gz.size() - 3), "cut.gz");
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("truncated gzip trailer (5 of 8 bytes)"));
}

TEST(GzipTest, BadCrcAndSize) {
  const std::string gz = Gzip(Pattern(3000));
  std::string crc = gz;
  crc[gz.size() - 8] ^= 0x55;
  absl::StatusOr<std::string> r = Gunzip(crc, "crc.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("crc.gz: gzip member 0"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("CRC-32 mismatch"));
  std::string size = gz;
  size[gz.size() - 4] ^= 0x01;
  EXPECT_THAT(std::string(Gunzip(size, "size.gz").status().message()), HasSubstr("ISIZE mismatch"));
}

TEST(GzipTest, CorruptDeflate) {
  std::string gz = Gzip(Pattern(3000));
  gz[10] = static_cast<char>(0xFF);  // block type 3 (reserved)
  absl::StatusOr<std::string> r = Gunzip(gz, "bad.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("bad.gz: gzip member 0"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("corrupt deflate data"));
}

TEST(GzipTest, TrailingGarbageAndPadding) {
  const std::string gz = Gzip("payload");
  absl::StatusOr<std::string> padded = Gunzip(gz + std::string(512, '\0'), "pad.gz");
  ASSERT_TRUE(padded.ok()) << padded.status();
  EXPECT_EQ(*padded, "payload");
  absl::StatusOr<std::string> r = Gunzip(gz + "junk", "junk.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("junk.gz: trailing garbage after gzip member 0 at byte " + std::to_string(gz.size())));
  // A second member that is itself broken is reported as member 1.
  std::string second = Gzip("x");
  second[second.size() - 1] ^= 1;
  EXPECT_THAT(std::string(Gunzip(gz + second, "two.gz").status().message()), HasSubstr("gzip member 1"));
}

TEST(GzipTest, OutputLimit) {
  const std::string gz = Gzip(std::string(1 << 20, 'z'));  // ~1 KB compressed, 1 MB out
  absl::StatusOr<std::string> r = Gunzip(gz, "bomb.gz", 100000);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("bomb.gz"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("exceeds the limit of 100000 bytes"));
  EXPECT_TRUE(Gunzip(gz, "ok.gz", 1 << 20).ok());
}

}  // namespace
}  // namespace nb360::tasks
