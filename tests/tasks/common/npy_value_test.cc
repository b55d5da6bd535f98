#include "tasks/common/npy_value.h"

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/atomic_file.h"
#include "engine/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

using ::testing::HasSubstr;
using Kind = PyValue::Kind;

std::string TestData(const std::string& name) { return "tests/tasks/common/testdata/" + name; }

PyRef Load(const std::string& name) {
  absl::StatusOr<PyRef> v = ReadNpyValue(TestData(name));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : nullptr;
}

std::string Error(std::string_view bytes, std::string_view name = "bad.npy") {
  absl::StatusOr<PyRef> v = ParseNpyValue(bytes, name);
  return v.ok() ? std::string("(ok)") : std::string(v.status().message());
}

std::string FileBytes(const std::string& name) {
  absl::StatusOr<std::string> b = io::ReadFile(TestData(name));
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : std::string();
}

TEST(NpyValueTest, SatelliteDictOfArrays) {
  PyRef sat = Load("sat_mini.npy");
  ASSERT_NE(sat, nullptr);
  ASSERT_EQ(sat->kind, Kind::kDict);  // the 0-d object array's item
  EXPECT_EQ(sat->StringKeys(), (std::vector<std::string>{"data", "label"}));
  PyRef data = sat->Get("data");
  EXPECT_EQ(data->shape, (Shape{4, 46}));
  std::vector<double> x = data->tensor.ToVector<double>();
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], static_cast<double>(i) / 8.0);
  EXPECT_EQ(sat->Get("label")->tensor.ToVector<int64_t>(), (std::vector<int64_t>{1, 24, 7, 3}));
}

TEST(NpyValueTest, PsicovDistanceTriple) {
  PyRef t = Load("psicov_dist.npy");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->kind, Kind::kNdArray);
  ASSERT_EQ(t->array_kind, PyValue::ArrayKind::kObject);
  ASSERT_EQ(t->items.size(), 3u);
  EXPECT_EQ(t->items[0]->integer, 4);
  EXPECT_EQ(t->items[1]->str, "MKVL");
  PyRef map = t->items[2];
  EXPECT_EQ(map->shape, (Shape{4, 4}));
  std::vector<double> m = map->tensor.ToVector<double>();
  for (size_t i = 0; i < m.size(); ++i) ASSERT_EQ(m[i], 0.5 * i);
}

TEST(NpyValueTest, ObjectArrayOfRecords) {
  PyRef r = Load("obj_records.npy");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(r->items[0]->tensor.ToVector<int32_t>(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(r->items[1]->tensor.ToVector<int32_t>(), (std::vector<int32_t>{-4}));
}

TEST(NpyValueTest, StringsAndConvertedDTypes) {
  EXPECT_EQ(Load("str_u.npy")->strings, (std::vector<std::string>{"N", "AF", "~"}));
  EXPECT_EQ(Load("str_s.npy")->strings, (std::vector<std::string>{"x", "yz"}));
  PyRef i2 = Load("i2.npy");
  EXPECT_EQ(i2->descr, "<i2");
  EXPECT_EQ(i2->tensor.dtype(), DType::kInt32);
  EXPECT_EQ(i2->tensor.ToVector<int32_t>(), (std::vector<int32_t>{-3, 32767, -32768, 0}));
  EXPECT_EQ(Load("f2.npy")->tensor.ToVector<float>(), (std::vector<float>{0.5f, -1.0f, 2048.0f}));
  EXPECT_EQ(Load("u2.npy")->tensor.ToVector<int32_t>(), (std::vector<int32_t>{65535, 2}));
  EXPECT_EQ(Load("be_f8.npy")->tensor.ToVector<double>(), (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(Load("i2_fortran.npy")->tensor.ToVector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(NpyValueTest, PlainFilesUseTheEngineReader) {
  PyRef f = Load("f4_fortran.npy");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->descr, "<f4");
  EXPECT_EQ(f->shape, (Shape{2, 3}));
  EXPECT_EQ(f->tensor.ToVector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  PyRef s = Load("scalar_f8.npy");
  EXPECT_EQ(s->shape, Shape{});
  EXPECT_EQ(s->tensor.item(), 6.5);
  // A file written by the engine reads back too.
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/w.npy";
  ASSERT_TRUE(io::WriteNpy(path, Tensor::FromVector<int64_t>({4, 5}, {2})).ok());
  absl::StatusOr<PyRef> w = ReadNpyValue(path);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->tensor.ToVector<int64_t>(), (std::vector<int64_t>{4, 5}));
}

TEST(NpyValueTest, Errors) {
  EXPECT_EQ(Error("PK\x03\x04 not npy", "a.npy"), "a.npy: not a .npy file (wrong magic, wanted \\x93NUMPY)");
  EXPECT_THAT(Error("\x93NUM", "s.npy"), HasSubstr("s.npy: not a .npy file (too short)"));
  std::string c16 = FileBytes("c16.npy");
  EXPECT_THAT(Error(c16, "c.npy"), HasSubstr("c.npy: unsupported NumPy dtype <c16"));
  const std::string sat = FileBytes("sat_mini.npy");
  for (size_t cut : {8, 20, 100, 129, 200, 1000, 1900}) {
    std::string e = Error(sat.substr(0, cut), "cut.npy");
    EXPECT_EQ(e.rfind("cut.npy", 0), 0u) << cut << ": " << e;
  }
  EXPECT_THAT(Error(sat.substr(0, 1000), "cut.npy"), HasSubstr("cut.npy (pickled object array): truncated at byte"));
  EXPECT_THAT(Error(sat.substr(0, 100), "cut.npy"), HasSubstr("cut.npy: truncated .npy header"));
  std::string bad_header = sat;
  bad_header.replace(bad_header.find("'descr'"), 7, "'dexcr'");
  EXPECT_THAT(Error(bad_header, "h.npy"), HasSubstr("h.npy: bad .npy header: unexpected key 'dexcr'"));
  std::string i2 = FileBytes("i2.npy");
  EXPECT_THAT(Error(i2.substr(0, i2.size() - 1), "i2.npy"),
              HasSubstr("i2.npy: array data of 7 bytes does not match <i2 [2, 2]"));
  absl::StatusOr<PyRef> missing = ReadNpyValue("/nonexistent/y.npy");
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/y.npy"));
}

}  // namespace
}  // namespace nb360::tasks
