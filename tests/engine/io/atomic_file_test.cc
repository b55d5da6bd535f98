#include "engine/io/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/io/io_test_util.h"

namespace nb360::io {
namespace {

using testing::FreshDir;

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr);
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

TEST(AtomicFileTest, WritesAndReadsBack) {
  const std::string path = FreshDir("atomic_rw") + "/a.bin";
  std::string bytes = "hello";
  bytes.push_back('\0');
  bytes += std::string(200000, 'x');  // more than one read chunk
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  absl::StatusOr<std::string> back = ReadFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, bytes);
  absl::StatusOr<uint64_t> size = FileSize(path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, bytes.size());
}

TEST(AtomicFileTest, OverwritesAndHandlesEmptyFiles) {
  const std::string path = FreshDir("atomic_overwrite") + "/a.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "first version, long").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(*ReadFile(path), "second");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(*ReadFile(path), "");
}

TEST(AtomicFileTest, LeavesNoTempFileBehind) {
  const std::string dir = FreshDir("atomic_notemp");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(WriteFileAtomically(dir + "/out.bin", std::string(i * 1000, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/other.bin", "b").ok());
  std::vector<std::string> names = ListDir(dir);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"other.bin", "out.bin"}));
}

TEST(AtomicFileTest, FailedWriteNamesThePathAndLeavesNothing) {
  const std::string dir = FreshDir("atomic_fail");
  const std::string path = dir + "/missing_subdir/out.bin";
  absl::Status s = WriteFileAtomically(path, "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), absl::string_view::npos) << s;
  // Renaming onto a directory fails after the temp file was written: it must be cleaned up.
  ASSERT_EQ(mkdir((dir + "/a_dir").c_str(), 0755), 0);
  s = WriteFileAtomically(dir + "/a_dir", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir + "/a_dir"), absl::string_view::npos) << s;
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"a_dir"});
}

TEST(AtomicFileTest, WritesIntoTheCurrentDirectoryForBareNames) {
  const std::string dir = FreshDir("atomic_bare");
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(dir.c_str()), 0);
  const absl::Status s = WriteFileAtomically("bare.txt", "v");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(*ReadFile(dir + "/bare.txt"), "v");
}

TEST(AtomicFileTest, ReadErrorsNameThePath) {
  const std::string dir = FreshDir("atomic_read_err");
  const std::string path = dir + "/nope.bin";
  absl::StatusOr<std::string> r = ReadFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_NE(r.status().message().find(path), absl::string_view::npos) << r.status();
  r = ReadFile(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(dir), absl::string_view::npos) << r.status();
  EXPECT_FALSE(FileSize(path).ok());
}

TEST(AtomicFileTest, ReadFileRange) {
  const std::string path = FreshDir("atomic_range") + "/r.bin";
  ASSERT_TRUE(WriteFileAtomically(path, "0123456789").ok());
  EXPECT_EQ(*ReadFileRange(path, 2, 3), "234");
  EXPECT_EQ(*ReadFileRange(path, 8, 100), "89");
  EXPECT_EQ(*ReadFileRange(path, 20, 5), "");
}

TEST(AtomicFileTest, RecognisesTempNames) {
  EXPECT_TRUE(IsAtomicWriteTempName(".ckpt-5.safetensors.tmp.123.0.456"));
  EXPECT_FALSE(IsAtomicWriteTempName("ckpt-5.safetensors"));
  EXPECT_FALSE(IsAtomicWriteTempName(".hidden"));
}

}  // namespace
}  // namespace nb360::io
