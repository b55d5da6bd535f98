// tasks/common/pickle.h: a Python pickle reader for the data files of the tasks (ECG's
// challenge2017.pkl, Spherical CIFAR-100's s2_cifar100.gz, the CIFAR-100 batches, PSICOV feature
// dicts, object-dtype .npy payloads).
//
// Unpickle turns a pickle (protocols 0-5, as CPython's pickle.py and NumPy write them) into a tree
// of immutable PyValues. It never executes anything: GLOBAL/STACK_GLOBAL produce a kGlobal value,
// and REDUCE/NEWOBJ/BUILD are interpreted only for the constructors below; anything else is an
// error naming the file, the byte offset and the opcode.
//   * NumPy arrays: numpy.core.multiarray._reconstruct + BUILD (version, shape, dtype, is_fortran,
//     raw bytes or an element list), protocol-5 numpy.core.numeric._frombuffer (in-band buffers),
//     numpy.dtype + BUILD (byte order, item size), numpy.core.multiarray.scalar (-> kInt, kFloat,
//     kBool, kStr, kBytes), with the numpy._core.* spellings of NumPy 2.
//   * _codecs.encode(str, 'latin1') (how protocol 2 stores bytes), bytes()/bytearray(),
//     collections.OrderedDict (-> kDict), set/frozenset (-> kList).
// Python 2 strings (STRING, BINSTRING, SHORT_BINSTRING) become kBytes, as with
// pickle.load(encoding='bytes'); UnpickleOptions::py2_str_as_latin1 gives kStr instead.
//
// NumPy dtypes map onto engine dtypes: f8->kFloat64, f4->kFloat32, i8->kInt64, i4->kInt32,
// u1->kUInt8, b1->kBool; converted (exact): f2->kFloat32, i2/i1/u2->kInt32, u4->kInt64,
// u8->kInt64 (values >= 2^63 are an error). Big-endian data is byte-swapped. Object arrays keep
// their elements as PyValues; '<U'/'|S' arrays become strings (UTF-8; trailing NULs dropped).
// Complex, datetime, void and structured dtypes are errors. Fortran-ordered data comes back in C order.
//
// Left out: protocol-0/1 class instances (INST/OBJ), persistent ids, the extension registry,
// out-of-band buffers (NEXT_BUFFER), recursive structures (an object containing itself) and
// integers beyond int64. Limits: nesting depth (default 1000), memo entries (default 2^24), and
// data copied out of existing values (array payloads, re-encoded strings): at most 16x the input
// size + 64 MB, so a small input that reuses one payload many times cannot allocate much.
//
// Example:
//   absl::StatusOr<tasks::PyRef> v = tasks::ReadPickle("/data/challenge2017.pkl");
//   tasks::PyRef labels = (*v)->Get("label");   // an NdArray of strings "N", "A", "O", "~"
#ifndef NB360_TASKS_COMMON_PICKLE_H_
#define NB360_TASKS_COMMON_PICKLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::tasks {

struct PyValue;
using PyRef = std::shared_ptr<const PyValue>;

struct PyValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kStr, kBytes, kList, kTuple, kDict, kNdArray, kGlobal, kDType };
  // What an NdArray holds.
  enum class ArrayKind { kNumeric, kObject, kString };

  Kind kind = Kind::kNone;
  bool boolean = false;     // kBool
  int64_t integer = 0;      // kInt
  double number = 0;        // kFloat
  std::string str;          // kStr (UTF-8), kBytes, kGlobal ("module.name"), kDType (NumPy descr, "<i2")
  std::vector<PyRef> items;                          // kList, kTuple; object arrays (row-major)
  std::vector<std::pair<PyRef, PyRef>> dict;         // kDict, in insertion order
  // kNdArray:
  ArrayKind array_kind = ArrayKind::kNumeric;
  Shape shape;                        // the array's shape (also for object and string arrays)
  std::string descr;                  // the original NumPy dtype, e.g. "<i2", "|O", "<U1"
  Tensor tensor;                      // kNumeric: contiguous CPU tensor of `shape` (converted dtype)
  std::vector<std::string> strings;   // kString: row-major elements
  // Nesting depth: 0 for scalars, 1 + the deepest element for containers.
  uint32_t depth = 0;

  bool is_none() const { return kind == Kind::kNone; }
  bool is_str_or_bytes() const { return kind == Kind::kStr || kind == Kind::kBytes; }
  // For kDict: the value whose key is the Str or Bytes `key` (b'data' matches "data"); null if absent.
  PyRef Get(std::string_view key) const;
  // For kDict: the keys that are Str or Bytes, in order.
  std::vector<std::string> StringKeys() const;
  // A short description for error messages: "dict with 2 keys", "ndarray <i2 (3, 4)", "str 'abc'".
  std::string Describe() const;
};

std::string_view PyKindName(PyValue::Kind kind);

struct UnpickleOptions {
  bool py2_str_as_latin1 = false;  // Python 2 str -> kStr (latin-1 decoded) instead of kBytes
  uint32_t max_depth = 1000;
  uint64_t max_memo = uint64_t{1} << 24;
};

// Parses pickle bytes; `name_for_errors` starts every error message.
absl::StatusOr<PyRef> Unpickle(std::string_view bytes, std::string_view name_for_errors,
                               const UnpickleOptions& options = {});

// Unpickle of the file's contents, gunzipped first when they start with the gzip magic.
absl::StatusOr<PyRef> ReadPickle(const std::string& path, const UnpickleOptions& options = {});

// Builds an NdArray value from NumPy's description: `descr` ("<f8", "|u1", "<U3", ...), shape,
// and the raw bytes in C order (or Fortran order when `fortran`). Used by the pickle and .npy
// readers; errors start with `name_for_errors`.
absl::StatusOr<PyRef> MakeNdArray(std::string_view descr, const Shape& shape, bool fortran, std::string_view raw,
                                  std::string_view name_for_errors);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_PICKLE_H_
