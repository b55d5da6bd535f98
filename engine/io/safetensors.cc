#include "engine/io/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/byte_io.h"
#include "engine/io/json.h"

namespace nb360::io {
namespace {

constexpr std::string_view kMetadataKey = "__metadata__";
constexpr uint64_t kMaxHeaderSize = 100'000'000;  // the reference loader's limit
constexpr size_t kPrefixSize = 8;

struct Entry {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Header {
  std::vector<Entry> entries;  // sorted by (begin, end)
  std::map<std::string, std::string> metadata;
};

std::optional<DType> DTypeFromName(std::string_view s) {
  for (DType d :
       {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kUInt8, DType::kBool}) {
    if (SafetensorsDType(d) == s) return d;
  }
  return std::nullopt;
}

absl::Status Error(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": ", what));
}

absl::Status EntryError(std::string_view name, std::string_view tensor, std::string_view what) {
  return Error(name, StrCat("bad safetensors header: tensor '", tensor, "': ", what));
}

// Non-negative ints from a JSON array, or nullopt.
std::optional<std::vector<int64_t>> NonNegativeInts(const JsonValue& v) {
  if (!v.is_array()) return std::nullopt;
  std::vector<int64_t> out;
  for (const JsonValue& e : v.as_array()) {
    if (!e.is_int() || e.as_int() < 0) return std::nullopt;
    out.push_back(e.as_int());
  }
  return out;
}

// Parses and checks the JSON header against a data buffer of `data_size` bytes.
absl::StatusOr<Header> ParseHeader(std::string_view json, uint64_t data_size, std::string_view name) {
  absl::StatusOr<JsonValue> root = ParseJson(json);
  if (!root.ok()) return Error(name, StrCat("bad safetensors header: ", root.status().message()));
  if (!root->is_object()) return Error(name, "bad safetensors header: not a JSON object");
  Header header;
  for (const auto& [key, value] : root->as_object()) {
    if (key == kMetadataKey) {
      if (!value.is_object()) return Error(name, "bad safetensors header: __metadata__ is not an object");
      for (const auto& [mk, mv] : value.as_object()) {
        if (!mv.is_string()) {
          return Error(name,
                       StrCat("bad safetensors header: __metadata__ value of '", mk, "' is not a string"));
        }
        header.metadata[mk] = mv.as_string();
      }
      continue;
    }
    if (!value.is_object()) return EntryError(name, key, "not an object");
    Entry e;
    e.name = key;
    const JsonValue* dtype = value.Find("dtype");
    const JsonValue* shape = value.Find("shape");
    const JsonValue* offsets = value.Find("data_offsets");
    if (!dtype || !shape || !offsets) return EntryError(name, key, "wants dtype, shape and data_offsets");
    if (!dtype->is_string()) return EntryError(name, key, "dtype is not a string");
    std::optional<DType> d = DTypeFromName(dtype->as_string());
    if (!d) {
      return EntryError(
          name, key,
          StrCat("unsupported dtype '", dtype->as_string(), "' (supported: F32 F64 I64 I32 U8 BOOL)"));
    }
    e.dtype = *d;
    std::optional<std::vector<int64_t>> dims = NonNegativeInts(*shape);
    if (!dims) return EntryError(name, key, "shape is not a list of non-negative integers");
    e.shape = *dims;
    std::optional<std::vector<int64_t>> range = NonNegativeInts(*offsets);
    if (!range || range->size() != 2 || (*range)[0] > (*range)[1]) {
      return EntryError(name, key, "data_offsets is not [begin, end] with 0 <= begin <= end");
    }
    e.begin = static_cast<uint64_t>((*range)[0]);
    e.end = static_cast<uint64_t>((*range)[1]);
    absl::StatusOr<int64_t> nbytes = ByteCount(e.shape, e.dtype);
    if (!nbytes.ok()) return EntryError(name, key, std::string(nbytes.status().message()));
    if (static_cast<uint64_t>(*nbytes) != e.end - e.begin) {
      return EntryError(name, key,
                        StrCat("shape ", ShapeString(e.shape), " ", dtype->as_string(), " needs ", *nbytes,
                               " bytes, data_offsets span ", e.end - e.begin));
    }
    header.entries.push_back(std::move(e));
  }
  std::sort(header.entries.begin(), header.entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  // The tensors must tile the data buffer: no gaps, no overlaps, nothing missing at the end.
  uint64_t expected = 0;
  for (const Entry& e : header.entries) {
    if (e.begin != expected) {
      return EntryError(
          name, e.name,
          StrCat("data starts at ", e.begin, ", expected ", expected, " (gap or overlap in data_offsets)"));
    }
    expected = e.end;
  }
  if (expected != data_size) {
    return Error(name,
                 StrCat(expected > data_size ? "truncated safetensors file: " : "corrupt safetensors file: ",
                        "header describes ", expected, " bytes of tensor data, file has ", data_size));
  }
  return header;
}

// The header length from the 8-byte prefix, checked against the file size.
absl::StatusOr<uint64_t> HeaderLength(std::string_view prefix, uint64_t file_size, std::string_view name) {
  if (prefix.size() < kPrefixSize) {
    return Error(name, StrCat("truncated safetensors file (", file_size, " bytes)"));
  }
  const uint64_t n = GetLE<uint64_t>(prefix.data());
  if (n > kMaxHeaderSize) {
    return Error(name, StrCat("not a safetensors file: header length ", n, " exceeds 100 MB"));
  }
  if (n > file_size - kPrefixSize) {
    return Error(name, StrCat("truncated safetensors file: header of ", n, " bytes, file has ", file_size));
  }
  return n;
}

}  // namespace

std::string_view SafetensorsDType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "F32";
    case DType::kFloat64:
      return "F64";
    case DType::kInt64:
      return "I64";
    case DType::kInt32:
      return "I32";
    case DType::kUInt8:
      return "U8";
    case DType::kBool:
      return "BOOL";
  }
  return "?";
}

absl::StatusOr<std::string> SerializeSafetensors(const NamedTensors& tensors,
                                                 const std::map<std::string, std::string>& metadata) {
  std::vector<const std::pair<std::string, Tensor>*> sorted;
  std::set<std::string_view> seen;
  for (const auto& nt : tensors) {
    if (nt.first.empty() || nt.first == kMetadataKey) {
      return absl::InvalidArgumentError(StrCat("safetensors: invalid tensor name '", nt.first, "'"));
    }
    if (!seen.insert(nt.first).second) {
      return absl::InvalidArgumentError(StrCat("safetensors: duplicate tensor name '", nt.first, "'"));
    }
    if (!nt.second.defined()) {
      return absl::InvalidArgumentError(StrCat("safetensors: tensor '", nt.first, "' is undefined"));
    }
    sorted.push_back(&nt);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });

  JsonValue header = JsonValue::MakeObject();
  if (!metadata.empty()) {
    JsonValue meta = JsonValue::MakeObject();
    for (const auto& [k, v] : metadata) meta.Set(k, v);
    header.Set(kMetadataKey, std::move(meta));
  }
  std::vector<Tensor> hosts;
  hosts.reserve(sorted.size());
  uint64_t offset = 0;
  for (const auto* nt : sorted) {
    hosts.push_back(HostContiguous(nt->second));
    const Tensor& h = hosts.back();
    const uint64_t nbytes = static_cast<uint64_t>(h.numel()) * DTypeSize(h.dtype());
    JsonValue shape = JsonValue::MakeArray();
    for (int64_t s : h.shape()) shape.Append(s);
    JsonValue info = JsonValue::MakeObject();
    info.Set("dtype", SafetensorsDType(h.dtype()));
    info.Set("shape", std::move(shape));
    info.Set("data_offsets", JsonValue::Array{JsonValue(offset), JsonValue(offset + nbytes)});
    header.Set(nt->first, std::move(info));
    offset += nbytes;
  }
  std::string json = header.Serialize();
  json.append((kPrefixSize - json.size() % kPrefixSize) % kPrefixSize, ' ');  // align the data
  std::string out;
  out.reserve(kPrefixSize + json.size() + offset);
  PutLE<uint64_t>(&out, json.size());
  out.append(json);
  for (const Tensor& h : hosts) out.append(TensorBytes(h));
  return out;
}

absl::Status WriteSafetensors(const std::string& path, const NamedTensors& tensors,
                              const std::map<std::string, std::string>& metadata) {
  absl::StatusOr<std::string> bytes = SerializeSafetensors(tensors, metadata);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), StrCat("cannot write ", path, ": ", bytes.status().message()));
  }
  return WriteFileAtomically(path, *bytes);
}

absl::StatusOr<SafetensorsContents> ParseSafetensors(std::string_view bytes, std::string_view name) {
  absl::StatusOr<uint64_t> n = HeaderLength(bytes, bytes.size(), name);
  if (!n.ok()) return n.status();
  const std::string_view data = bytes.substr(kPrefixSize + *n);
  absl::StatusOr<Header> header = ParseHeader(bytes.substr(kPrefixSize, *n), data.size(), name);
  if (!header.ok()) return header.status();
  SafetensorsContents out;
  out.metadata = std::move(header->metadata);
  for (const Entry& e : header->entries) {
    out.tensors.emplace_back(e.name,
                             TensorFromBytes(e.shape, e.dtype, data.substr(e.begin, e.end - e.begin)));
  }
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

absl::StatusOr<SafetensorsContents> ReadSafetensors(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseSafetensors(*bytes, path);
}

absl::Status CheckSafetensorsFile(const std::string& path) {
  absl::StatusOr<uint64_t> size = FileSize(path);
  if (!size.ok()) return size.status();
  absl::StatusOr<std::string> prefix = ReadFileRange(path, 0, kPrefixSize);
  if (!prefix.ok()) return prefix.status();
  absl::StatusOr<uint64_t> n = HeaderLength(*prefix, *size, path);
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> json = ReadFileRange(path, kPrefixSize, *n);
  if (!json.ok()) return json.status();
  if (json->size() != *n) return Error(path, "truncated safetensors file: the file shrank while reading");
  return ParseHeader(*json, *size - kPrefixSize - *n, path).status();
}

}  // namespace nb360::io
