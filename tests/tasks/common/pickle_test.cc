#include "tasks/common/pickle.h"

#include <cmath>
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

PyRef Load(const std::string& name, const UnpickleOptions& options = {}) {
  absl::StatusOr<PyRef> v = ReadPickle(TestData(name), options);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : nullptr;
}

// A byte string from a literal that may hold NULs.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::string UnpickleError(std::string_view bytes, std::string_view name = "bad.pkl") {
  absl::StatusOr<PyRef> v = Unpickle(bytes, name);
  return v.ok() ? std::string("(ok)") : std::string(v.status().message());
}

PyRef At(const PyRef& dict, const std::string& key) {
  EXPECT_EQ(dict->kind, Kind::kDict);
  PyRef v = dict->Get(key);
  EXPECT_NE(v, nullptr) << "missing key " << key;
  return v;
}

int64_t Int(const PyRef& v) {
  EXPECT_EQ(v->kind, Kind::kInt) << v->Describe();
  return v->integer;
}

template <class T>
std::vector<T> Values(const PyRef& v) {
  EXPECT_EQ(v->kind, Kind::kNdArray);
  EXPECT_EQ(v->array_kind, PyValue::ArrayKind::kNumeric);
  if (v->tensor.dtype() == DType::kBool) {
    std::vector<T> out;
    for (int64_t i = 0; i < v->tensor.numel(); ++i) out.push_back(static_cast<T>(v->tensor.data<bool>()[i]));
    return out;
  }
  return v->tensor.ToVector<T>();
}

// ------------------------------------------------------------------------------------ protocols 0-5

class CompositeTest : public ::testing::TestWithParam<int> {};

TEST_P(CompositeTest, EveryValueExact) {
  PyRef d = Load("composite_p" + std::to_string(GetParam()) + ".pkl");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(At(d, "none")->is_none());
  EXPECT_EQ(At(d, "true")->kind, Kind::kBool);
  EXPECT_TRUE(At(d, "true")->boolean);
  EXPECT_FALSE(At(d, "false")->boolean);
  EXPECT_EQ(Int(At(d, "k1")), 7);
  EXPECT_EQ(Int(At(d, "k2")), 300);
  EXPECT_EQ(Int(At(d, "k4")), 70000);
  EXPECT_EQ(Int(At(d, "neg")), -3);
  EXPECT_EQ(Int(At(d, "neg4")), -70000);
  EXPECT_EQ(Int(At(d, "big")), int64_t{1} << 40);
  EXPECT_EQ(Int(At(d, "bigneg")), -(int64_t{1} << 62));
  EXPECT_EQ(Int(At(d, "max")), INT64_MAX);
  EXPECT_EQ(At(d, "float")->number, 1.5);
  EXPECT_EQ(At(d, "negfloat")->number, -0.1);
  EXPECT_EQ(At(d, "str")->kind, Kind::kStr);
  EXPECT_EQ(At(d, "str")->str, "h\xc3\xa9llo \xe2\x98\x83");
  EXPECT_EQ(At(d, "long_str")->str, std::string(300, 'x'));
  EXPECT_EQ(At(d, "empty_str")->str, "");
  EXPECT_EQ(At(d, "bytes")->kind, Kind::kBytes);
  EXPECT_EQ(At(d, "bytes")->str, std::string("\x00\x01\xff", 3));
  std::string long_bytes;
  for (int r = 0; r < 2; ++r)
    for (int i = 0; i < 256; ++i) long_bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(At(d, "long_bytes")->str, long_bytes);
  EXPECT_EQ(At(d, "empty_bytes")->kind, Kind::kBytes);
  EXPECT_EQ(At(d, "empty_bytes")->str, "");
  PyRef list = At(d, "list");
  ASSERT_EQ(list->kind, Kind::kList);
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(Int(list->items[2]), 3);
  EXPECT_EQ(At(d, "empty_list")->items.size(), 0u);
  for (int n = 0; n <= 4; ++n) {
    PyRef t = At(d, "t" + std::to_string(n));
    EXPECT_EQ(t->kind, Kind::kTuple);
    EXPECT_EQ(t->items.size(), static_cast<size_t>(n));
  }
  EXPECT_EQ(At(d, "t2")->items[1]->str, "a");
  PyRef nested = At(d, "nested");
  EXPECT_EQ(At(nested, "a")->items[1]->Get("b")->number, 2.5);
  EXPECT_EQ(nested->depth, 3u);
  PyRef shared = At(d, "shared");
  EXPECT_EQ(shared->items[0], shared->items[1]);  // one object, referenced twice (memo)
  EXPECT_EQ(Int(shared->items[0]->items[1]), 20);
  EXPECT_EQ(Int(At(d, "set")->items.at(0)), 5);
  EXPECT_EQ(Int(At(d, "frozenset")->items.at(0)), 6);
  EXPECT_EQ(At(d, "bytearray")->kind, Kind::kBytes);
  EXPECT_EQ(At(d, "bytearray")->str, "ab");
  PyRef ordered = At(d, "ordered");
  ASSERT_EQ(ordered->kind, Kind::kDict);
  EXPECT_EQ(ordered->StringKeys(), (std::vector<std::string>{"z", "y"}));
  EXPECT_EQ(Int(ordered->Get("y")), 2);
  // Non-string keys are kept in order; Get() only matches str/bytes keys.
  bool int_key = false, tuple_key = false;
  for (const auto& [k, v] : d->dict) {
    if (k->kind == Kind::kInt && k->integer == 1) int_key = v->str == "int key";
    if (k->kind == Kind::kTuple) tuple_key = v->str == "tuple key";
  }
  EXPECT_TRUE(int_key);
  EXPECT_TRUE(tuple_key);
  PyRef array = At(d, "array");
  EXPECT_EQ(array->shape, (Shape{2, 2}));
  EXPECT_EQ(array->descr, "<f8");
  EXPECT_EQ(Values<double>(array), (std::vector<double>{1.5, -2.0, 3.0, 4.25}));
}

INSTANTIATE_TEST_SUITE_P(Protocols, CompositeTest, ::testing::Values(0, 1, 2, 3, 4, 5));

// ------------------------------------------------------------------------------------ NumPy

class ArraysTest : public ::testing::TestWithParam<int> {};

TEST_P(ArraysTest, EveryDTypeExact) {
  PyRef d = Load("arrays_p" + std::to_string(GetParam()) + ".pkl");
  ASSERT_NE(d, nullptr);
  PyRef f8 = At(d, "f8");
  EXPECT_EQ(f8->shape, (Shape{2, 3}));
  EXPECT_EQ(f8->tensor.dtype(), DType::kFloat64);
  std::vector<double> v8 = Values<double>(f8);
  EXPECT_EQ(v8, (std::vector<double>{0.5, -1.25, 3.0, 1e300, -0.0, 2.0}));
  EXPECT_TRUE(std::signbit(v8[4]));
  EXPECT_EQ(Values<float>(At(d, "f4")), (std::vector<float>{1.5f, -2.5f}));
  PyRef f2 = At(d, "f2");
  EXPECT_EQ(f2->descr, "<f2");
  std::vector<float> h = Values<float>(f2);  // float16 -> float32, exact
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.5f);
  EXPECT_EQ(h[2], 65504.0f);
  EXPECT_EQ(h[3], std::ldexp(1.0f, -24));  // 6e-8 rounds to the smallest float16 subnormal
  EXPECT_EQ(Values<uint8_t>(At(d, "u1")), (std::vector<uint8_t>{0, 255, 7, 128}));
  EXPECT_EQ(Values<int64_t>(At(d, "i8")), (std::vector<int64_t>{-(int64_t{1} << 62), 5}));
  EXPECT_EQ(Values<int32_t>(At(d, "i4")), (std::vector<int32_t>{-5, INT32_MAX}));
  EXPECT_EQ(Values<int32_t>(At(d, "i2")), (std::vector<int32_t>{-32768, 32767, -1}));
  EXPECT_EQ(At(d, "i2")->descr, "<i2");
  EXPECT_EQ(Values<int32_t>(At(d, "i1")), (std::vector<int32_t>{-128, 127}));
  EXPECT_EQ(Values<int32_t>(At(d, "u2")), (std::vector<int32_t>{65535, 1}));
  EXPECT_EQ(Values<int64_t>(At(d, "u4")), (std::vector<int64_t>{4294967295LL, 0}));
  EXPECT_EQ(Values<uint8_t>(At(d, "b1")), (std::vector<uint8_t>{1, 0, 1}));
  PyRef fortran = At(d, "fortran");
  EXPECT_EQ(fortran->shape, (Shape{2, 3}));
  EXPECT_EQ(Values<double>(fortran), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  PyRef be = At(d, "bigendian");
  EXPECT_EQ(be->descr, ">i4");
  EXPECT_EQ(Values<int32_t>(be), (std::vector<int32_t>{1, -2, 258}));
  PyRef zero_d = At(d, "zero_d");
  EXPECT_EQ(zero_d->shape, Shape{});
  EXPECT_EQ(zero_d->tensor.item(), 3.25);
  PyRef empty = At(d, "empty");
  EXPECT_EQ(empty->shape, (Shape{0, 3}));
  EXPECT_EQ(empty->tensor.numel(), 0);

  PyRef obj = At(d, "obj");
  EXPECT_EQ(obj->array_kind, PyValue::ArrayKind::kObject);
  EXPECT_EQ(obj->descr, "|O");
  ASSERT_EQ(obj->items.size(), 3u);
  EXPECT_EQ(Values<int32_t>(obj->items[0]), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(obj->items[1]->str, "two");
  EXPECT_TRUE(obj->items[2]->is_none());
  PyRef fobj = At(d, "fobj");
  ASSERT_EQ(fobj->items.size(), 4u);
  EXPECT_EQ(Int(fobj->items[0]), 1);
  EXPECT_EQ(fobj->items[1]->str, "b");
  EXPECT_EQ(Int(fobj->items[2]), 3);
  EXPECT_EQ(fobj->items[3]->str, "d");

  PyRef uni = At(d, "unicode");
  EXPECT_EQ(uni->array_kind, PyValue::ArrayKind::kString);
  EXPECT_EQ(uni->descr, "<U2");
  EXPECT_EQ(uni->strings, (std::vector<std::string>{"N", "AB", "\xc3\xa9\xe2\x98\x83"}));
  PyRef sarr = At(d, "bytes_arr");
  EXPECT_EQ(sarr->descr, "|S2");
  EXPECT_EQ(sarr->strings, (std::vector<std::string>{"ab", "c"}));

  PyRef scalars = At(d, "scalars");
  ASSERT_EQ(scalars->items.size(), 6u);
  EXPECT_EQ(scalars->items[0]->kind, Kind::kFloat);
  EXPECT_EQ(scalars->items[0]->number, 2.5);
  EXPECT_EQ(Int(scalars->items[1]), -7);
  EXPECT_EQ(scalars->items[2]->number, 0.5);
  EXPECT_EQ(scalars->items[3]->kind, Kind::kBool);
  EXPECT_TRUE(scalars->items[3]->boolean);
  EXPECT_EQ(scalars->items[4]->kind, Kind::kStr);
  EXPECT_EQ(scalars->items[4]->str, "x");
  EXPECT_EQ(Int(scalars->items[5]), 200);
}

INSTANTIATE_TEST_SUITE_P(Protocols, ArraysTest, ::testing::Values(2, 3, 4, 5));

// ------------------------------------------------------------------------------------ dataset shapes

TEST(PickleDatasetsTest, EcgObjectArrayOfRecords) {
  PyRef d = Load("ecg_mini.pkl");
  ASSERT_NE(d, nullptr);
  PyRef data = At(d, "data");
  ASSERT_EQ(data->array_kind, PyValue::ArrayKind::kObject);
  ASSERT_EQ(data->items.size(), 4u);
  const int lengths[] = {5, 3, 6, 2};
  for (int i = 0; i < 4; ++i) {
    std::vector<int32_t> rec = Values<int32_t>(data->items[i]);  // int16 -> int32
    ASSERT_EQ(rec.size(), static_cast<size_t>(lengths[i]));
    for (int k = 0; k < lengths[i]; ++k) EXPECT_EQ(rec[k], k * (i + 1) - 2);
  }
  EXPECT_EQ(At(d, "label")->strings, (std::vector<std::string>{"N", "A", "O", "~"}));
}

TEST(PickleDatasetsTest, SphericalGzippedNestedDicts) {
  PyRef d = Load("s2_mini.gz");
  ASSERT_NE(d, nullptr);
  PyRef train = At(d, "train");
  PyRef images = At(train, "images");
  EXPECT_EQ(images->shape, (Shape{2, 3, 4, 4}));
  std::vector<uint8_t> px = Values<uint8_t>(images);
  for (size_t i = 0; i < px.size(); ++i) ASSERT_EQ(px[i], i);
  EXPECT_EQ(Values<int64_t>(At(train, "labels")), (std::vector<int64_t>{3, 99}));
  EXPECT_EQ(At(At(d, "test"), "images")->shape, (Shape{1, 3, 4, 4}));
}

TEST(PickleDatasetsTest, CifarPython2BytesKeys) {
  PyRef d = Load("cifar_py2.pkl");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->dict[0].first->kind, Kind::kBytes);  // b'filenames'
  PyRef data = At(d, "data");                        // Get matches b'data'
  EXPECT_EQ(data->shape, (Shape{2, 3072}));
  std::vector<uint8_t> px = Values<uint8_t>(data);
  for (size_t i = 0; i < px.size(); ++i) ASSERT_EQ(px[i], i % 256);
  PyRef labels = At(d, "fine_labels");
  EXPECT_EQ(Int(labels->items[0]), 3);
  EXPECT_EQ(Int(labels->items[1]), 71);
  EXPECT_EQ(At(d, "batch_label")->kind, Kind::kBytes);
  EXPECT_EQ(At(d, "filenames")->items[1]->str, "b.png");

  // encoding='latin1': Python 2 str becomes str, the array data still decodes.
  UnpickleOptions latin1;
  latin1.py2_str_as_latin1 = true;
  PyRef l = Load("cifar_py2.pkl", latin1);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->dict[0].first->kind, Kind::kStr);
  EXPECT_EQ(Values<uint8_t>(At(l, "data")), px);
}

TEST(PickleDatasetsTest, PsicovFeatureDicts) {
  absl::StatusOr<Tensor> expected = io::ReadNpy(TestData("psicov_features_expected.npy"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  const std::vector<double> want = expected->ToVector<double>();
  for (const char* file : {"psicov_py2.pkl", "psicov_p4.pkl"}) {
    UnpickleOptions options;
    options.py2_str_as_latin1 = true;  // what PDNet's reader does
    PyRef d = Load(file, options);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(At(d, "seq")->str, "ACDEF") << file;
    const int L = 5;
    const std::pair<const char*, Shape> fields[] = {{"ss", {3, L}},      {"pssm", {L, 22}},   {"sa", {L}},
                                                    {"entropy", {L}},    {"ccmpred", {L, L}}, {"freecon", {L, L}},
                                                    {"potential", {L, L}}};
    std::vector<double> got;
    for (const auto& [key, shape] : fields) {
      PyRef a = At(d, key);
      EXPECT_EQ(a->shape, shape) << file << " " << key;
      for (double x : Values<double>(a)) got.push_back(x);
    }
    EXPECT_EQ(got, want) << file;
  }
}

// ------------------------------------------------------------------------------------ hand-made opcodes

TEST(PickleOpcodesTest, Protocol0TextOpcodes) {
  // (lp0\nI1\naI01\naL12345678901L\naF0.25\naS'a\\x41\\n'\naVx\\u00e9\naNa(I5\nI6\nt.  with POP_MARK, DUP and POP
  const std::string p = "(lp0\nI1\naI01\naL12345678901L\naF0.25\naS'a\\x41\\n'\naVx\\u00e9\naNag0\n0(I9\n1.";
  absl::StatusOr<PyRef> v = Unpickle(p, "p0.pkl");
  ASSERT_TRUE(v.ok()) << v.status();
  const PyValue& l = **v;
  ASSERT_EQ(l.items.size(), 7u);
  EXPECT_EQ(l.items[0]->integer, 1);
  EXPECT_EQ(l.items[1]->kind, Kind::kBool);
  EXPECT_EQ(l.items[2]->integer, 12345678901LL);
  EXPECT_EQ(l.items[3]->number, 0.25);
  EXPECT_EQ(l.items[4]->kind, Kind::kBytes);
  EXPECT_EQ(l.items[4]->str, "aA\n");
  EXPECT_EQ(l.items[5]->str, "x\xc3\xa9");
  EXPECT_TRUE(l.items[6]->is_none());
}

TEST(PickleOpcodesTest, GlobalsAreValuesNotCalls) {
  absl::StatusOr<PyRef> g = Unpickle("\x80\x02" "cnumpy\nfloat64\n.", "g.pkl");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->kind, Kind::kGlobal);
  EXPECT_EQ((*g)->str, "numpy.float64");
  EXPECT_EQ(UnpickleError("cos\nsystem\n(S'rm -rf /'\ntR.", "evil.pkl"),
            "evil.pkl: byte 25 (REDUCE): cannot reconstruct 'os.system' (not a supported constructor; nothing is "
            "executed)");
  EXPECT_THAT(UnpickleError("\x80\x02" "c__main__\nFoo\n)\x81."), HasSubstr("cannot reconstruct '__main__.Foo'"));
}

TEST(PickleOpcodesTest, LongIntegers) {
  // LONG1 with 9 bytes that still fit (redundant sign byte), and one that does not.
  absl::StatusOr<PyRef> ok = Unpickle(std::string("\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\x00.", 14), "l.pkl");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->integer, INT64_MAX);
  EXPECT_THAT(UnpickleError(std::string("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.", 14), "big.pkl"),
              HasSubstr("big.pkl: byte 2 (LONG1): integer of 9 bytes does not fit in int64"));
  EXPECT_THAT(UnpickleError(std::string("\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.", 13)), HasSubstr("(ok)"));
  EXPECT_THAT(UnpickleError("I99999999999999999999\n."), HasSubstr("does not fit in int64"));
}

TEST(PickleOpcodesTest, DictDuplicateKeysKeepLastValue) {
  absl::StatusOr<PyRef> v = Unpickle("(S'a'\nI1\nS'a'\nI2\nd.", "d.pkl");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ((*v)->dict.size(), 1u);
  EXPECT_EQ((*v)->Get("a")->integer, 2);
}

// ------------------------------------------------------------------------------------ hostile input

TEST(PickleErrorsTest, TruncatedAtEveryByte) {
  absl::StatusOr<std::string> bytes = io::ReadFile(TestData("arrays_p4.pkl"));
  ASSERT_TRUE(bytes.ok());
  for (size_t cut = 0; cut < bytes->size(); ++cut) {
    std::string e = UnpickleError(bytes->substr(0, cut), "cut.pkl");
    ASSERT_EQ(e.rfind("cut.pkl: ", 0), 0u) << cut << ": " << e;
  }
  std::string e = UnpickleError(bytes->substr(0, 100), "cut.pkl");
  EXPECT_THAT(e, HasSubstr("cut.pkl: truncated at byte 100 while reading FRAME: frame of"));
  EXPECT_THAT(UnpickleError(B("\x80\x04\x95\x10\x00"), "f.pkl"), HasSubstr("f.pkl: truncated at byte 5 while reading FRAME frame length"));
  EXPECT_THAT(UnpickleError(B("\x80\x03X\x05\x00\x00\x00" "ab"), "u.pkl"),
              HasSubstr("u.pkl: truncated at byte 9 while reading BINUNICODE data (5 bytes needed at byte 7)"));
}

TEST(PickleErrorsTest, WrongMagicAndUnknownOpcodes) {
  EXPECT_EQ(UnpickleError("", "e.pkl"), "e.pkl: empty input, not a pickle");
  EXPECT_THAT(UnpickleError("\x93NUMPY", "n.pkl"), HasSubstr("n.pkl: byte 0 (STACK_GLOBAL): stack underflow"));
  EXPECT_THAT(UnpickleError("\x80\x09.", "v.pkl"), HasSubstr("unsupported pickle protocol 9"));
  EXPECT_THAT(UnpickleError("\x80\x02\xff.", "x.pkl"), HasSubstr("x.pkl: byte 2 (0xff): unknown opcode"));
  EXPECT_THAT(UnpickleError("\x80\x02N", "s.pkl"), HasSubstr("no STOP opcode"));
  EXPECT_THAT(UnpickleError("."), HasSubstr("STOP with an empty stack"));
  EXPECT_THAT(UnpickleError("\x80\x02h\x05."), HasSubstr("memo entry 5 was never stored"));
  EXPECT_THAT(UnpickleError("\x80\x02" "a."), HasSubstr("stack underflow"));
  EXPECT_THAT(UnpickleError("\x80\x02" "K\x01" "K\x02" "a."), HasSubstr("APPEND on a int 1, wanted a list"));
  EXPECT_THAT(UnpickleError("\x80\x02" "e."), HasSubstr("no MARK on the stack"));
  EXPECT_THAT(UnpickleError("\x80\x02" "}(K\x01u."), HasSubstr("odd number of items"));
  EXPECT_THAT(UnpickleError("\x80\x02" "P1\n."), HasSubstr("persistent ids are not supported"));
  EXPECT_THAT(UnpickleError("\x80\x05\x97."), HasSubstr("out-of-band buffers are not supported"));
}

TEST(PickleErrorsTest, AbsurdSizesDoNotAllocate) {
  // BINBYTES8 claiming 2^62 bytes, BINUNICODE claiming 4 GB: truncation errors, no allocation.
  EXPECT_THAT(UnpickleError(std::string("\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x40.", 12), "b8.pkl"),
              HasSubstr("b8.pkl: truncated at byte 12 while reading BINBYTES8 data (4611686018427387904 bytes"));
  EXPECT_THAT(UnpickleError(std::string("\x80\x03X\xff\xff\xff\xff.", 8)), HasSubstr("truncated"));
  EXPECT_THAT(UnpickleError(std::string("\x80\x02T\xff\xff\xff\xff.", 8)), HasSubstr("negative length"));
}

TEST(PickleErrorsTest, RecursionAndDepthLimits) {
  // l = []; l.append(l)
  EXPECT_THAT(UnpickleError(B("\x80\x02]q\x00h\x00" "a."), "rec.pkl"),
              HasSubstr("rec.pkl: byte 7 (APPEND): a list cannot contain itself"));
  // d = {}; d['k'] = [d]  -> the dict is frozen inside the list before SETITEM.
  EXPECT_THAT(UnpickleError(B("\x80\x02}q\x00X\x01\x00\x00\x00" "k]h\x00" "as.")),
              HasSubstr("SETITEM on a dict that is already part of another object"));
  // 5000 nested lists.
  std::string deep = "\x80\x02";
  for (int i = 0; i < 5000; ++i) deep += "]";
  for (int i = 0; i < 4999; ++i) deep += "a";
  deep += ".";
  EXPECT_THAT(UnpickleError(deep, "deep.pkl"), HasSubstr("nesting deeper than 1000"));
  UnpickleOptions small;
  small.max_memo = 3;
  absl::StatusOr<PyRef> memo = Unpickle("\x80\x04N\x94\x94\x94\x94.", "m.pkl", small);
  ASSERT_FALSE(memo.ok());
  EXPECT_THAT(std::string(memo.status().message()), HasSubstr("more than 3 memo entries"));
}

TEST(PickleErrorsTest, ReusedPayloadCannotAmplify) {
  // One 1 MB buffer (memo 0) turned into a new array 200 times through _frombuffer: ~20 bytes of
  // input per megabyte of output. The budget stops it.
  std::string p = B("\x80\x05" "B\x00\x00\x10\x00");
  p += std::string(1 << 20, 'x');
  p += B("\x94" "\x8c\x12" "numpy.core.numeric" "\x8c\x0b" "_frombuffer" "\x93\x94"
         "\x8c\x05" "numpy" "\x8c\x05" "dtype" "\x93" "\x8c\x02" "u1" "\x89\x88\x87R\x94" "0" "0" "0");
  std::string once = B("h\x01(h\x00h\x02J\x00\x00\x10\x00\x85\x8c\x01" "Ct" "R0");
  absl::StatusOr<PyRef> one = Unpickle(p + once + "N.", "one.pkl");
  ASSERT_TRUE(one.ok()) << one.status();
  std::string many = p;
  for (int i = 0; i < 200; ++i) many += once;
  EXPECT_THAT(UnpickleError(many + "N.", "amp.pkl"), HasSubstr("would exceed"));
}

TEST(PickleErrorsTest, BadArrays) {
  // Hand-made: _reconstruct + BUILD whose raw data is one byte short for <f8 (2,).
  const std::string head = B(
      "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\n" "cnumpy\nndarray\n" "K\x00\x85" "C\x01" "b" "\x87R"
      "(K\x01K\x02\x85" "cnumpy\ndtype\n" "X\x02\x00\x00\x00" "f8" "\x89\x88\x87R"
      "(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" "\x89");
  const std::string good = head + "C\x10" + std::string(16, '\0') + "tb.";
  absl::StatusOr<PyRef> ok = Unpickle(good, "a.pkl");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->shape, (Shape{2}));
  std::string e = UnpickleError(head + "C\x0f" + std::string(15, '\0') + "tb.", "a.pkl");
  EXPECT_THAT(e, HasSubstr("a.pkl: byte "));
  EXPECT_THAT(e, HasSubstr("array data of 15 bytes does not match <f8 [2] (2 elements of 8 bytes)"));
  // Unsupported dtypes.
  EXPECT_THAT(UnpickleError(B("\x80\x02" "cnumpy\ndtype\nX\x03\x00\x00\x00" "c16\x89\x88\x87R.")),
              HasSubstr("unsupported NumPy dtype 'c16'"));
  // A subclass of ndarray is refused.
  EXPECT_THAT(UnpickleError(B("\x80\x02" "cnumpy.core.multiarray\n_reconstruct\ncnumpy.ma.core\nMaskedArray\nK\x00\x85"
                              "C\x01" "b\x87R.")),
              HasSubstr("only numpy.ndarray can be reconstructed"));
}

TEST(PickleErrorsTest, MissingFile) {
  absl::StatusOr<PyRef> v = ReadPickle("/nonexistent/x.pkl");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("/nonexistent/x.pkl"));
}

}  // namespace
}  // namespace nb360::tasks
