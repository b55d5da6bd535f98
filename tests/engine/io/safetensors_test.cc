#include "engine/io/safetensors.h"

#include <string>

#include "engine/io/byte_io.h"
#include "gtest/gtest.h"
#include "tests/engine/io/io_test_util.h"

namespace nb360::io {
namespace {

using testing::FreshDir;
using testing::Golden;
using testing::GoldenArrays;
using testing::SameTensor;
using testing::TempDir;
using testing::TestDataPath;

bool Mentions(const absl::Status& s, const std::string& what) {
  return s.message().find(what) != absl::string_view::npos;
}

// The tensors and metadata of testdata/golden.safetensors (see make_golden.py).
NamedTensors GoldenSafetensorsTensors() {
  return {
      {"b.bias", Golden("f4").Select(0, 0)},  {"a.weight", Golden("f8").Narrow(0, 0, 4).Reshape({2, 2})},
      {"c.idx", Golden("i8").Select(0, 0)},   {"d.i32", Golden("i4")},
      {"e.u8", Golden("u1").Narrow(0, 0, 4)}, {"f.mask", Golden("b1").Select(0, 0)},
  };
}
const std::map<std::string, std::string> kGoldenMetadata = {
    {"format", "pt"}, {"step", "42"}, {"note", "quote \" backslash \\ newline \n tab \t \xC3\xA9"}};

// A safetensors file from a header string and a data buffer.
std::string Make(const std::string& header, const std::string& data) {
  std::string out;
  PutLE<uint64_t>(&out, header.size());
  return out + header + data;
}

TEST(SafetensorsTest, ReadsGoldenFileWrittenFromTheSpec) {
  absl::StatusOr<SafetensorsContents> c = ReadSafetensors(TestDataPath("golden.safetensors"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metadata, kGoldenMetadata);
  NamedTensors want = GoldenSafetensorsTensors();
  std::sort(want.begin(), want.end(), [](auto& a, auto& b) { return a.first < b.first; });
  ASSERT_EQ(c->tensors.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(c->tensors[i].first, want[i].first);
    EXPECT_TRUE(SameTensor(c->tensors[i].second, want[i].second)) << want[i].first;
  }
}

TEST(SafetensorsTest, WritesExactlyTheSpecLayout) {
  absl::StatusOr<std::string> bytes = SerializeSafetensors(GoldenSafetensorsTensors(), kGoldenMetadata);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, testing::ReadBytes(TestDataPath("golden.safetensors")));
}

TEST(SafetensorsTest, HeaderIsSortedAlignedJson) {
  absl::StatusOr<std::string> bytes =
      SerializeSafetensors({{"z", Tensor::Ones({2}, DType::kBool)}, {"a", Tensor::Zeros({1, 3})}});
  ASSERT_TRUE(bytes.ok());
  const uint64_t n = GetLE<uint64_t>(bytes->data());
  EXPECT_EQ((8 + n) % 8, 0u);
  std::string header = bytes->substr(8, n);
  while (!header.empty() && header.back() == ' ') header.pop_back();
  EXPECT_EQ(header, R"({"a":{"dtype":"F32","shape":[1,3],"data_offsets":[0,12]},)"
                    R"("z":{"dtype":"BOOL","shape":[2],"data_offsets":[12,14]}})");
  EXPECT_EQ(bytes->size(), 8 + n + 12 + 2);
}

TEST(SafetensorsTest, RoundTripsAllDTypesViewsScalarsAndEmpties) {
  NamedTensors tensors = GoldenArrays();
  const std::string path = TempDir() + "/interop.safetensors";  // make_golden.py --verify reads it
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"framework", "nb360"}, {"step", "7"}}).ok());
  absl::StatusOr<SafetensorsContents> c = ReadSafetensors(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metadata.at("framework"), "nb360");
  for (const auto& [name, t] : tensors) {
    bool found = false;
    for (const auto& [n, g] : c->tensors) {
      if (n == name) {
        found = true;
        EXPECT_TRUE(SameTensor(g, t)) << name;
      }
    }
    EXPECT_TRUE(found) << name;
  }
  const Tensor base = Tensor::Arange(60, DType::kInt64).Reshape({3, 4, 5});
  const NamedTensors odd = {
      {"permuted", base.Permute({2, 0, 1})},
      {"narrowed", base.Narrow(1, 1, 2).To(DType::kFloat64)},
      {"expanded", Tensor::Full({1, 3}, 2.0).Expand({2, 3})},
      {"scalar", Tensor::Scalar(3.5)},
      {"empty", Tensor::Empty({0, 4}, DType::kInt32)},
      {"empty2", Tensor::Empty({2, 0}, DType::kUInt8)},
  };
  absl::StatusOr<std::string> bytes = SerializeSafetensors(odd);
  ASSERT_TRUE(bytes.ok());
  c = ParseSafetensors(*bytes, "odd");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->metadata.empty());
  ASSERT_EQ(c->tensors.size(), odd.size());
  for (const auto& [name, t] : odd) {
    for (const auto& [n, g] : c->tensors) {
      if (n == name) {
        EXPECT_TRUE(SameTensor(g, t.Contiguous())) << name;
      }
    }
  }
}

TEST(SafetensorsTest, RejectsBadNamesOnWrite) {
  const std::string path = TempDir() + "/bad.safetensors";
  absl::Status s = WriteSafetensors(path, {{"__metadata__", Tensor::Ones({1})}});
  EXPECT_TRUE(absl::IsInvalidArgument(s) && Mentions(s, path)) << s;
  EXPECT_FALSE(WriteSafetensors(path, {{"a", Tensor::Ones({1})}, {"a", Tensor::Ones({1})}}).ok());
  EXPECT_FALSE(WriteSafetensors(path, {{"", Tensor::Ones({1})}}).ok());
}

TEST(SafetensorsTest, EveryTruncationIsAClearErrorNamingTheFile) {
  const std::string whole = testing::ReadBytes(TestDataPath("golden.safetensors"));
  const std::string path = FreshDir("st_truncated") + "/cut.safetensors";
  for (size_t n = 0; n < whole.size(); ++n) {
    testing::WriteBytes(path, whole.substr(0, n));
    absl::StatusOr<SafetensorsContents> c = ReadSafetensors(path);
    ASSERT_FALSE(c.ok()) << "accepted a file cut at " << n;
    ASSERT_TRUE(Mentions(c.status(), path)) << c.status();
    ASSERT_TRUE(Mentions(c.status(), "truncated")) << n << ": " << c.status();
    ASSERT_FALSE(CheckSafetensorsFile(path).ok()) << n;
  }
  testing::WriteBytes(path, whole);
  EXPECT_TRUE(CheckSafetensorsFile(path).ok());
}

TEST(SafetensorsTest, CorruptHeadersAreClearErrors) {
  const std::string data(8, '\0');
  const auto error = [](const std::string& bytes) {
    absl::StatusOr<SafetensorsContents> c = ParseSafetensors(bytes, "bad.safetensors");
    EXPECT_FALSE(c.ok());
    if (c.ok()) return std::string();
    EXPECT_TRUE(Mentions(c.status(), "bad.safetensors")) << c.status();
    return std::string(c.status().message());
  };
  const auto has = [](const std::string& msg, const std::string& what) {
    return msg.find(what) != std::string::npos ? ::testing::AssertionSuccess()
                                               : ::testing::AssertionFailure() << msg;
  };
  EXPECT_TRUE(has(error(Make("[1,2]", data)), "not a JSON object"));
  EXPECT_TRUE(has(error(Make("{\"a\":", data)), "JSON parse error"));
  EXPECT_TRUE(has(error(Make(R"({"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})", data)),
                  "unsupported dtype 'BF16'"));
  EXPECT_TRUE(
      has(error(Make(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data)), "needs 12 bytes"));
  EXPECT_TRUE(
      has(error(Make(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data)), "non-negative"));
  EXPECT_TRUE(
      has(error(Make(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data)), "data_offsets"));
  EXPECT_TRUE(
      has(error(Make(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data)), "gap or overlap"));
  EXPECT_TRUE(has(error(Make(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             data)),
                  "gap or overlap"));
  EXPECT_TRUE(has(error(Make(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", data)),
                  "header describes 4 bytes"));
  EXPECT_TRUE(
      has(error(Make(R"({"a":{"dtype":"F32","shape":[2]}})", data)), "wants dtype, shape and data_offsets"));
  EXPECT_TRUE(has(error(Make(R"({"__metadata__":{"k":1}})", "")), "is not a string"));
  EXPECT_TRUE(
      has(error(Make(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", data)),
          "too large"));
  std::string huge;
  PutLE<uint64_t>(&huge, uint64_t{1} << 60);
  EXPECT_TRUE(has(error(huge + "{}"), "exceeds 100 MB"));
  // A header without tensors is a valid empty file.
  absl::StatusOr<SafetensorsContents> empty = ParseSafetensors(Make("{}      ", ""), "empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->tensors.empty());
}

TEST(SafetensorsTest, CorruptBytesGiveErrorsNotCrashes) {
  const std::string whole = testing::ReadBytes(TestDataPath("golden.safetensors"));
  const uint64_t n = GetLE<uint64_t>(whole.data());
  for (size_t i = 0; i < 8 + n; ++i) {
    std::string bad = whole;
    bad[i] = static_cast<char>(bad[i] ^ 0x21);
    absl::StatusOr<SafetensorsContents> c = ParseSafetensors(bad, "flipped");  // must not throw
    if (!c.ok()) {
      EXPECT_TRUE(Mentions(c.status(), "flipped")) << c.status();
    }
  }
}

}  // namespace
}  // namespace nb360::io
