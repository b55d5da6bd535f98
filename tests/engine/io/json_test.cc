#include "engine/io/json.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace nb360::io {
namespace {

JsonValue Parse(const std::string& text) {
  absl::StatusOr<JsonValue> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status();
  return v.ok() ? *v : JsonValue();
}

TEST(JsonTest, ParsesScalars) {
  EXPECT_TRUE(Parse("null").is_null());
  EXPECT_EQ(Parse(" true ").as_bool(), true);
  EXPECT_EQ(Parse("false").as_bool(), false);
  EXPECT_EQ(Parse("-42").as_int(), -42);
  EXPECT_EQ(Parse("9223372036854775807").as_int(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Parse("-9223372036854775808").as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(Parse("1.0").is_double());
  EXPECT_EQ(Parse("2.5e-3").as_double(), 2.5e-3);
  EXPECT_EQ(Parse("1E2").as_double(), 100.0);
  EXPECT_EQ(Parse("\"hi\"").as_string(), "hi");
}

TEST(JsonTest, IntegersTooBigForInt64BecomeDoubles) {
  JsonValue v = Parse("18446744073709551616");
  ASSERT_TRUE(v.is_double());
  EXPECT_EQ(v.as_double(), 18446744073709551616.0);
  EXPECT_EQ(Parse("1e-400").as_double(), 0.0);
}

TEST(JsonTest, ParsesNestedStructuresInOrder) {
  JsonValue v = Parse(R"({"b": [1, 2.5, "x", null, {"c": []}], "a": {}, "z": true})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.as_object()[0].first, "b");  // insertion order kept
  EXPECT_EQ(v.as_object()[1].first, "a");
  const JsonValue& b = *v.Find("b");
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b.as_array()[0].as_int(), 1);
  EXPECT_EQ(b.as_array()[1].as_double(), 2.5);
  EXPECT_TRUE(b.as_array()[4].Find("c")->is_array());
  EXPECT_EQ(v.Find("missing"), nullptr);
}

TEST(JsonTest, StringEscapes) {
  EXPECT_EQ(Parse(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(Parse(R"("\u00e9\u20AC")").as_string(), "\xC3\xA9\xE2\x82\xAC");  // é €
  EXPECT_EQ(Parse(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");      // 😀
  EXPECT_EQ(Parse("\"\xC3\xA9\"").as_string(), "\xC3\xA9");                   // raw UTF-8
  const std::string weird = "q\"b\\n\n\x01\x1f\xC3\xA9";
  EXPECT_EQ(JsonQuote(weird), "\"q\\\"b\\\\n\\n\\u0001\\u001f\xC3\xA9\"");
  EXPECT_EQ(Parse(JsonQuote(weird)).as_string(), weird);
}

TEST(JsonTest, DoublesRoundTripExactlyAndStayDoubles) {
  for (double d : {0.1, 1.0, -0.0, 1e300, 5e-324, 3.141592653589793, 123456789.0, 1e21, -2.5e-7}) {
    JsonValue back = Parse(JsonValue(d).Serialize());
    ASSERT_TRUE(back.is_double()) << d;
    EXPECT_EQ(back.as_double(), d);
    EXPECT_EQ(std::signbit(back.as_double()), std::signbit(d));
  }
  EXPECT_EQ(JsonValue(1.0).Serialize(), "1.0");
  EXPECT_EQ(JsonValue(0.1).Serialize(), "0.1");
  EXPECT_EQ(JsonValue(std::nan("")).Serialize(), "null");
  EXPECT_EQ(JsonValue(-std::numeric_limits<double>::infinity()).Serialize(), "null");
}

TEST(JsonTest, SerializesCompactAndIndented) {
  JsonValue v = JsonValue::MakeObject();
  v.Set("name", "run \"1\"");
  v.Set("epoch", 3);
  v.Set("ok", true);
  v.Set("loss", JsonValue::Array{0.5, 0.25});
  v.Set("none", nullptr);
  v.Set("empty", JsonValue::MakeArray());
  v.Set("epoch", 4);  // replaces in place
  EXPECT_EQ(v.Serialize(),
            R"({"name":"run \"1\"","epoch":4,"ok":true,"loss":[0.5,0.25],"none":null,"empty":[]})");
  EXPECT_EQ(v.Serialize(2),
            "{\n  \"name\": \"run \\\"1\\\"\",\n  \"epoch\": 4,\n  \"ok\": true,\n"
            "  \"loss\": [\n    0.5,\n    0.25\n  ],\n  \"none\": null,\n  \"empty\": []\n}");
  EXPECT_EQ(Parse(v.Serialize()), v);
  EXPECT_EQ(Parse(v.Serialize(2)), v);
}

TEST(JsonTest, IntAndDoubleAreDifferentValues) {
  EXPECT_NE(JsonValue(1), JsonValue(1.0));
  EXPECT_EQ(JsonValue(1).as_double(), 1.0);
  EXPECT_EQ(JsonValue(uint64_t{7}).as_int(), 7);
}

TEST(JsonTest, WrongTypeAccessThrows) {
  EXPECT_THROW(JsonValue(1).as_string(), Error);
  EXPECT_THROW(JsonValue("x").as_int(), Error);
  EXPECT_THROW(JsonValue(uint64_t{1} << 63), Error);
}

TEST(JsonTest, RejectsInvalidDocuments) {
  for (const std::string& bad : std::vector<std::string>{"",
                                                         " ",
                                                         "{",
                                                         "[1,]",
                                                         "{\"a\":1,}",
                                                         "[1 2]",
                                                         "{\"a\" 1}",
                                                         "{a:1}",
                                                         "'x'",
                                                         "01",
                                                         "-",
                                                         "1.",
                                                         ".5",
                                                         "1e",
                                                         "+1",
                                                         "NaN",
                                                         "Infinity",
                                                         "tru",
                                                         "nul",
                                                         "[1] x",
                                                         "// c\n1",
                                                         "\"abc",
                                                         "\"\\x\"",
                                                         "\"\\u12\"",
                                                         "\"\\ud800\"",
                                                         "\"\\udc00\"",
                                                         "\"\\ud800\\u0041\"",
                                                         std::string("\"a\x01\""),
                                                         "\"\xC3\"",
                                                         "\"\xC0\x80\"",
                                                         "\"\xED\xA0\x80\"",
                                                         "\"\xF5\x80\x80\x80\"",
                                                         "{\"a\":1,\"a\":2}",
                                                         "1e999",
                                                         std::string(600, '[') + std::string(600, ']')}) {
    absl::StatusOr<JsonValue> v = ParseJson(bad);
    EXPECT_FALSE(v.ok()) << "accepted: " << bad;
  }
}

TEST(JsonTest, ErrorsGiveTheOffset) {
  absl::StatusOr<JsonValue> v = ParseJson("[1, 2, x]");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("byte 7"), absl::string_view::npos) << v.status();
}

}  // namespace
}  // namespace nb360::io
