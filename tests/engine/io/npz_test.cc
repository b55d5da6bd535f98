#include "engine/io/npz.h"

#include <string>

#include "engine/io/atomic_file.h"
#include "engine/io/npy.h"
#include "engine/io/zip.h"
#include "gtest/gtest.h"
#include "tests/engine/io/io_test_util.h"

namespace nb360::io {
namespace {

using testing::FreshDir;
using testing::GoldenArrays;
using testing::SameTensor;
using testing::TempDir;
using testing::TestDataPath;

bool Mentions(const absl::Status& s, const std::string& what) {
  return s.message().find(what) != absl::string_view::npos;
}

void ExpectGolden(const NamedTensors& got, const std::string& file) {
  const NamedTensors want = GoldenArrays();
  for (const auto& [name, t] : want) {
    bool found = false;
    for (const auto& [n, g] : got) {
      if (n != name) continue;
      found = true;
      EXPECT_TRUE(SameTensor(g, t)) << file << "[" << name << "]";
    }
    EXPECT_TRUE(found) << file << " lacks " << name;
  }
}

TEST(NpzTest, ReadsNumpySavez) {
  absl::StatusOr<NamedTensors> got = ReadNpz(TestDataPath("savez.npz"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 6u);
  EXPECT_EQ((*got)[0].first, "f4");  // archive order
  EXPECT_EQ((*got)[5].first, "b1");
  ExpectGolden(*got, "savez.npz");
}

TEST(NpzTest, ReadsDeflatedMembersOfSavezCompressed) {
  absl::StatusOr<std::map<std::string, Tensor>> got = ReadNpzMap(TestDataPath("savez_compressed.npz"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 7u);
  ExpectGolden(NamedTensors(got->begin(), got->end()), "savez_compressed.npz");
  const Tensor& big = got->at("big");
  ASSERT_EQ(big.shape(), (Shape{40, 50}));
  const std::vector<int32_t> v = big.ToVector<int32_t>();
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(v[i], i % 7) << i;
}

TEST(NpzTest, ReadsMembersWithDataDescriptors) {
  absl::StatusOr<std::map<std::string, Tensor>> got = ReadNpzMap(TestDataPath("data_descriptor.npz"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_TRUE(SameTensor(got->at("f4"), testing::Golden("f4")));
  EXPECT_TRUE(SameTensor(got->at("i8"), testing::Golden("i8")));
}

TEST(NpzTest, ReadsZip64Records) {
  absl::StatusOr<std::map<std::string, Tensor>> got = ReadNpzMap(TestDataPath("zip64.npz"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_TRUE(SameTensor(got->at("f4"), testing::Golden("f4")));
  EXPECT_TRUE(SameTensor(got->at("u1"), testing::Golden("u1")));
}

TEST(NpzTest, RoundTripsAllDTypesAndViews) {
  NamedTensors tensors = GoldenArrays();
  // interop.npz / interop_zip64.npz are what make_golden.py --verify loads with NumPy.
  const std::string path = TempDir() + "/interop.npz";
  ASSERT_TRUE(WriteNpz(path, tensors).ok());
  absl::StatusOr<NamedTensors> back = ReadNpz(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ((*back)[i].first, tensors[i].first);
    EXPECT_TRUE(SameTensor((*back)[i].second, tensors[i].second)) << tensors[i].first;
  }
  absl::StatusOr<std::string> z64 = SerializeNpz(tensors, /*force_zip64=*/true);
  ASSERT_TRUE(z64.ok());
  ASSERT_TRUE(WriteFileAtomically(TempDir() + "/interop_zip64.npz", *z64).ok());
  back = ParseNpz(*z64, "zip64");
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectGolden(*back, "interop_zip64.npz");

  const Tensor view = Tensor::Arange(12, DType::kInt64).Reshape({3, 4}).Transpose(0, 1).Narrow(0, 1, 2);
  absl::StatusOr<std::string> bytes = SerializeNpz({{"view", view}, {"empty", Tensor::Empty({0})}});
  ASSERT_TRUE(bytes.ok());
  back = ParseNpz(*bytes, "views");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameTensor((*back)[0].second, view.Contiguous()));
  EXPECT_EQ((*back)[1].second.shape(), Shape{0});
}

TEST(NpzTest, WritesDeterministicStoredArchives) {
  const NamedTensors tensors = {{"a", Tensor::Ones({4})}};
  absl::StatusOr<std::string> one = SerializeNpz(tensors), two = SerializeNpz(tensors);
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(*one, *two);
  EXPECT_EQ(one->substr(0, 4), "PK\x03\x04");
  EXPECT_EQ(one->substr(30, 5), "a.npy");
  EXPECT_EQ(one->substr(35, 6), "\x93NUMPY");  // stored, right after the local header
}

TEST(NpzTest, EmptyArchive) {
  absl::StatusOr<std::string> bytes = SerializeNpz({});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 22u);
  absl::StatusOr<NamedTensors> back = ParseNpz(*bytes, "empty");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
}

TEST(NpzTest, RejectsBadNamesOnWrite) {
  const std::string path = TempDir() + "/bad_names.npz";
  absl::Status s = WriteNpz(path, {{"a", Tensor::Ones({1})}, {"a", Tensor::Ones({1})}});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_TRUE(Mentions(s, path) && Mentions(s, "duplicate")) << s;
  EXPECT_FALSE(WriteNpz(path, {{"", Tensor::Ones({1})}}).ok());
  EXPECT_FALSE(WriteNpz(path, {{"x", Tensor()}}).ok());
}

TEST(NpzTest, EveryTruncationIsAClearErrorNamingTheFile) {
  for (const char* file : {"savez.npz", "savez_compressed.npz", "zip64.npz"}) {
    const std::string whole = testing::ReadBytes(TestDataPath(file));
    const std::string path = FreshDir("npz_truncated") + "/cut.npz";
    for (size_t n = 0; n < whole.size(); ++n) {
      testing::WriteBytes(path, whole.substr(0, n));
      absl::StatusOr<NamedTensors> t = ReadNpz(path);
      ASSERT_FALSE(t.ok()) << file << " accepted when cut at " << n;
      ASSERT_TRUE(Mentions(t.status(), path)) << t.status();
    }
  }
}

TEST(NpzTest, CorruptBytesGiveErrorsNotCrashes) {
  const std::string whole = testing::ReadBytes(TestDataPath("savez_compressed.npz"));
  int errors = 0;
  for (size_t i = 0; i < whole.size(); ++i) {
    std::string bad = whole;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    absl::StatusOr<NamedTensors> t = ParseNpz(bad, "flipped.npz");  // must not throw or crash
    if (!t.ok()) {
      ++errors;
      ASSERT_TRUE(Mentions(t.status(), "flipped.npz")) << t.status();
    }
  }
  EXPECT_GT(errors, static_cast<int>(whole.size()) / 2);
  // Damaged member data is caught by the CRC-32 (stored) or zlib (deflated).
  std::string stored = testing::ReadBytes(TestDataPath("savez.npz"));
  stored[stored.find("\x93NUMPY") + 140] ^= 1;
  absl::StatusOr<NamedTensors> t = ParseNpz(stored, "crc.npz");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), "CRC-32 mismatch")) << t.status();
  EXPECT_TRUE(Mentions(t.status(), "f4.npy")) << t.status();
}

TEST(NpzTest, RejectsNonNpyMembersAndGarbage) {
  ZipWriter w;
  w.AddStored("readme.txt", "hello");
  absl::StatusOr<NamedTensors> t = ParseNpz(std::move(w).Finish(), "odd.npz");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), "odd.npz: member 'readme.txt' is not a .npy array")) << t.status();

  ZipWriter w2;
  w2.AddStored("x.npy", "not an npy");
  t = ParseNpz(std::move(w2).Finish(), "bad_member.npz");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), "bad_member.npz: member 'x.npy': not a .npy file")) << t.status();

  t = ParseNpz(std::string(100, 'z'), "zzz.npz");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), "zzz.npz: not a zip archive")) << t.status();
}

TEST(NpzTest, DeflateBombClaimsAreRejected) {
  // Claim an uncompressed size far beyond what the deflated bytes can hold.
  std::string bytes = testing::ReadBytes(TestDataPath("data_descriptor.npz"));
  const size_t cd = bytes.find("PK\x01\x02");
  ASSERT_NE(cd, std::string::npos);
  bytes[cd + 24 + 3] = 0x7F;  // uncompressed size ~2 GB
  absl::StatusOr<NamedTensors> t = ParseNpz(bytes, "bomb.npz");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), "cannot expand")) << t.status();
}

}  // namespace
}  // namespace nb360::io
