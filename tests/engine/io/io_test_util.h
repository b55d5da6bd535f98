// tests/engine/io/io_test_util.h: shared helpers for the IO tests.
//
// GoldenArrays() spells out the values that make_golden.py stores in testdata/ (keep them in sync).
// Tests write only under TEST_TMPDIR.
#ifndef NB360_TESTS_ENGINE_IO_IO_TEST_UTIL_H_
#define NB360_TESTS_ENGINE_IO_IO_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/io/tensor_bytes.h"
#include "engine/tensor.h"
#include "gtest/gtest.h"

namespace nb360::io::testing {

inline std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? std::string(dir) : ::testing::TempDir();
}

// A fresh, empty directory under TEST_TMPDIR.
inline std::string FreshDir(const std::string& name) {
  const std::string dir = TempDir() + "/" + name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  EXPECT_FALSE(ec) << "cannot create " << dir << ": " << ec.message();
  return dir;
}

inline std::string TestDataPath(const std::string& name) { return "tests/engine/io/testdata/" + name; }

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// The arrays of make_golden.py's golden_arrays(), in the same order.
inline NamedTensors GoldenArrays() {
  return {
      {"f4", Tensor::FromVector<float>({0.0f, 1.5f, -2.25f, 1e-30f, 3.4028235e38f, -0.0f}, {2, 3})},
      {"f8",
       Tensor::FromVector<double>({0.1, -1e300, 5e-324, M_PI, std::numeric_limits<double>::infinity()}, {5})},
      {"i8", Tensor::FromVector<int64_t>({std::numeric_limits<int64_t>::min(),
                                          std::numeric_limits<int64_t>::max(), 0, -1, 123456789012345, 7},
                                         {3, 2})},
      {"i4", Tensor::FromVector<int32_t>({-3, -2, -1, 0, 1, 2}, {2, 3})},
      {"u1", Tensor::FromVector<uint8_t>({0, 1, 127, 128, 255}, {5})},
      {"b1", Tensor::FromVector<bool>({true, false, false, true}, {2, 2})},
  };
}

inline Tensor Golden(const std::string& name) {
  for (auto& [n, t] : GoldenArrays()) {
    if (n == name) return t;
  }
  ADD_FAILURE() << "no golden array " << name;
  return Tensor();
}

// Same dtype, same shape, bit-identical elements (so -0.0 != 0.0 and NaN payloads count).
inline ::testing::AssertionResult SameTensor(const Tensor& got, const Tensor& want) {
  if (!got.defined() || !want.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
    return ::testing::AssertionFailure() << "got " << got.Describe() << ", want " << want.Describe();
  }
  const Tensor g = HostContiguous(got), w = HostContiguous(want);
  if (TensorBytes(g) != TensorBytes(w)) {
    return ::testing::AssertionFailure()
           << "values differ: got " << got.ToString() << ", want " << want.ToString();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace nb360::io::testing

#endif  // NB360_TESTS_ENGINE_IO_IO_TEST_UTIL_H_
