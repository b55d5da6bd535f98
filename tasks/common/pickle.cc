#include "tasks/common/pickle.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "engine/check.h"
#include "engine/io/byte_io.h"
#include "tasks/common/gzip.h"
#include "tasks/common/pickle_numpy.h"

namespace nb360::tasks {
namespace {

using MutRef = std::shared_ptr<PyValue>;
using Kind = PyValue::Kind;
using pickle_internal::AppendUtf8;
using pickle_internal::CountElements;
using pickle_internal::Descr;
using pickle_internal::DescrString;
using pickle_internal::Latin1Bytes;
using pickle_internal::Latin1ToUtf8;
using pickle_internal::ParseDescr;

MutRef NewValue(Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}


// Validates the shape and returns the element count.

}  // namespace

// ------------------------------------------------------------------------------------------ PyValue

std::string_view PyKindName(PyValue::Kind kind) {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kNdArray: return "ndarray";
    case Kind::kGlobal: return "global";
    case Kind::kDType: return "dtype";
  }
  return "?";
}

PyRef PyValue::Get(std::string_view key) const {
  for (const auto& [k, v] : dict) {
    if (k->is_str_or_bytes() && k->str == key) return v;
  }
  return nullptr;
}

std::vector<std::string> PyValue::StringKeys() const {
  std::vector<std::string> keys;
  for (const auto& kv : dict) {
    if (kv.first->is_str_or_bytes()) keys.push_back(kv.first->str);
  }
  return keys;
}

std::string PyValue::Describe() const {
  const auto quoted = [](const std::string& s) {
    return StrCat("'", s.size() > 40 ? s.substr(0, 40) + "..." : s, "'");
  };
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return boolean ? "True" : "False";
    case Kind::kInt: return StrCat("int ", integer);
    case Kind::kFloat: return StrCat("float ", number);
    case Kind::kStr: return StrCat("str ", quoted(str));
    case Kind::kBytes: return StrCat("bytes of length ", str.size());
    case Kind::kList: return StrCat("list of ", items.size());
    case Kind::kTuple: return StrCat("tuple of ", items.size());
    case Kind::kDict: return StrCat("dict with ", dict.size(), " keys");
    case Kind::kNdArray: return StrCat("ndarray ", descr, " ", ShapeString(shape));
    case Kind::kGlobal: return StrCat("global ", str);
    case Kind::kDType: return StrCat("dtype ", str);
  }
  return "?";
}

absl::StatusOr<PyRef> ReadPickle(const std::string& path, const UnpickleOptions& options) {
  absl::StatusOr<std::string> bytes = ReadFileMaybeGzip(path);
  if (!bytes.ok()) return bytes.status();
  return Unpickle(*bytes, path, options);
}

// ------------------------------------------------------------------------------------------ the machine

namespace {

class Unpickler {
 public:
  Unpickler(std::string_view bytes, std::string_view name, const UnpickleOptions& options)
      : b_(bytes), name_(name), options_(options), budget_(16 * static_cast<uint64_t>(bytes.size()) + (64 << 20)) {}

  absl::StatusOr<PyRef> Run() {
    if (b_.empty()) return absl::InvalidArgumentError(StrCat(name_, ": empty input, not a pickle"));
    while (true) {
      op_pos_ = pos_;
      if (pos_ >= b_.size()) {
        return absl::DataLossError(StrCat(name_, ": truncated at byte ", pos_, ": no STOP opcode"));
      }
      op_ = static_cast<uint8_t>(b_[pos_++]);
      if (op_ == '.') break;
      if (absl::Status s = Step(); !s.ok()) return s;
    }
    if (Top() == nullptr) return Error("STOP with an empty stack");
    return PyRef(stack_.back());
  }

 private:
  // ------------------------------------------------------------------ errors and input
  std::string OpName() const {
    static const std::unordered_map<uint8_t, const char*> kNames = {
        {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"},
        {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"},
        {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"},
        {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"},
        {'c', "GLOBAL"}, {'d', "DICT"}, {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"},
        {'i', "INST"}, {'j', "LONG_BINGET"}, {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"},
        {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"},
        {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"},
        {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"},
        {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"}, {'B', "BINBYTES"},
        {'C', "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"},
        {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
        {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"},
        {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}};
    auto it = kNames.find(op_);
    if (it != kNames.end()) return it->second;
    char buf[8];
    std::snprintf(buf, sizeof(buf), "0x%02x", op_);
    return buf;
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat(name_, ": byte ", op_pos_, " (", OpName(), "): ", what));
  }

  // n bytes of argument, or a truncation error saying what was being read.
  absl::Status Take(uint64_t n, std::string_view what, std::string_view* out) {
    if (n > b_.size() - pos_) {
      return absl::DataLossError(StrCat(name_, ": truncated at byte ", b_.size(), " while reading ", OpName(), " ",
                                        what, " (", n, " bytes needed at byte ", pos_, ")"));
    }
    *out = b_.substr(pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  template <class T>
  absl::Status TakeLE(std::string_view what, T* out) {
    std::string_view s;
    if (absl::Status st = Take(sizeof(T), what, &s); !st.ok()) return st;
    *out = io::GetLE<T>(s.data());
    return absl::OkStatus();
  }
  // A text argument ending in '\n' (protocol 0).
  absl::Status TakeLine(std::string_view what, std::string_view* out) {
    const size_t nl = b_.find('\n', pos_);
    if (nl == std::string_view::npos) {
      return absl::DataLossError(StrCat(name_, ": truncated at byte ", b_.size(), " while reading ", OpName(), " ",
                                        what, " (no end of line)"));
    }
    *out = b_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return absl::OkStatus();
  }

  // Data copied out of existing values (array payloads reused through the memo, re-encoded strings)
  // is charged against a budget proportional to the input, so small inputs cannot allocate a lot.
  absl::Status Charge(uint64_t bytes) {
    if (bytes > budget_) {
      return Error(StrCat("the values built from this ", b_.size(), "-byte pickle would exceed ",
                          16 * b_.size() + (64 << 20), " bytes (the same data reused too often?)"));
    }
    budget_ -= bytes;
    return absl::OkStatus();
  }

  // ------------------------------------------------------------------ stack, marks, memo
  size_t Base() const { return marks_.empty() ? 0 : marks_.back(); }
  MutRef Top() const { return stack_.size() > Base() ? stack_.back() : nullptr; }
  absl::Status Pop(MutRef* out) {
    if (stack_.size() <= Base()) return Error("stack underflow");
    *out = std::move(stack_.back());
    stack_.pop_back();
    return absl::OkStatus();
  }
  absl::Status PopMark(std::vector<MutRef>* out) {
    if (marks_.empty()) return Error("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    out->assign(std::make_move_iterator(stack_.begin() + m), std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return absl::OkStatus();
  }
  void Push(MutRef v) { stack_.push_back(std::move(v)); }

  absl::Status Memo(uint64_t index) {
    MutRef top = Top();
    if (top == nullptr) return Error("memoizing with an empty stack");
    if (memo_.size() >= options_.max_memo && memo_.find(index) == memo_.end()) {
      return Error(StrCat("more than ", options_.max_memo, " memo entries"));
    }
    memo_[index] = top;
    return absl::OkStatus();
  }
  absl::Status Recall(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Error(StrCat("memo entry ", index, " was never stored"));
    Push(it->second);
    return absl::OkStatus();
  }

  // ------------------------------------------------------------------ containers
  // `child` becomes part of `parent`: it may no longer change (this rules out cycles), and the
  // parent's depth grows.
  absl::Status Adopt(PyValue* parent, const MutRef& child) {
    if (child == nullptr) return Error("missing value");
    frozen_.insert(child.get());
    const uint32_t depth = child->depth + 1;
    if (depth > options_.max_depth) return Error(StrCat("nesting deeper than ", options_.max_depth));
    parent->depth = std::max(parent->depth, depth);
    return absl::OkStatus();
  }
  absl::Status CheckMutable(const MutRef& target, Kind kind, std::string_view verb) {
    if (target == nullptr) return Error(StrCat(verb, " with nothing to ", verb, " to"));
    if (target->kind != kind) return Error(StrCat(verb, " on a ", target->Describe(), ", wanted a ", PyKindName(kind)));
    if (frozen_.count(target.get())) {
      return Error(StrCat(verb, " on a ", PyKindName(kind),
                          " that is already part of another object (recursive structures are not supported)"));
    }
    return absl::OkStatus();
  }
  absl::Status AppendAll(const MutRef& list, std::vector<MutRef> values) {
    for (MutRef& v : values) {
      if (absl::Status s = Adopt(list.get(), v); !s.ok()) return s;
    }
    if (frozen_.count(list.get())) return Error("a list cannot contain itself");
    list->items.insert(list->items.end(), values.begin(), values.end());
    return absl::OkStatus();
  }
  absl::Status SetItems(const MutRef& dict, std::vector<MutRef> kv) {
    if (kv.size() % 2) return Error("odd number of items for a dict");
    DictIndex& index = dict_index_[dict.get()];
    for (size_t i = 0; i < kv.size(); i += 2) {
      if (absl::Status s = Adopt(dict.get(), kv[i]); !s.ok()) return s;
      if (absl::Status s = Adopt(dict.get(), kv[i + 1]); !s.ok()) return s;
      if (frozen_.count(dict.get())) return Error("a dict cannot contain itself");
      const PyValue& k = *kv[i];
      // The same key object again (a memo GET) is found without hashing its contents.
      if (auto it = index.by_identity.find(&k); it != index.by_identity.end()) {
        dict->dict[it->second].second = kv[i + 1];
        continue;
      }
      std::optional<std::string> hash_key;
      switch (k.kind) {
        case Kind::kStr: hash_key = "s" + k.str; break;
        case Kind::kBytes: hash_key = "b" + k.str; break;
        case Kind::kInt: hash_key = StrCat("i", k.integer); break;
        case Kind::kBool: hash_key = StrCat("i", k.boolean ? 1 : 0); break;
        case Kind::kNone: hash_key = "n"; break;
        default: break;
      }
      if (hash_key) {
        auto [it, inserted] = index.by_content.emplace(*hash_key, dict->dict.size());
        if (!inserted) {  // Python keeps the first key and the last value
          index.by_identity.emplace(&k, it->second);
          dict->dict[it->second].second = kv[i + 1];
          continue;
        }
      }
      index.by_identity.emplace(&k, dict->dict.size());
      dict->dict.emplace_back(kv[i], kv[i + 1]);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<MutRef> MakeSequence(Kind kind, std::vector<MutRef> values) {
    MutRef v = NewValue(kind);
    for (MutRef& item : values) {
      if (absl::Status s = Adopt(v.get(), item); !s.ok()) return s;
    }
    v->items.assign(values.begin(), values.end());
    return v;
  }
  absl::Status PushSequence(Kind kind, std::vector<MutRef> values) {
    absl::StatusOr<MutRef> v = MakeSequence(kind, std::move(values));
    if (!v.ok()) return v.status();
    Push(*std::move(v));
    return absl::OkStatus();
  }
  absl::Status PushTupleN(size_t n) {
    if (stack_.size() < Base() + n) return Error("stack underflow");
    std::vector<MutRef> values(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return PushSequence(Kind::kTuple, std::move(values));
  }

  // ------------------------------------------------------------------ scalars
  void PushInt(int64_t v) {
    MutRef x = NewValue(Kind::kInt);
    x->integer = v;
    Push(x);
  }
  void PushBool(bool v) {
    MutRef x = NewValue(Kind::kBool);
    x->boolean = v;
    Push(x);
  }
  void PushString(Kind kind, std::string s) {
    MutRef x = NewValue(kind);
    x->str = std::move(s);
    Push(x);
  }
  // A Python 2 str.
  void PushPy2Str(std::string_view s) {
    if (options_.py2_str_as_latin1) {
      PushString(Kind::kStr, Latin1ToUtf8(s));
    } else {
      PushString(Kind::kBytes, std::string(s));
    }
  }
  // LONG1/LONG4: little-endian two's complement.
  absl::Status PushLong(std::string_view bytes) {
    if (bytes.empty()) {
      PushInt(0);
      return absl::OkStatus();
    }
    const bool negative = static_cast<uint8_t>(bytes.back()) & 0x80;
    const char fill = negative ? '\xff' : '\0';
    for (size_t i = 8; i < bytes.size(); ++i) {
      if (bytes[i] != fill) return Error(StrCat("integer of ", bytes.size(), " bytes does not fit in int64"));
    }
    if (bytes.size() > 8 && ((static_cast<uint8_t>(bytes[7]) & 0x80) != 0) != negative) {
      return Error(StrCat("integer of ", bytes.size(), " bytes does not fit in int64"));
    }
    uint64_t v = negative ? ~uint64_t{0} : 0;
    for (size_t i = 0; i < std::min<size_t>(8, bytes.size()); ++i) {
      v &= ~(uint64_t{0xFF} << (8 * i));
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
    }
    PushInt(static_cast<int64_t>(v));
    return absl::OkStatus();
  }
  absl::Status PushDecimal(std::string_view text) {
    std::string t(text);
    if (!t.empty() && t.back() == 'L') t.pop_back();  // protocol-0 LONG
    if (op_ == 'I' && (t == "00" || t == "01")) {
      PushBool(t == "01");
      return absl::OkStatus();
    }
    errno = 0;
    char* end = nullptr;
    const long long v = t.empty() ? 0 : std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || end != t.c_str() + t.size()) return Error(StrCat("bad integer '", text, "'"));
    if (errno == ERANGE) return Error(StrCat("integer ", text, " does not fit in int64"));
    PushInt(v);
    return absl::OkStatus();
  }
  // The quoted repr of a Python 2 str (STRING).
  absl::Status PushQuoted(std::string_view text) {
    if (text.size() < 2 || (text[0] != '\'' && text[0] != '"') || text.back() != text[0]) {
      return Error("STRING argument is not quoted");
    }
    text = text.substr(1, text.size() - 2);
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '\\') {
        out.push_back(text[i]);
        continue;
      }
      if (++i >= text.size()) return Error("dangling backslash in STRING");
      const char c = text[i];
      static const std::string_view kSimple("\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v");
      const size_t k = kSimple.find(c);
      if (k != std::string_view::npos && k % 2 == 0) {
        out.push_back(kSimple[k + 1]);
      } else if (c == 'x' && i + 2 < text.size() + 0 && std::isxdigit(static_cast<uint8_t>(text[i + 1])) &&
                 std::isxdigit(static_cast<uint8_t>(text[i + 2]))) {
        out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else if (c >= '0' && c <= '7') {
        int v = 0, n = 0;
        while (n < 3 && i < text.size() && text[i] >= '0' && text[i] <= '7') v = v * 8 + (text[i++] - '0'), ++n;
        --i;
        out.push_back(static_cast<char>(v & 0xFF));
      } else {
        return Error(StrCat("unsupported escape \\", std::string(1, c), " in STRING"));
      }
    }
    PushPy2Str(out);
    return absl::OkStatus();
  }
  // raw-unicode-escape (UNICODE): bytes are latin-1 code points, plus \uXXXX and \UXXXXXXXX.
  absl::Status PushRawUnicode(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      const size_t digits = text[i] == '\\' && i + 1 < text.size() ? (text[i + 1] == 'u' ? 4 : text[i + 1] == 'U' ? 8 : 0) : 0;
      if (digits == 0) {
        AppendUtf8(static_cast<uint8_t>(text[i]), &out);
        continue;
      }
      if (i + 2 + digits > text.size()) return Error("truncated \\u escape in UNICODE");
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        const char h = text[i + 2 + k];
        if (!std::isxdigit(static_cast<uint8_t>(h))) return Error("bad \\u escape in UNICODE");
        cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<uint8_t>(h)) ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      if (!AppendUtf8(cp, &out)) return Error(StrCat("invalid code point ", cp, " in UNICODE"));
      i += 1 + digits;
    }
    PushString(Kind::kStr, std::move(out));
    return absl::OkStatus();
  }
  absl::Status PushFloatText(std::string_view text) {
    std::string t(text);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) return Error(StrCat("bad float '", text, "'"));
    MutRef x = NewValue(Kind::kFloat);
    x->number = v;
    Push(x);
    return absl::OkStatus();
  }
  absl::Status PushGlobal(std::string_view module, std::string_view name) {
    if (module.empty() || name.empty()) return Error("empty module or class name");
    PushString(Kind::kGlobal, StrCat(module, ".", name));
    return absl::OkStatus();
  }

  // ------------------------------------------------------------------ REDUCE / NEWOBJ / BUILD
  static bool IsOneOf(const std::string& s, std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (s == n) return true;
    }
    return false;
  }
  // Bytes from a kBytes value, or from a kStr read in latin-1 mode (NumPy's encoding='latin1' convention).
  absl::StatusOr<std::string> BytesArg(const PyValue& v, std::string_view what) {
    if (absl::Status s = Charge(v.str.size()); !s.ok()) return s;
    if (v.kind == Kind::kBytes) return v.str;
    if (v.kind == Kind::kStr) {  // Python 2 data read as latin-1
      if (std::optional<std::string> b = Latin1Bytes(v.str)) return *b;
    }
    return Error(StrCat(what, " is a ", v.Describe(), ", wanted bytes"));
  }
  absl::StatusOr<Shape> ShapeArg(const PyValue& v) const {
    if (v.kind == Kind::kInt) return Shape{v.integer};
    if (v.kind != Kind::kTuple && v.kind != Kind::kList) return Error(StrCat("array shape is a ", v.Describe()));
    Shape shape;
    for (const PyRef& d : v.items) {
      if (d->kind != Kind::kInt) return Error(StrCat("array shape holds a ", d->Describe()));
      shape.push_back(d->integer);
    }
    return shape;
  }
  absl::StatusOr<PyRef> ArrayFromBytes(const PyValue& dtype, const Shape& shape, bool fortran, std::string_view raw) {
    // Conversions widen elements at most 4x (int8 -> int32); Fortran order needs an index table.
    if (absl::Status s = Charge(6 * raw.size()); !s.ok()) return s;
    if (dtype.kind != Kind::kDType) return Error(StrCat("array dtype is a ", dtype.Describe()));
    absl::StatusOr<PyRef> a = MakeNdArray(dtype.str, shape, fortran, raw, StrCat(name_, ": byte ", op_pos_));
    return a;
  }

  absl::StatusOr<MutRef> Call(const PyValue& callable, const PyValue& args) {
    if (callable.kind != Kind::kGlobal) return Error(StrCat("cannot call a ", callable.Describe()));
    if (args.kind != Kind::kTuple) return Error(StrCat("arguments are a ", args.Describe(), ", not a tuple"));
    const std::string& f = callable.str;
    const std::vector<PyRef>& a = args.items;
    const auto want_args = [&](size_t lo, size_t hi) -> absl::Status {
      if (a.size() < lo || a.size() > hi) return Error(StrCat(f, " takes ", lo, "-", hi, " arguments, got ", a.size()));
      return absl::OkStatus();
    };
    if (IsOneOf(f, {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"})) {
      if (absl::Status s = want_args(1, 3); !s.ok()) return s;
      if (a[0]->kind != Kind::kGlobal || a[0]->str != "numpy.ndarray") {
        return Error(StrCat("only numpy.ndarray can be reconstructed, not ", a[0]->Describe()));
      }
      MutRef v = NewValue(Kind::kNdArray);  // numpy's placeholder: empty until BUILD
      v->shape = {0};
      v->descr = "|u1";
      v->tensor = Tensor::Empty({0}, DType::kUInt8);
      v->depth = 1;
      unbuilt_arrays_.insert(v.get());
      return v;
    }
    if (f == "numpy.dtype") {
      if (absl::Status s = want_args(1, 3); !s.ok()) return s;
      if (!a[0]->is_str_or_bytes()) return Error(StrCat("dtype name is a ", a[0]->Describe()));
      std::optional<Descr> d = ParseDescr(a[0]->str);
      if (!d || d->kind == 'c' || d->kind == 'M' || d->kind == 'm' || d->kind == 'V') {
        return Error(StrCat("unsupported NumPy dtype '", a[0]->str, "'"));
      }
      MutRef v = NewValue(Kind::kDType);
      v->str = DescrString(*d);
      return v;
    }
    if (IsOneOf(f, {"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar"})) {
      if (absl::Status s = want_args(1, 2); !s.ok()) return s;
      if (a[0]->kind != Kind::kDType) return Error(StrCat("scalar dtype is a ", a[0]->Describe()));
      if (a[0]->str == "|O") {
        if (a.size() < 2) return Error("object scalar without a value");
        return std::const_pointer_cast<PyValue>(a[1]);
      }
      absl::StatusOr<std::string> raw = a.size() < 2 ? std::string() : BytesArg(*a[1], "scalar data");
      if (!raw.ok()) return raw.status();
      absl::StatusOr<PyRef> arr = ArrayFromBytes(*a[0], {}, false, *raw);
      if (!arr.ok()) return arr.status();
      return ScalarOf(**arr);
    }
    if (IsOneOf(f, {"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer"})) {
      if (absl::Status s = want_args(4, 4); !s.ok()) return s;
      absl::StatusOr<std::string> raw = BytesArg(*a[0], "buffer");
      if (!raw.ok()) return raw.status();
      absl::StatusOr<Shape> shape = ShapeArg(*a[2]);
      if (!shape.ok()) return shape.status();
      if (!a[3]->is_str_or_bytes() || (a[3]->str != "C" && a[3]->str != "F")) {
        return Error(StrCat("array order is a ", a[3]->Describe()));
      }
      absl::StatusOr<PyRef> arr = ArrayFromBytes(*a[1], *shape, a[3]->str == "F", *raw);
      if (!arr.ok()) return arr.status();
      return std::const_pointer_cast<PyValue>(*arr);
    }
    if (f == "_codecs.encode") {
      if (absl::Status s = want_args(1, 2); !s.ok()) return s;
      const std::string enc = a.size() > 1 && a[1]->kind == Kind::kStr ? a[1]->str : "utf-8";
      if (a[0]->kind != Kind::kStr) return Error(StrCat("_codecs.encode of a ", a[0]->Describe()));
      MutRef v = NewValue(Kind::kBytes);
      if (enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1") {
        if (absl::Status s = Charge(a[0]->str.size()); !s.ok()) return s;
        std::optional<std::string> b = Latin1Bytes(a[0]->str);
        if (!b) return Error("_codecs.encode: string has characters outside latin-1");
        v->str = std::move(*b);
      } else if (enc == "utf-8" || enc == "utf8") {
        if (absl::Status s = Charge(a[0]->str.size()); !s.ok()) return s;
        v->str = a[0]->str;
      } else {
        return Error(StrCat("_codecs.encode with unsupported encoding '", enc, "'"));
      }
      return v;
    }
    if (IsOneOf(f, {"builtins.bytes", "__builtin__.bytes", "builtins.bytearray", "__builtin__.bytearray"})) {
      if (absl::Status s = want_args(0, 1); !s.ok()) return s;
      MutRef v = NewValue(Kind::kBytes);
      if (!a.empty()) {
        absl::StatusOr<std::string> raw = BytesArg(*a[0], f);
        if (!raw.ok()) return raw.status();
        v->str = std::move(*raw);
      }
      return v;
    }
    if (f == "collections.OrderedDict") {
      if (absl::Status s = want_args(0, 1); !s.ok()) return s;
      MutRef v = NewValue(Kind::kDict);
      if (!a.empty()) {
        std::vector<MutRef> kv;
        for (const PyRef& pair : a[0]->items) {
          if (pair->kind != Kind::kTuple || pair->items.size() != 2) return Error("OrderedDict items are not pairs");
          kv.push_back(std::const_pointer_cast<PyValue>(pair->items[0]));
          kv.push_back(std::const_pointer_cast<PyValue>(pair->items[1]));
        }
        if (absl::Status s = SetItems(v, std::move(kv)); !s.ok()) return s;
      }
      return v;
    }
    if (IsOneOf(f, {"builtins.set", "__builtin__.set", "builtins.frozenset", "__builtin__.frozenset"})) {
      if (absl::Status s = want_args(0, 1); !s.ok()) return s;
      std::vector<MutRef> items;
      if (!a.empty()) {
        if (a[0]->kind != Kind::kList && a[0]->kind != Kind::kTuple) return Error(StrCat(f, " of a ", a[0]->Describe()));
        for (const PyRef& x : a[0]->items) items.push_back(std::const_pointer_cast<PyValue>(x));
      }
      return MakeSequence(Kind::kList, std::move(items));
    }
    return Error(StrCat("cannot reconstruct '", f, "' (not a supported constructor; nothing is executed)"));
  }

  // A 0-d array as a Python scalar.
  absl::StatusOr<MutRef> ScalarOf(const PyValue& arr) {
    if (arr.array_kind == PyValue::ArrayKind::kString) {
      MutRef v = NewValue(arr.descr[1] == 'U' ? Kind::kStr : Kind::kBytes);
      v->str = arr.strings.at(0);
      return v;
    }
    const Tensor& t = arr.tensor;
    if (t.dtype() == DType::kBool) {
      MutRef v = NewValue(Kind::kBool);
      v->boolean = t.data<bool>()[0];
      return v;
    }
    if (IsFloating(t.dtype())) {
      MutRef v = NewValue(Kind::kFloat);
      v->number = t.item();
      return v;
    }
    MutRef v = NewValue(Kind::kInt);
    v->integer = t.dtype() == DType::kInt64 ? t.data<int64_t>()[0]
                 : t.dtype() == DType::kInt32 ? t.data<int32_t>()[0]
                                              : t.data<uint8_t>()[0];
    return v;
  }

  absl::Status BuildDType(PyValue* dtype, const PyValue& state) {
    if (state.kind != Kind::kTuple || state.items.size() < 6) return Error("dtype state is not an 8-tuple");
    const std::vector<PyRef>& s = state.items;
    std::optional<Descr> d = ParseDescr(dtype->str);
    if (!d) return Error(StrCat("unreadable dtype '", dtype->str, "'"));
    if (s[1]->is_str_or_bytes() && s[1]->str.size() == 1) {
      const char order = s[1]->str[0];
      if (order == '>') d->order = '>';
      else if (order == '<' || order == '=') d->order = '<';
    }
    if (!s[3]->is_none()) return Error("structured dtypes (with field names) are not supported");
    if ((d->kind == 'U' || d->kind == 'S') && s[5]->kind == Kind::kInt && s[5]->integer >= 0) {
      d->itemsize = s[5]->integer;
      if (d->kind == 'U' && d->itemsize % 4) return Error(StrCat("unicode dtype with item size ", d->itemsize));
    }
    if (d->itemsize <= 1 || d->kind == 'O' || d->kind == 'S') d->order = '|';
    dtype->str = DescrString(*d);
    return absl::OkStatus();
  }

  absl::Status BuildArray(const MutRef& target, const PyValue& state) {
    if (!unbuilt_arrays_.count(target.get())) return Error("BUILD on an ndarray that is already built");
    if (state.kind != Kind::kTuple || (state.items.size() != 5 && state.items.size() != 4)) {
      return Error(StrCat("ndarray state is a ", state.Describe(), ", wanted a 5-tuple"));
    }
    const std::vector<PyRef>& s = state.items;
    const size_t o = s.size() == 5 ? 1 : 0;  // version first, except in very old pickles
    absl::StatusOr<Shape> shape = ShapeArg(*s[o]);
    if (!shape.ok()) return shape.status();
    const PyValue& dtype = *s[o + 1];
    if (dtype.kind != Kind::kDType) return Error(StrCat("array dtype is a ", dtype.Describe()));
    const bool fortran = s[o + 2]->kind == Kind::kBool ? s[o + 2]->boolean : s[o + 2]->integer != 0;
    const PyValue& data = *s[o + 3];
    MutRef built;
    if (dtype.str == "|O") {
      if (data.kind != Kind::kList) return Error(StrCat("object array data is a ", data.Describe(), ", wanted a list"));
      absl::StatusOr<int64_t> numel = CountElements(*shape, StrCat(name_, ": byte ", op_pos_));
      if (!numel.ok()) return numel.status();
      if (static_cast<int64_t>(data.items.size()) != *numel) {
        return Error(StrCat("object array ", ShapeString(*shape), " has ", data.items.size(), " elements"));
      }
      built = NewValue(Kind::kNdArray);
      built->array_kind = PyValue::ArrayKind::kObject;
      built->shape = *shape;
      built->descr = "|O";
      built->items = data.items;  // NumPy lists the elements in C order even for Fortran arrays
      built->depth = data.depth;  // a list of the same elements
      if (built->depth == 0) built->depth = 1;
    } else {
      absl::StatusOr<std::string> raw = BytesArg(data, "array data");
      if (!raw.ok()) return raw.status();
      absl::StatusOr<PyRef> arr = ArrayFromBytes(dtype, *shape, fortran, *raw);
      if (!arr.ok()) return arr.status();
      built = std::const_pointer_cast<PyValue>(*arr);
    }
    *target = std::move(*built);
    unbuilt_arrays_.erase(target.get());
    return absl::OkStatus();
  }

  absl::Status Build() {
    MutRef state, target;
    if (absl::Status s = Pop(&state); !s.ok()) return s;
    target = Top();
    if (target == nullptr) return Error("BUILD with nothing to build");
    if (frozen_.count(target.get())) return Error("BUILD on an object that is already part of another object");
    frozen_.insert(state.get());
    if (target->kind == Kind::kDType) return BuildDType(target.get(), *state);
    if (target->kind == Kind::kNdArray) return BuildArray(target, *state);
    return Error(StrCat("BUILD on a ", target->Describe(), " is not supported"));
  }

  absl::Status Reduce(bool newobj) {
    MutRef args, callable;
    if (absl::Status s = Pop(&args); !s.ok()) return s;
    if (absl::Status s = Pop(&callable); !s.ok()) return s;
    frozen_.insert(args.get());
    if (newobj && op_ == 0x92) return Error("NEWOBJ_EX (class instances) is not supported");
    absl::StatusOr<MutRef> v = Call(*callable, *args);
    if (!v.ok()) return v.status();
    Push(*std::move(v));
    return absl::OkStatus();
  }

  // ------------------------------------------------------------------ one opcode
  absl::Status Step() {
    std::string_view arg;
    switch (op_) {
      case 0x80: {  // PROTO
        uint8_t proto = 0;
        if (absl::Status s = TakeLE("protocol", &proto); !s.ok()) return s;
        if (proto > 5) return Error(StrCat("unsupported pickle protocol ", static_cast<int>(proto)));
        return absl::OkStatus();
      }
      case 0x95: {  // FRAME: just a length prefix
        uint64_t n = 0;
        if (absl::Status s = TakeLE("frame length", &n); !s.ok()) return s;
        if (n > b_.size() - pos_) {
          return absl::DataLossError(StrCat(name_, ": truncated at byte ", b_.size(), " while reading FRAME: frame of ",
                                            n, " bytes at byte ", pos_));
        }
        return absl::OkStatus();
      }
      case '(':
        marks_.push_back(stack_.size());
        return absl::OkStatus();
      case '0': {  // POP (the mark itself when nothing follows it)
        if (stack_.size() > Base()) {
          stack_.pop_back();
        } else if (!marks_.empty()) {
          marks_.pop_back();
        } else {
          return Error("stack underflow");
        }
        return absl::OkStatus();
      }
      case '1': {  // POP_MARK
        std::vector<MutRef> dropped;
        return PopMark(&dropped);
      }
      case '2': {  // DUP
        MutRef top = Top();
        if (top == nullptr) return Error("stack underflow");
        Push(top);
        return absl::OkStatus();
      }
      case 'N':
        Push(NewValue(Kind::kNone));
        return absl::OkStatus();
      case 0x88:
      case 0x89:
        PushBool(op_ == 0x88);
        return absl::OkStatus();
      case 'J': {
        uint32_t v = 0;
        if (absl::Status s = TakeLE("value", &v); !s.ok()) return s;
        PushInt(static_cast<int32_t>(v));
        return absl::OkStatus();
      }
      case 'K': {
        uint8_t v = 0;
        if (absl::Status s = TakeLE("value", &v); !s.ok()) return s;
        PushInt(v);
        return absl::OkStatus();
      }
      case 'M': {
        uint16_t v = 0;
        if (absl::Status s = TakeLE("value", &v); !s.ok()) return s;
        PushInt(v);
        return absl::OkStatus();
      }
      case 0x8a: {  // LONG1
        uint8_t n = 0;
        if (absl::Status s = TakeLE("length", &n); !s.ok()) return s;
        if (absl::Status s = Take(n, "value", &arg); !s.ok()) return s;
        return PushLong(arg);
      }
      case 0x8b: {  // LONG4
        uint32_t n = 0;
        if (absl::Status s = TakeLE("length", &n); !s.ok()) return s;
        if (n & 0x80000000u) return Error("negative length");
        if (absl::Status s = Take(n, "value", &arg); !s.ok()) return s;
        return PushLong(arg);
      }
      case 'I':
      case 'L':
        if (absl::Status s = TakeLine("value", &arg); !s.ok()) return s;
        return PushDecimal(arg);
      case 'F':
        if (absl::Status s = TakeLine("value", &arg); !s.ok()) return s;
        return PushFloatText(arg);
      case 'G': {
        uint64_t bits = 0;
        std::string_view raw;
        if (absl::Status s = Take(8, "value", &raw); !s.ok()) return s;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(raw[i]);  // big-endian
        MutRef x = NewValue(Kind::kFloat);
        std::memcpy(&x->number, &bits, 8);
        Push(x);
        return absl::OkStatus();
      }
      case 'S':
        if (absl::Status s = TakeLine("value", &arg); !s.ok()) return s;
        return PushQuoted(arg);
      case 'V':
        if (absl::Status s = TakeLine("value", &arg); !s.ok()) return s;
        return PushRawUnicode(arg);
      case 'T':
      case 'U':
      case 'X':
      case 'B':
      case 'C':
      case 0x8c:
      case 0x8d:
      case 0x8e:
      case 0x96:
        return LengthPrefixed();
      case ')':
        Push(NewValue(Kind::kTuple));
        return absl::OkStatus();
      case 0x85:
      case 0x86:
      case 0x87:
        return PushTupleN(op_ - 0x84);
      case 't': {
        std::vector<MutRef> values;
        if (absl::Status s = PopMark(&values); !s.ok()) return s;
        return PushSequence(Kind::kTuple, std::move(values));
      }
      case ']':
        Push(NewValue(Kind::kList));
        return absl::OkStatus();
      case 'l': {
        std::vector<MutRef> values;
        if (absl::Status s = PopMark(&values); !s.ok()) return s;
        return PushSequence(Kind::kList, std::move(values));
      }
      case 0x8f:  // EMPTY_SET: a list here
        Push(NewValue(Kind::kList));
        return absl::OkStatus();
      case 0x91: {  // FROZENSET
        std::vector<MutRef> values;
        if (absl::Status s = PopMark(&values); !s.ok()) return s;
        return PushSequence(Kind::kList, std::move(values));
      }
      case '}':
        Push(NewValue(Kind::kDict));
        return absl::OkStatus();
      case 'd': {
        std::vector<MutRef> kv;
        if (absl::Status s = PopMark(&kv); !s.ok()) return s;
        MutRef dict = NewValue(Kind::kDict);
        if (absl::Status s = SetItems(dict, std::move(kv)); !s.ok()) return s;
        Push(dict);
        return absl::OkStatus();
      }
      case 'a': {
        MutRef v;
        if (absl::Status s = Pop(&v); !s.ok()) return s;
        MutRef list = Top();
        if (absl::Status s = CheckMutable(list, Kind::kList, "APPEND"); !s.ok()) return s;
        return AppendAll(list, {v});
      }
      case 'e':
      case 0x90: {  // APPENDS, ADDITEMS
        std::vector<MutRef> values;
        if (absl::Status s = PopMark(&values); !s.ok()) return s;
        MutRef list = Top();
        if (absl::Status s = CheckMutable(list, Kind::kList, op_ == 'e' ? "APPENDS" : "ADDITEMS"); !s.ok()) return s;
        return AppendAll(list, std::move(values));
      }
      case 's': {
        MutRef v, k;
        if (absl::Status s = Pop(&v); !s.ok()) return s;
        if (absl::Status s = Pop(&k); !s.ok()) return s;
        MutRef dict = Top();
        if (absl::Status s = CheckMutable(dict, Kind::kDict, "SETITEM"); !s.ok()) return s;
        return SetItems(dict, {k, v});
      }
      case 'u': {
        std::vector<MutRef> kv;
        if (absl::Status s = PopMark(&kv); !s.ok()) return s;
        MutRef dict = Top();
        if (absl::Status s = CheckMutable(dict, Kind::kDict, "SETITEMS"); !s.ok()) return s;
        return SetItems(dict, std::move(kv));
      }
      case 'p':
      case 'g': {
        if (absl::Status s = TakeLine("memo index", &arg); !s.ok()) return s;
        uint64_t index = 0;
        if (arg.empty() || arg.size() > 18) return Error(StrCat("bad memo index '", arg, "'"));
        for (char c : arg) {
          if (c < '0' || c > '9') return Error(StrCat("bad memo index '", arg, "'"));
          index = index * 10 + static_cast<uint64_t>(c - '0');
        }
        return op_ == 'p' ? Memo(index) : Recall(index);
      }
      case 'q':
      case 'h': {
        uint8_t index = 0;
        if (absl::Status s = TakeLE("memo index", &index); !s.ok()) return s;
        return op_ == 'q' ? Memo(index) : Recall(index);
      }
      case 'r':
      case 'j': {
        uint32_t index = 0;
        if (absl::Status s = TakeLE("memo index", &index); !s.ok()) return s;
        return op_ == 'r' ? Memo(index) : Recall(index);
      }
      case 0x94:
        return Memo(memo_.size());
      case 'c': {
        std::string_view module, name;
        if (absl::Status s = TakeLine("module", &module); !s.ok()) return s;
        if (absl::Status s = TakeLine("name", &name); !s.ok()) return s;
        return PushGlobal(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        MutRef name, module;
        if (absl::Status s = Pop(&name); !s.ok()) return s;
        if (absl::Status s = Pop(&module); !s.ok()) return s;
        if (module->kind != Kind::kStr || name->kind != Kind::kStr) return Error("module and name must be str");
        return PushGlobal(module->str, name->str);
      }
      case 'R':
      case 0x81:
        return Reduce(op_ == 0x81);
      case 'b':
        return Build();
      case 0x98:  // READONLY_BUFFER: no effect on our values
        if (Top() == nullptr) return Error("stack underflow");
        return absl::OkStatus();
      case 0x92:
        return Error("NEWOBJ_EX (class instances) is not supported");
      case 0x97:
        return Error("out-of-band buffers are not supported");
      case 'i':
      case 'o':
        return Error("class instances are not supported");
      case 'P':
      case 'Q':
        return Error("persistent ids are not supported");
      case 0x82:
      case 0x83:
      case 0x84:
        return Error("the extension registry is not supported");
      default:
        return Error("unknown opcode");
    }
  }

  // String and bytes opcodes with a binary length prefix.
  absl::Status LengthPrefixed() {
    uint64_t n = 0;
    absl::Status s;
    switch (op_) {
      case 'U':
      case 'C':
      case 0x8c: {
        uint8_t v = 0;
        s = TakeLE("length", &v);
        n = v;
        break;
      }
      case 'T': {  // BINSTRING: signed 32-bit
        uint32_t v = 0;
        s = TakeLE("length", &v);
        if (s.ok() && (v & 0x80000000u)) return Error("negative length");
        n = v;
        break;
      }
      case 'X':
      case 'B': {
        uint32_t v = 0;
        s = TakeLE("length", &v);
        n = v;
        break;
      }
      default:
        s = TakeLE("length", &n);
    }
    if (!s.ok()) return s;
    std::string_view data;
    if (absl::Status st = Take(n, "data", &data); !st.ok()) return st;
    if (op_ == 'T' || op_ == 'U') {
      PushPy2Str(data);
    } else if (op_ == 'X' || op_ == 0x8c || op_ == 0x8d) {
      PushString(Kind::kStr, std::string(data));
    } else {
      PushString(Kind::kBytes, std::string(data));
    }
    return absl::OkStatus();
  }

  std::string_view b_;
  std::string_view name_;
  UnpickleOptions options_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  std::vector<MutRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, MutRef> memo_;
  std::unordered_set<const PyValue*> frozen_;
  std::unordered_set<const PyValue*> unbuilt_arrays_;
  struct DictIndex {
    std::unordered_map<const PyValue*, size_t> by_identity;
    std::unordered_map<std::string, size_t> by_content;  // kind tag + value, for scalar keys
  };
  std::unordered_map<const PyValue*, DictIndex> dict_index_;
  uint64_t budget_ = 0;  // bytes that REDUCE/BUILD may still materialise (copies, conversions)
};

}  // namespace

absl::StatusOr<PyRef> Unpickle(std::string_view bytes, std::string_view name_for_errors, const UnpickleOptions& options) {
  Unpickler u(bytes, name_for_errors, options);
  return u.Run();
}

}  // namespace nb360::tasks
