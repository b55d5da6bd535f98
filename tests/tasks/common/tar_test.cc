#include "tasks/common/tar.h"

#include <cstdint>
#include <string>
#include <vector>

#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/common/gzip.h"

namespace nb360::tasks {
namespace {

using ::testing::HasSubstr;

std::string TestData(const std::string& name) { return "tests/tasks/common/testdata/" + name; }

std::string Bytes(const std::string& name) {
  absl::StatusOr<std::string> b = io::ReadFile(TestData(name));
  NB_CHECK(b.ok(), std::string(b.status().message()));
  return *b;
}

std::string Error(const absl::StatusOr<std::vector<TarMember>>& r) {
  return r.ok() ? std::string("(ok)") : std::string(r.status().message());
}

// Recomputes the checksum of the 512-byte header at `at` (after a test edits it).
void FixChecksum(std::string* tar, size_t at) {
  std::fill(tar->begin() + at + 148, tar->begin() + at + 156, ' ');
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<uint8_t>((*tar)[at + i]);
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%06o", sum);
  tar->replace(at + 148, 7, std::string(buf, 6) + '\0');
}

TEST(TarTest, PythonUstarWithPrefix) {
  absl::StatusOr<std::vector<TarMember>> m = ParseTar(Bytes("ustar.tar"), "ustar.tar");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0].name, "npy_train");
  EXPECT_TRUE((*m)[0].is_directory);
  EXPECT_EQ((*m)[1].name, "npy_train/sky.npy");
  EXPECT_EQ((*m)[1].data, "sky levels");
  EXPECT_EQ((*m)[2].name, "npy_train/f435w/10420/" + std::string(90, 'd') + "/1_img.npy");
  ASSERT_EQ((*m)[2].data.size(), 768u);
  for (size_t i = 0; i < 768; ++i) ASSERT_EQ(static_cast<uint8_t>((*m)[2].data[i]), i % 256);
  EXPECT_EQ((*m)[3].name, "empty.txt");
  EXPECT_EQ((*m)[3].data, "");
}

TEST(TarTest, PythonGnuLongNameSkipsSymlink) {
  absl::StatusOr<std::vector<TarMember>> m = ParseTar(Bytes("gnu.tar"), "gnu.tar");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name, "long/" + std::string(150, 'n') + ".bin");
  EXPECT_EQ((*m)[0].data, "long name data");
  EXPECT_EQ((*m)[1].name, "after.txt");
  EXPECT_EQ((*m)[1].data, "after the link\n");
}

TEST(TarTest, PythonPaxPath) {
  absl::StatusOr<std::vector<TarMember>> m = ParseTar(Bytes("pax.tar"), "pax.tar");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name, "caf\xc3\xa9/" + std::string(120, 'p') + ".txt");
  EXPECT_EQ((*m)[0].data, "pax path");
  EXPECT_EQ((*m)[1].name, "plain.txt");
  EXPECT_EQ((*m)[1].data, std::string(513, 'x'));
}

TEST(TarTest, GzippedTarLikeCifar) {
  absl::StatusOr<std::string> tar = ReadFileMaybeGzip(TestData("mini.tar.gz"));
  ASSERT_TRUE(tar.ok()) << tar.status();
  absl::StatusOr<std::vector<TarMember>> m = ParseTar(*tar, "mini.tar.gz");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[1].name, "cifar-100-python/meta");
  EXPECT_EQ((*m)[1].data.substr(0, 2), "\x80\x02");  // a protocol-2 pickle
}

TEST(TarTest, WriterRoundTripAndGnuTarCompatibleLayout) {
  TarWriter w;
  w.AddDirectory("d");
  w.AddFile("d/a.bin", std::string(1000, 'a'));
  const std::string long_name = "d/" + std::string(200, 'L') + ".npy";
  w.AddFile(long_name, "L");
  w.AddFile("zero", "");
  const std::string tar = std::move(w).Finish();
  EXPECT_EQ(tar.size() % 512, 0u);
  absl::StatusOr<std::vector<TarMember>> m = ParseTar(tar, "w.tar");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0].name, "d");
  EXPECT_TRUE((*m)[0].is_directory);
  EXPECT_EQ((*m)[1].data, std::string(1000, 'a'));
  EXPECT_EQ((*m)[2].name, long_name);
  EXPECT_EQ((*m)[2].data, "L");
  EXPECT_EQ((*m)[3].name, "zero");
  TarWriter w2;
  w2.AddDirectory("d");
  w2.AddFile("d/a.bin", std::string(1000, 'a'));
  w2.AddFile(long_name, "L");
  w2.AddFile("zero", "");
  EXPECT_EQ(std::move(w2).Finish(), tar);  // deterministic
}

TEST(TarTest, StreamingFromDiskReadsOnDemand) {
  TarWriter w;
  w.AddFile("skip.bin", std::string(5000, 's'));
  w.AddFile("want.bin", "0123456789");
  w.AddDirectory("dir");
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/s.tar";
  ASSERT_TRUE(io::WriteFileAtomically(path, std::move(w).Finish()).ok());
  std::vector<std::string> names;
  std::string part, whole;
  absl::Status s = ForEachTarMember(path, [&](const TarEntry& e, const TarDataReader& read) -> absl::Status {
    names.push_back(e.name);
    if (e.name != "want.bin") return absl::OkStatus();
    EXPECT_EQ(read.size(), 10u);
    EXPECT_EQ(e.data_offset, 512u + 5120u + 512u);
    absl::StatusOr<std::string> p = read.Read(3, 4);
    if (!p.ok()) return p.status();
    part = *p;
    absl::StatusOr<std::string> all = read.ReadAll();
    if (!all.ok()) return all.status();
    whole = *all;
    absl::StatusOr<std::string> outside = read.Read(8, 3);
    EXPECT_FALSE(outside.ok());
    EXPECT_THAT(std::string(outside.status().message()), HasSubstr("s.tar: member 'want.bin': read of 3 bytes"));
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(names, (std::vector<std::string>{"skip.bin", "want.bin", "dir"}));
  EXPECT_EQ(part, "3456");
  EXPECT_EQ(whole, "0123456789");

  // The callback's error stops the walk and comes back unchanged.
  int calls = 0;
  absl::Status stop = ForEachTarMember(path, [&](const TarEntry&, const TarDataReader&) {
    ++calls;
    return absl::CancelledError("enough");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(stop.code(), absl::StatusCode::kCancelled);

  absl::Status missing = ForEachTarMember(path + ".nope", [](const TarEntry&, const TarDataReader&) {
    return absl::OkStatus();
  });
  EXPECT_THAT(std::string(missing.message()), HasSubstr("s.tar.nope: cannot open"));
}

TEST(TarTest, Base256Size) {
  TarWriter w;
  w.AddFile("big", "hello");
  std::string tar = std::move(w).Finish();
  std::string field(12, '\0');
  field[0] = static_cast<char>(0x80);
  field[11] = 5;
  tar.replace(124, 12, field);
  FixChecksum(&tar, 0);
  absl::StatusOr<std::vector<TarMember>> m = ParseTar(tar, "b256.tar");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)[0].data, "hello");
  // An absurd base-256 size is a truncation error, not an allocation.
  field[4] = 0x7F;
  tar.replace(124, 12, field);
  FixChecksum(&tar, 0);
  EXPECT_THAT(Error(ParseTar(tar, "huge.tar")), HasSubstr("huge.tar: member 'big': data truncated"));
  // Negative base-256.
  field[0] = static_cast<char>(0xFF);
  tar.replace(124, 12, field);
  FixChecksum(&tar, 0);
  EXPECT_THAT(Error(ParseTar(tar, "neg.tar")), HasSubstr("neg.tar: tar header at byte 0 ('big'): unreadable size"));
}

TEST(TarTest, BadChecksumAndGarbage) {
  std::string tar = Bytes("ustar.tar");
  tar[512 + 10] ^= 1;  // second header's name
  EXPECT_EQ(Error(ParseTar(tar, "bad.tar")).rfind("bad.tar: tar header at byte 512: header checksum mismatch", 0), 0u)
      << Error(ParseTar(tar, "bad.tar"));
  EXPECT_THAT(Error(ParseTar(std::string(1024, 'x'), "junk.tar")), HasSubstr("junk.tar: tar header at byte 0"));
  EXPECT_THAT(Error(ParseTar("", "e.tar")), HasSubstr("e.tar: empty file"));
}

TEST(TarTest, TruncatedAtManyPoints) {
  TarWriter w;
  w.AddFile("a.npy", std::string(700, 'a'));
  w.AddFile(std::string(150, 'n'), "bbb");
  const std::string tar = std::move(w).Finish();
  // Cut inside the first header, the data, the padding, the long-name entry, ... and before the end block.
  for (size_t cut : {100, 600, 1100, 1300, 1536 + 100, 1536 + 512 + 60, 1536 + 1024 + 300, 1536 + 1536}) {
    std::string e = Error(ParseTar(tar.substr(0, cut), "cut.tar"));
    EXPECT_EQ(e.rfind("cut.tar: ", 0), 0u) << cut << ": " << e;
    EXPECT_THAT(e, HasSubstr("truncated")) << cut << ": " << e;
  }
  EXPECT_THAT(Error(ParseTar(tar.substr(0, 1300), "cut.tar")),
              HasSubstr("cut.tar: member 'a.npy': padding after the data truncated"));
  EXPECT_THAT(Error(ParseTar(tar.substr(0, 600), "cut.tar")),
              HasSubstr("cut.tar: member 'a.npy': data truncated (700 bytes at byte 512"));
  // Truncated on a block boundary right after a GNU long-name entry.
  std::string after_long = tar.substr(0, 1536 + 1024) + std::string(1024, '\0');
  EXPECT_THAT(Error(ParseTar(after_long, "cut.tar")), HasSubstr("right after an extended header"));
}

TEST(TarTest, BadPaxRecordsAndHugeMeta) {
  std::string pax = Bytes("pax.tar");
  // The first member is a pax 'x' header whose data starts at 512 with "NNN path=...".
  std::string broken = pax;
  broken[512] = 'z';
  EXPECT_THAT(Error(ParseTar(broken, "p.tar")), HasSubstr("p.tar: pax header at byte 0: bad pax record length"));

  TarWriter w;
  w.AddFile(std::string(150, 'n'), "x");
  std::string tar = std::move(w).Finish();
  // Make the 'L' entry claim 2 MB (and pad the archive so it is not merely truncated).
  tar.replace(124, 12, std::string("00010000000") + '\0');
  FixChecksum(&tar, 0);
  tar.append(3 << 20, '\0');
  EXPECT_THAT(Error(ParseTar(tar, "l.tar")), HasSubstr("l.tar: tar header at byte 0: GNU long name of 2097152 bytes"));
}

}  // namespace
}  // namespace nb360::tasks
