#include "engine/io/npy.h"

#include <string>

#include "engine/io/atomic_file.h"
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

TEST(NpyTest, ReadsNumpyGoldenFilesForEachDType) {
  for (const auto& [name, want] : GoldenArrays()) {
    absl::StatusOr<Tensor> t = ReadNpy(TestDataPath(name + ".npy"));
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(SameTensor(*t, want)) << name;
  }
}

TEST(NpyTest, ReadsScalarAndEmptyArrays) {
  absl::StatusOr<Tensor> s = ReadNpy(TestDataPath("scalar_f8.npy"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(SameTensor(*s, Tensor::Scalar(2.5, DType::kFloat64)));
  absl::StatusOr<Tensor> e = ReadNpy(TestDataPath("empty_f4.npy"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->shape(), (Shape{0, 3}));
  EXPECT_EQ(e->dtype(), DType::kFloat32);
}

TEST(NpyTest, ReadsFortranOrderAsRowMajorValues) {
  absl::StatusOr<Tensor> t = ReadNpy(TestDataPath("fortran_i4.npy"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->is_contiguous());
  EXPECT_TRUE(SameTensor(*t, Tensor::Arange(24, DType::kInt32).Reshape({2, 3, 4})));
}

TEST(NpyTest, ReadsFormatVersions2And3) {
  for (const char* file : {"v2_f4.npy", "v3_f4.npy"}) {
    absl::StatusOr<Tensor> t = ReadNpy(TestDataPath(file));
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(SameTensor(*t, testing::Golden("f4"))) << file;
  }
}

TEST(NpyTest, RejectsBigEndianAndUnsupportedDTypesClearly) {
  const std::string be = TestDataPath("big_endian_f4.npy");
  absl::StatusOr<Tensor> t = ReadNpy(be);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), be)) << t.status();
  EXPECT_TRUE(Mentions(t.status(), "big-endian")) << t.status();
  const std::string f2 = TestDataPath("f2.npy");
  t = ReadNpy(f2);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Mentions(t.status(), f2)) << t.status();
  EXPECT_TRUE(Mentions(t.status(), "unsupported dtype '<f2'")) << t.status();
}

TEST(NpyTest, RoundTripsEachDType) {
  for (const auto& [name, want] : GoldenArrays()) {
    // interop_<name>.npy is also what make_golden.py --verify loads with NumPy.
    const std::string path = TempDir() + "/interop_" + name + ".npy";
    ASSERT_TRUE(WriteNpy(path, want).ok());
    absl::StatusOr<Tensor> back = ReadNpy(path);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(SameTensor(*back, want)) << name;
    // Byte-identical to NumPy's own file apart from header padding: same data section.
    const std::string mine = testing::ReadBytes(path);
    const std::string numpy = testing::ReadBytes(TestDataPath(name + ".npy"));
    EXPECT_EQ(mine.size() % 64, numpy.size() % 64) << name;
    EXPECT_EQ(mine.substr(128), numpy.substr(numpy.size() - (mine.size() - 128))) << name;
  }
}

TEST(NpyTest, RoundTripsScalarsEmptyAndNonContiguousViews) {
  const Tensor base = Tensor::Arange(24, DType::kInt64).Reshape({2, 3, 4});
  const std::vector<Tensor> cases = {
      Tensor::Scalar(-7.0, DType::kFloat64),
      Tensor::Empty({0, 5}, DType::kInt32),
      base.Transpose(0, 2),                                // strided
      base.Narrow(2, 1, 2),                                // offset + gaps
      base.Select(1, 2),                                   // offset
      Tensor::Full({3}, 1.0).Unsqueeze(0).Expand({4, 3}),  // stride 0
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string bytes = SerializeNpy(cases[i]);
    absl::StatusOr<Tensor> back = ParseNpy(bytes, "case");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(SameTensor(*back, cases[i].Contiguous())) << i;
  }
  const Tensor transposed = testing::Golden("i4").Transpose(0, 1);
  ASSERT_TRUE(WriteNpy(TempDir() + "/interop_transposed.npy", transposed).ok());
  EXPECT_TRUE(SameTensor(*ReadNpy(TempDir() + "/interop_transposed.npy"), transposed));
}

TEST(NpyTest, HeaderIsAlignedAndWellFormed) {
  const std::string bytes = SerializeNpy(Tensor::Zeros({2, 3}));
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes.substr(10, header.size()), header);
  EXPECT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_EQ(bytes.substr(10 + header.size(), 117 - header.size()), std::string(117 - header.size(), ' '));
  EXPECT_NE(SerializeNpy(Tensor::Zeros({5})).find("'shape': (5,), }"), std::string::npos);
  EXPECT_NE(SerializeNpy(Tensor::Scalar(1.0)).find("'shape': (), }"), std::string::npos);
}

TEST(NpyTest, LongHeaderSwitchesToVersion2) {
  const Shape shape(23000, 1);  // "(1, 1, ...)" is longer than 65535 bytes
  const Tensor t = Tensor::Zeros(shape, DType::kUInt8);
  const std::string bytes = SerializeNpy(t);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ(bytes.size() % 64, 1u);
  absl::StatusOr<Tensor> back = ParseNpy(bytes, "long");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->shape(), shape);
}

TEST(NpyTest, EveryTruncationIsAClearErrorNamingTheFile) {
  const std::string whole = testing::ReadBytes(TestDataPath("i8.npy"));
  const std::string path = FreshDir("npy_truncated") + "/cut.npy";
  for (size_t n = 0; n < whole.size(); ++n) {
    testing::WriteBytes(path, whole.substr(0, n));
    absl::StatusOr<Tensor> t = ReadNpy(path);
    ASSERT_FALSE(t.ok()) << "accepted a file cut at " << n;
    EXPECT_TRUE(Mentions(t.status(), path)) << t.status();
    EXPECT_TRUE(Mentions(t.status(), "truncated")) << n << ": " << t.status();
  }
}

TEST(NpyTest, GarbageIsAClearError) {
  const std::string good = SerializeNpy(Tensor::Zeros({2, 3}));
  const auto error = [](const std::string& bytes) {
    absl::StatusOr<Tensor> t = ParseNpy(bytes, "garbage.npy");
    EXPECT_FALSE(t.ok());
    EXPECT_TRUE(!t.ok() && Mentions(t.status(), "garbage.npy"));
    return t.ok() ? std::string() : std::string(t.status().message());
  };
  EXPECT_NE(error("PK\x03\x04 this is a zip").find("not a .npy file"), std::string::npos);
  EXPECT_NE(error(good + "x").find("trailing bytes"), std::string::npos);
  std::string bad_version = good;
  bad_version[6] = 4;
  EXPECT_NE(error(bad_version).find("version 4.0"), std::string::npos);
  const auto with_header = [&](const std::string& dict) {
    std::string h = dict;
    h.append(117 - h.size(), ' ');
    h.push_back('\n');
    return std::string("\x93NUMPY\x01\x00\x76\x00", 10) + h + std::string(24, '\0');
  };
  EXPECT_NE(error(with_header("{'descr': '<f4', 'fortran_order': False}")).find("lacks"), std::string::npos);
  EXPECT_NE(error(with_header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}")).find("fortran_order"),
            std::string::npos);
  EXPECT_NE(error(with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}"))
                .find("structured"),
            std::string::npos);
  EXPECT_NE(
      error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }")).find("truncated"),
      std::string::npos);
  EXPECT_NE(error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }"))
                .find("bad .npy header"),
            std::string::npos);
  EXPECT_NE(
      error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}"))
          .find("too large"),
      std::string::npos);
  EXPECT_NE(
      error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}")).find("'x'"),
      std::string::npos);
  // Python 2 longs and a missing trailing comma are fine.
  absl::StatusOr<Tensor> p2 =
      ParseNpy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}"), "p2");
  EXPECT_TRUE(p2.ok()) << p2.status();
}

TEST(NpyTest, MissingFileNamesThePath) {
  const std::string path = TempDir() + "/does_not_exist.npy";
  absl::StatusOr<Tensor> t = ReadNpy(path);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(absl::IsNotFound(t.status()));
  EXPECT_TRUE(Mentions(t.status(), path)) << t.status();
}

}  // namespace
}  // namespace nb360::io
