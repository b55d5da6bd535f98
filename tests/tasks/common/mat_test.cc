// Tests for tasks/common/mat: scipy-written MAT v5 files (plain, compressed), a big-endian v5 file, an
// h5py-written v7.3-style file (testdata/mat/make_mat_testdata.py), a large chunked v7.3 file written
// with the HDF5 C API, WriteMatV5 round trips, the slab transpose, and damaged files.
#include "tasks/common/mat.h"

#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "engine/io/atomic_file.h"
#include "gtest/gtest.h"
#include "tasks/common/mat_internal.h"

namespace nb360::tasks {
namespace {

std::string TestData(const std::string& name) { return "tests/tasks/common/testdata/mat/" + name; }
std::string TmpPath(const std::string& name) { return std::string(std::getenv("TEST_TMPDIR")) + "/" + name; }

std::string Bytes(const std::string& name) {
  absl::StatusOr<std::string> b = io::ReadFile(TestData(name));
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : std::string();
}

// Checks dtype, shape and every element against f(k), k = row-major flat index.
template <class T>
void ExpectVar(const std::map<std::string, Tensor>& vars, const std::string& name, const Shape& shape,
               const std::function<double(int64_t)>& f, double tol = 0) {
  SCOPED_TRACE(name);
  auto it = vars.find(name);
  ASSERT_NE(it, vars.end());
  const Tensor& t = it->second;
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(t.shape(), shape);
  for (int64_t k = 0; k < t.numel(); ++k) {
    if (tol == 0) {
      ASSERT_EQ(static_cast<double>(t.data<T>()[k]), f(k)) << "k=" << k;
    } else {
      ASSERT_NEAR(static_cast<double>(t.data<T>()[k]), f(k), tol) << "k=" << k;
    }
  }
}

// The variables of make_mat_testdata.py's numeric_vars() present in both v5 and v7.3 files.
void ExpectCommonVars(const std::map<std::string, Tensor>& v) {
  ExpectVar<double>(v, "d2", {3, 4}, [](int64_t k) { return k * 1.5 - 2.0; });
  ExpectVar<float>(v, "s3", {2, 3, 4}, [](int64_t k) { return static_cast<float>(k / 7.0); });
  ExpectVar<double>(v, "d4", {2, 3, 2, 2}, [](int64_t k) { return std::sin(static_cast<double>(k)); }, 1e-15);
  ExpectVar<uint8_t>(v, "u8", {2, 5}, [](int64_t k) { return (k * 25) % 256; });
  ExpectVar<int32_t>(v, "i16", {2, 2}, [](int64_t k) { return -1000.0 * k; });
  ExpectVar<int64_t>(v, "u64", {1, 2}, [](int64_t k) { return static_cast<double>(k + (int64_t{1} << 62)); });
  ExpectVar<bool>(v, "flag", {2, 3}, [](int64_t k) { return k % 3 == 0 ? 1.0 : 0.0; });
  ExpectVar<double>(v, "row", {1, 5}, [](int64_t k) { return k + 0.25; });
  ExpectVar<double>(v, "empty", {0, 3}, [](int64_t) { return 0.0; });
  EXPECT_EQ(v.count("text"), 0u);
  EXPECT_EQ(v.count("st"), 0u);
}

void ExpectV5Vars(const std::map<std::string, Tensor>& v) {
  ExpectCommonVars(v);
  ExpectVar<int32_t>(v, "i8", {2, 3}, [](int64_t k) { return k - 3.0; });
  ExpectVar<int32_t>(v, "u16", {1, 3}, [](int64_t k) { return 30000.0 * k; });
  ExpectVar<int32_t>(v, "i32", {4, 1}, [](int64_t k) { return 100000.0 * k - 7; });
  ExpectVar<int64_t>(v, "u32", {1, 2}, [](int64_t k) { return k + 4000000000.0; });
  ExpectVar<int64_t>(v, "i64", {1, 3}, [](int64_t k) { return static_cast<double>(k * (int64_t{1} << 40) - 5); });
  ExpectVar<double>(v, "scalar", {1, 1}, [](int64_t) { return 3.5; });
  ExpectVar<double>(v, "longer_variable_name_x", {2, 2}, [](int64_t k) { return static_cast<double>(k); });
  EXPECT_EQ(v.size(), 16u);
  EXPECT_EQ(v.count("cellv"), 0u);
  EXPECT_EQ(v.count("sp"), 0u);
}

class MatV5FileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MatV5FileTest, ReadsEveryNumericVariableLikeScipy) {
  absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(TestData(GetParam()));
  ASSERT_TRUE(vars.ok()) << vars.status();
  ExpectV5Vars(*vars);
}

TEST_P(MatV5FileTest, ParseMatMatchesReadMat) {
  absl::StatusOr<std::map<std::string, Tensor>> vars = ParseMat(Bytes(GetParam()), GetParam());
  ASSERT_TRUE(vars.ok()) << vars.status();
  ExpectV5Vars(*vars);
}

TEST_P(MatV5FileTest, OnlyReadsTheNamedVariables) {
  absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(TestData(GetParam()), {"s3", "u8"});
  ASSERT_TRUE(vars.ok()) << vars.status();
  EXPECT_EQ(vars->size(), 2u);
  ExpectVar<float>(*vars, "s3", {2, 3, 4}, [](int64_t k) { return static_cast<float>(k / 7.0); });
}

TEST_P(MatV5FileTest, NamedVariableMissingOrNotNumericIsAnError) {
  absl::StatusOr<std::map<std::string, Tensor>> missing = ReadMat(TestData(GetParam()), {"d2", "nope"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(GetParam()), absl::string_view::npos) << missing.status();
  EXPECT_NE(missing.status().message().find("'nope'"), absl::string_view::npos) << missing.status();
  absl::StatusOr<std::map<std::string, Tensor>> text = ReadMat(TestData(GetParam()), {"text"});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("char array"), absl::string_view::npos) << text.status();
  absl::StatusOr<std::map<std::string, Tensor>> cell = ReadMat(TestData(GetParam()), {"cellv"});
  ASSERT_FALSE(cell.ok());
  EXPECT_NE(cell.status().message().find("cell array"), absl::string_view::npos) << cell.status();
  absl::StatusOr<std::map<std::string, Tensor>> sparse = ReadMat(TestData(GetParam()), {"sp"});
  ASSERT_FALSE(sparse.ok());
  EXPECT_NE(sparse.status().message().find("'sp' is a sparse array"), absl::string_view::npos) << sparse.status();
}

INSTANTIATE_TEST_SUITE_P(Files, MatV5FileTest, ::testing::Values("v5_plain.mat", "v5_compressed.mat"));

TEST(MatV5Test, BigEndianFile) {
  absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(TestData("v5_bigendian.mat"));
  ASSERT_TRUE(vars.ok()) << vars.status();
  ExpectVar<double>(*vars, "a", {2, 3}, [](int64_t k) { return k * 0.5 + 1.0; });
  ExpectVar<int32_t>(*vars, "b", {3, 2}, [](int64_t k) { return k - 2.0; });
}

TEST(MatV5Test, ComplexIsAnErrorNamingTheVariable) {
  absl::StatusOr<std::map<std::string, Tensor>> all = ReadMat(TestData("v5_complex.mat"));
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(all.status().message().find("'cplx': complex"), absl::string_view::npos) << all.status();
  absl::StatusOr<std::map<std::string, Tensor>> re = ReadMat(TestData("v5_complex.mat"), {"re"});
  ASSERT_TRUE(re.ok()) << re.status();
  ExpectVar<double>(*re, "re", {2, 2}, [](int64_t) { return 1.0; });
}

TEST(MatV73Test, ReadsTransposedDatasetsBackInMatlabOrder) {
  absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(TestData("v73.mat"));
  ASSERT_TRUE(vars.ok()) << vars.status();
  ExpectCommonVars(*vars);
  EXPECT_EQ(vars->size(), 9u);
}

TEST(MatV73Test, InMemoryImageAndOnly) {
  absl::StatusOr<std::map<std::string, Tensor>> vars = ParseMat(Bytes("v73.mat"), "v73.mat", {"d4", "flag"});
  ASSERT_TRUE(vars.ok()) << vars.status();
  EXPECT_EQ(vars->size(), 2u);
  ExpectVar<double>(*vars, "d4", {2, 3, 2, 2}, [](int64_t k) { return std::sin(static_cast<double>(k)); }, 1e-15);
  absl::StatusOr<std::map<std::string, Tensor>> st = ReadMat(TestData("v73.mat"), {"st"});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("'st'"), absl::string_view::npos) << st.status();
  EXPECT_NE(st.status().message().find("struct"), absl::string_view::npos) << st.status();
  absl::StatusOr<std::map<std::string, Tensor>> missing = ReadMat(TestData("v73.mat"), {"nope"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(MatV73Test, DamagedHdf5IsAnErrorNotACrash) {
  std::string bytes = Bytes("v73.mat");
  const std::string cut = bytes.substr(0, bytes.size() / 2);
  absl::StatusOr<std::map<std::string, Tensor>> r = ParseMat(cut, "half.mat");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().substr(0, 9), "half.mat:") << r.status();
}

// A v7.3-style file written with the HDF5 C API: 512-byte userblock with the MATLAB header, a chunked,
// deflated double dataset stored column-major (HDF5 dims reversed), large enough for several blocks.
void WriteV73(const std::string& path, const Shape& matlab_dims, const std::vector<double>& colmajor) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_userblock(fcpl, 512);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  std::vector<hsize_t> h5dims(matlab_dims.rbegin(), matlab_dims.rend());
  hid_t space = H5Screate_simple(static_cast<int>(h5dims.size()), h5dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  std::vector<hsize_t> chunk = h5dims;
  chunk[0] = 7;  // chunks that do not line up with the reader's blocks
  H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
  H5Pset_deflate(dcpl, 1);
  hid_t ds = H5Dcreate2(file, "coeff", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, colmajor.data());
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 6);
  hid_t scalar = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(ds, "MATLAB_class", str, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attr, str, "double");
  H5Aclose(attr);
  H5Sclose(scalar);
  H5Tclose(str);
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(file);
  H5Pclose(fcpl);
  std::string header = "MATLAB 7.3 MAT-file, written by mat_test";
  header.resize(116, ' ');
  header.append(8, '\0');
  header += std::string("\x00\x02IM", 4);
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fwrite(header.data(), 1, header.size(), f);
  std::fclose(f);
}

TEST(MatV73Test, ManyBlocksThroughChunkedHyperslabs) {
  const Shape dims{96, 300, 150};  // 33 MiB of doubles: two blocks of slabs
  std::vector<double> colmajor(96 * 300 * 150);
  for (size_t k = 0; k < colmajor.size(); ++k) colmajor[k] = static_cast<double>(k) * 0.25;
  const std::string path = TmpPath("big73.mat");
  WriteV73(path, dims, colmajor);
  absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(path, {"coeff"});
  ASSERT_TRUE(vars.ok()) << vars.status();
  const Tensor& t = vars->at("coeff");
  ASSERT_EQ(t.shape(), dims);
  const double* p = t.data<double>();
  for (int64_t i = 0; i < 96; i += 5) {
    for (int64_t j = 0; j < 300; j += 7) {
      for (int64_t l = 0; l < 150; ++l) {
        ASSERT_EQ(p[(i * 300 + j) * 150 + l], colmajor[i + 96 * (j + 300 * l)]) << i << "," << j << "," << l;
      }
    }
  }
}

// ---- Writer.

std::map<std::string, Tensor> SampleVars() {
  std::map<std::string, Tensor> v;
  v["f64"] = Tensor::FromVector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  v["f32_3d"] = Tensor::FromVector<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                                           20, 21, 22, 23},
                                          {2, 3, 4});
  v["i64"] = Tensor::FromVector<int64_t>({-(int64_t{1} << 50), 7, 9}, {3});
  v["i32"] = Tensor::FromVector<int32_t>({-5, 6, 7, 8}, {4, 1, 1});
  v["u8"] = Tensor::FromVector<uint8_t>({0, 255, 17}, {1, 3});
  v["mask"] = Tensor::FromVector<bool>({true, false, false, true}, {2, 2});
  v["zero_d"] = Tensor::Scalar(2.5, DType::kFloat64);
  v["none"] = Tensor::Zeros({0, 4}, DType::kFloat32);
  v["four_d"] = Tensor::Arange(2 * 3 * 1 * 5, DType::kFloat64).Reshape({2, 3, 1, 5});
  return v;
}

void ExpectSameValues(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.numel(), b.numel());
  EXPECT_EQ(a.ToVector<double>(), b.ToVector<double>());
}

class MatWriteTest : public ::testing::TestWithParam<bool> {};

TEST_P(MatWriteTest, RoundTripsThroughReadMat) {
  const std::string path = TmpPath(GetParam() ? "rt_z.mat" : "rt.mat");
  const std::map<std::string, Tensor> vars = SampleVars();
  ASSERT_TRUE(WriteMatV5(path, vars, GetParam()).ok());
  absl::StatusOr<std::map<std::string, Tensor>> back = ReadMat(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), vars.size());
  for (const auto& [name, t] : vars) {
    SCOPED_TRACE(name);
    const Tensor& r = back->at(name);
    if (t.dim() == 0) {
      EXPECT_EQ(r.shape(), (Shape{1, 1}));
    } else if (t.dim() == 1) {
      EXPECT_EQ(r.shape(), (Shape{1, t.size(0)}));
    } else {
      EXPECT_EQ(r.shape(), t.shape());
    }
    ExpectSameValues(t, r);
  }
}

TEST_P(MatWriteTest, SameInputSameBytes) {
  const std::string a = TmpPath("same_a.mat"), b = TmpPath("same_b.mat");
  ASSERT_TRUE(WriteMatV5(a, SampleVars(), GetParam()).ok());
  ASSERT_TRUE(WriteMatV5(b, SampleVars(), GetParam()).ok());
  EXPECT_EQ(*io::ReadFile(a), *io::ReadFile(b));
}

TEST_P(MatWriteTest, ManyBlocksRoundTrip) {
  // 48 MiB of float32: more than one 32 MiB block of slabs on both the write and the read side.
  const Shape shape{40, 300, 1024};
  Tensor t = Tensor::Empty(shape, DType::kFloat32);
  float* p = t.data<float>();
  for (int64_t k = 0; k < t.numel(); ++k) p[k] = static_cast<float>(k % 1000003) * 0.5f;
  const std::string path = TmpPath("big.mat");
  ASSERT_TRUE(WriteMatV5(path, {{"big", t}, {"tail", Tensor::Scalar(1.0, DType::kFloat64)}}, GetParam(), 1).ok());
  absl::StatusOr<std::map<std::string, Tensor>> back = ReadMat(path, {"big"});
  ASSERT_TRUE(back.ok()) << back.status();
  const Tensor& r = back->at("big");
  ASSERT_EQ(r.shape(), shape);
  EXPECT_EQ(std::memcmp(r.data<float>(), p, t.numel() * sizeof(float)), 0);
}

INSTANTIATE_TEST_SUITE_P(Compression, MatWriteTest, ::testing::Bool());

TEST(MatWriteErrorsTest, BadNamesAndTensors) {
  const std::string path = TmpPath("bad.mat");
  absl::Status s = WriteMatV5(path, {{"1abc", Tensor::Zeros({1})}}, false);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("MATLAB identifier"), absl::string_view::npos) << s;
  s = WriteMatV5(path, {{"a-b", Tensor::Zeros({1})}}, false);
  EXPECT_FALSE(s.ok());
  s = WriteMatV5(path, {{std::string(64, 'a'), Tensor::Zeros({1})}}, false);
  EXPECT_FALSE(s.ok());
  s = WriteMatV5(path, {{"undefined", Tensor()}}, false);
  EXPECT_FALSE(s.ok());
  s = WriteMatV5("/nonexistent_dir_nb360/x.mat", {{"a", Tensor::Zeros({1})}}, false);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent_dir_nb360/x.mat"), absl::string_view::npos) << s;
}

// ---- The slab transpose.

TEST(SlabLayoutTest, ScatterAndGatherInPartialBlocks) {
  const Shape dims{3, 4, 5};
  const mat_internal::SlabLayout layout(dims);
  ASSERT_EQ(layout.slab(), 12);
  ASSERT_EQ(layout.slabs(), 5);
  // Column-major data: element (i, j, l) has value i + 3 j + 12 l.
  std::vector<double> colmajor(60);
  for (int k = 0; k < 60; ++k) colmajor[k] = k;
  std::vector<double> rowmajor(60, -1);
  for (int l0 = 0; l0 < 5; l0 += 2) {
    const int count = std::min(2, 5 - l0);
    layout.Scatter(colmajor.data() + l0 * 12, l0, count, sizeof(double), rowmajor.data());
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 5; ++l) EXPECT_EQ(rowmajor[(i * 4 + j) * 5 + l], i + 3 * j + 12 * l);
    }
  }
  std::vector<double> again(60, -1);
  layout.Gather(rowmajor.data(), 1, 3, sizeof(double), again.data() + 12);
  for (int k = 12; k < 48; ++k) EXPECT_EQ(again[k], k);
}

// ---- Damaged files.

void ExpectErrorMentioning(const std::string& bytes, const std::string& name, const std::string& needle) {
  absl::StatusOr<std::map<std::string, Tensor>> r = ParseMat(bytes, name);
  ASSERT_FALSE(r.ok()) << "expected an error mentioning " << needle;
  EXPECT_EQ(r.status().message().substr(0, name.size() + 1), name + ":") << r.status();
  EXPECT_NE(r.status().message().find(needle), absl::string_view::npos) << r.status();
}

uint32_t Le32(const std::string& b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8 | static_cast<uint8_t>(b[at + 2]) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}
void SetLe32(std::string* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<char>(v >> (8 * i));
}

TEST(MatDamagedTest, EveryTruncationIsAnErrorOrAShorterFile) {
  for (const char* file : {"v5_plain.mat", "v5_compressed.mat", "v5_bigendian.mat"}) {
    const std::string bytes = Bytes(file);
    for (size_t n = 0; n < bytes.size(); ++n) {
      absl::StatusOr<std::map<std::string, Tensor>> r = ParseMat(bytes.substr(0, n), "cut.mat");
      if (!r.ok()) {
        EXPECT_EQ(r.status().message().substr(0, 8), "cut.mat:") << r.status();
      }
    }
  }
}

TEST(MatDamagedTest, TruncatedElements) {
  const std::string plain = Bytes("v5_plain.mat");
  ExpectErrorMentioning(plain.substr(0, 100), "short.mat", "shorter than the 128-byte header");
  ExpectErrorMentioning(plain.substr(0, 132), "tag.mat", "truncated at byte 128");
  // The first element cut in the middle of its data.
  ExpectErrorMentioning(plain.substr(0, 128 + 8 + 40), "mid.mat", "declares");
  const std::string z = Bytes("v5_compressed.mat");
  const uint32_t first = Le32(z, 132);
  std::string cut = z.substr(0, 136 + first / 2);
  SetLe32(&cut, 132, first / 2);  // a consistent tag around half a zlib stream
  ExpectErrorMentioning(cut, "halfz.mat", "compressed stream truncated");
}

TEST(MatDamagedTest, BadTagSizes) {
  std::string plain = Bytes("v5_plain.mat");
  SetLe32(&plain, 132, 0x7FFFFFF0);
  ExpectErrorMentioning(plain, "big.mat", "element at byte 128");
  ExpectErrorMentioning(plain, "big.mat", "declares 2147483632 bytes");
  // Dimensions that do not match the data size: first variable's first dimension (after the
  // 8-byte miMATRIX tag, the 16-byte flags element and the 8-byte dims tag).
  std::string dims = Bytes("v5_plain.mat");
  SetLe32(&dims, 128 + 8 + 16 + 8, 1000);
  ExpectErrorMentioning(dims, "dims.mat", "but dimensions");
  std::string small = Bytes("v5_plain.mat");
  SetLe32(&small, 128 + 8 + 16 + 8, 0x7FFFFFFF);
  SetLe32(&small, 128 + 8 + 16 + 12, 0x7FFFFFFF);
  ExpectErrorMentioning(small, "huge.mat", "variable 'd2'");
}

TEST(MatDamagedTest, BadZlibStream) {
  const std::string good = Bytes("v5_compressed.mat");
  std::string header = good;
  header[136] = static_cast<char>(header[136] ^ 0xFF);
  ExpectErrorMentioning(header, "badz.mat", "zlib error");
  ExpectErrorMentioning(header, "badz.mat", "incorrect header check");
  std::string checksum = good;
  const uint32_t first = Le32(good, 132);
  for (size_t i = 136 + first - 4; i < 136 + first; ++i) checksum[i] = static_cast<char>(checksum[i] ^ 0xFF);
  ExpectErrorMentioning(checksum, "sum.mat", "incorrect data check");
  for (size_t at = 140; at + 8 < 136 + first; at += 7) {
    std::string middle = good;
    for (size_t i = at; i < at + 8; ++i) middle[i] = static_cast<char>(middle[i] ^ 0x5A);
    absl::StatusOr<std::map<std::string, Tensor>> r = ParseMat(middle, "mid.mat");
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().substr(0, 8), "mid.mat:") << r.status();
    }
  }
}

TEST(MatDamagedTest, NotAMatFile) {
  std::string junk(200, 'x');
  ExpectErrorMentioning(junk, "junk.mat", "endian indicator");
  std::string v4(200, '\0');
  ExpectErrorMentioning(v4, "v4.mat", "MAT v4");
  std::string future = Bytes("v5_plain.mat");
  future[124] = 0x00;
  future[125] = 0x03;
  ExpectErrorMentioning(future, "future.mat", "unsupported MAT version 0x0300");
}

TEST(MatDamagedTest, ReadMatNamesThePath) {
  const std::string path = TmpPath("truncated.mat");
  ASSERT_TRUE(io::WriteFileAtomically(path, Bytes("v5_compressed.mat").substr(0, 500)).ok());
  absl::StatusOr<std::map<std::string, Tensor>> r = ReadMat(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), absl::string_view::npos) << r.status();
  absl::StatusOr<std::map<std::string, Tensor>> missing = ReadMat(TmpPath("missing.mat"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.mat"), absl::string_view::npos) << missing.status();
}

}  // namespace
}  // namespace nb360::tasks
