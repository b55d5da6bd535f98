// engine/io/json.h: a small, strict JSON value with a parser and a serializer.
//
// JsonValue holds null, bool, int (int64), double, string, array or object. Objects keep their keys
// in insertion order (like a Python dict), so written files read naturally; duplicate keys are
// rejected by the parser. Numbers without '.', 'e' or 'E' that fit an int64 parse as ints, all
// others as doubles; ints and doubles round-trip exactly (doubles always print with '.', 'e', ...).
// The parser follows RFC 8259 strictly: no comments, no trailing commas, no NaN, valid UTF-8 only.
// Non-finite doubles serialize as null, since JSON cannot spell them.
//
// Example:
//   JsonValue v = JsonValue::MakeObject();
//   v.Set("epoch", 3);
//   v.Set("loss", 0.25);
//   std::string text = v.Serialize();               // {"epoch":3,"loss":0.25}
//   absl::StatusOr<JsonValue> back = ParseJson(text);
//   int64_t epoch = back->Find("epoch")->as_int();
#ifndef NB360_ENGINE_IO_JSON_H_
#define NB360_ENGINE_IO_JSON_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/check.h"

namespace nb360::io {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default;  // null
  JsonValue(std::nullptr_t) {}
  JsonValue(bool b) : type_(Type::kBool), bool_(b) {}
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  JsonValue(I i) : type_(Type::kInt), int_(static_cast<int64_t>(i)) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(int64_t)) {
      NB_CHECK(i <= static_cast<I>(std::numeric_limits<int64_t>::max()), "JsonValue: integer ", i,
               " does not fit an int64");
    }
  }
  JsonValue(double d) : type_(Type::kDouble), double_(d) {}
  JsonValue(const char* s) : type_(Type::kString), string_(s) {}
  JsonValue(std::string_view s) : type_(Type::kString), string_(s) {}
  JsonValue(std::string s) : type_(Type::kString), string_(std::move(s)) {}
  JsonValue(Array a) : type_(Type::kArray), array_(std::move(a)) {}
  JsonValue(Object o) : type_(Type::kObject), object_(std::move(o)) {}
  static JsonValue MakeArray() { return JsonValue(Array{}); }
  static JsonValue MakeObject() { return JsonValue(Object{}); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_double() const { return type_ == Type::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Typed access; asking for the wrong type throws nb360::Error (check type() first for input).
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;  // ints convert
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Objects: the value under `key`, or nullptr (also for non-objects).
  const JsonValue* Find(std::string_view key) const;
  JsonValue* Find(std::string_view key);
  // Objects: replaces the value under `key` or appends it at the end.
  JsonValue& Set(std::string_view key, JsonValue value);
  // Arrays: appends.
  JsonValue& Append(JsonValue value);
  // Number of array elements or object members (0 for scalars).
  size_t size() const;

  // Compact JSON for indent < 0; otherwise one member per line indented by `indent` spaces.
  std::string Serialize(int indent = -1) const;

  // Deep equality; an int never equals a double.
  bool operator==(const JsonValue& o) const;
  bool operator!=(const JsonValue& o) const { return !(*this == o); }

  static std::string_view TypeName(Type type);

 private:
  void SerializeTo(std::string* out, int indent, int depth) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  Array array_;
  Object object_;
};

// Parses one JSON document (surrounding whitespace allowed). Errors give the byte offset.
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

// `s` as a quoted JSON string literal with escapes.
std::string JsonQuote(std::string_view s);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_JSON_H_
