#include "engine/io/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <tuple>

#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/safetensors.h"
#include "engine/io/tensor_bytes.h"

namespace nb360::io {
namespace {

constexpr std::string_view kPrefix = "ckpt-";
constexpr std::string_view kSuffix = ".safetensors";
// CRC-32 of the safetensors data buffer (tensor bytes in name order), so that damaged tensor data
// is reported instead of silently loaded. Files without it (written by other tools) still load.
constexpr char kCrcKey[] = "nb360.data_crc32";

uint32_t DataCrc32(const NamedTensors& tensors) {
  std::vector<const std::pair<std::string, Tensor>*> sorted;
  for (const auto& nt : tensors) sorted.push_back(&nt);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (const auto* nt : sorted) {
    if (!nt->second.defined()) continue;  // SerializeSafetensors reports it
    const Tensor host = HostContiguous(nt->second);
    const std::string_view bytes = TensorBytes(host);
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  }
  return static_cast<uint32_t>(crc);
}

bool HasPrefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool HasSuffix(std::string_view s, std::string_view x) {
  return s.size() >= x.size() && s.substr(s.size() - x.size()) == x;
}

template <class T>
std::optional<T> ParseDecimal(std::string_view s) {
  T value{};
  const std::from_chars_result r = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

absl::StatusOr<std::string> GetMetadata(const Checkpoint& ckpt, const std::string& key) {
  auto it = ckpt.metadata.find(key);
  if (it == ckpt.metadata.end()) return absl::NotFoundError(StrCat("checkpoint has no metadata '", key, "'"));
  return it->second;
}

struct Found {
  int64_t step;
  std::string name;
};

// The checkpoints in `dir`, ascending by step; ok-and-empty when `dir` does not exist.
absl::StatusOr<std::vector<Found>> ListCheckpoints(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<Found> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return out;
  if (ec) return absl::InternalError(StrCat("cannot list ", dir, ": ", ec.message()));
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (std::optional<int64_t> step = CheckpointStep(name)) {
      if (it->is_regular_file(ec)) out.push_back({*step, name});
    }
  }
  if (ec) return absl::InternalError(StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) {
    return std::tie(a.step, a.name) < std::tie(b.step, b.name);
  });
  return out;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

const Tensor* Checkpoint::Find(std::string_view name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& ckpt) {
  std::map<std::string, std::string> metadata = ckpt.metadata;
  metadata[kCrcKey] = std::to_string(DataCrc32(ckpt.tensors));
  absl::StatusOr<std::string> bytes = SerializeSafetensors(ckpt.tensors, metadata);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), StrCat("cannot write ", path, ": ", bytes.status().message()));
  }
  return WriteFileAtomically(path, *bytes);
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  absl::StatusOr<SafetensorsContents> contents = ReadSafetensors(path);
  if (!contents.ok()) return contents.status();
  Checkpoint ckpt;
  ckpt.tensors = std::move(contents->tensors);
  ckpt.metadata = std::move(contents->metadata);
  if (auto it = ckpt.metadata.find(kCrcKey); it != ckpt.metadata.end()) {
    const std::optional<uint32_t> want = ParseDecimal<uint32_t>(it->second);
    if (!want) return absl::DataLossError(StrCat(path, ": bad ", kCrcKey, " '", it->second, "'"));
    if (*want != DataCrc32(ckpt.tensors)) {
      return absl::DataLossError(StrCat(path, ": corrupt checkpoint: tensor data fails its CRC-32 check"));
    }
    ckpt.metadata.erase(it);
  }
  return ckpt;
}

void SetGeneratorState(Checkpoint* ckpt, std::string_view name, const Generator& gen) {
  ckpt->metadata[StrCat("rng.", name, ".seed")] = std::to_string(gen.seed());
  ckpt->metadata[StrCat("rng.", name, ".offset")] = std::to_string(gen.offset());
}

absl::Status RestoreGeneratorState(const Checkpoint& ckpt, std::string_view name, Generator* gen) {
  uint64_t values[2];
  const std::string keys[2] = {StrCat("rng.", name, ".seed"), StrCat("rng.", name, ".offset")};
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::string> text = GetMetadata(ckpt, keys[i]);
    if (!text.ok()) return text.status();
    std::optional<uint64_t> v = ParseDecimal<uint64_t>(*text);
    if (!v) {
      return absl::InvalidArgumentError(
          StrCat("checkpoint metadata '", keys[i], "' is not an unsigned integer: '", *text, "'"));
    }
    values[i] = *v;
  }
  gen->set_state(values[0], values[1]);
  return absl::OkStatus();
}

void SetInt(Checkpoint* ckpt, std::string_view key, int64_t value) {
  ckpt->metadata[std::string(key)] = std::to_string(value);
}

absl::StatusOr<int64_t> GetInt(const Checkpoint& ckpt, std::string_view key) {
  absl::StatusOr<std::string> text = GetMetadata(ckpt, std::string(key));
  if (!text.ok()) return text.status();
  std::optional<int64_t> v = ParseDecimal<int64_t>(*text);
  if (!v) {
    return absl::InvalidArgumentError(
        StrCat("checkpoint metadata '", key, "' is not an integer: '", *text, "'"));
  }
  return *v;
}

std::string CheckpointPath(const std::string& dir, int64_t step) {
  return Join(dir, StrCat(kPrefix, step, kSuffix));
}

std::optional<int64_t> CheckpointStep(std::string_view basename) {
  if (!HasPrefix(basename, kPrefix) || !HasSuffix(basename, kSuffix)) return std::nullopt;
  const std::string_view digits =
      basename.substr(kPrefix.size(), basename.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return ParseDecimal<int64_t>(digits);
}

absl::StatusOr<std::optional<std::string>> LatestCheckpoint(const std::string& dir) {
  absl::StatusOr<std::vector<Found>> found = ListCheckpoints(dir);
  if (!found.ok()) return found.status();
  for (auto it = found->rbegin(); it != found->rend(); ++it) {
    const std::string path = Join(dir, it->name);
    if (CheckSafetensorsFile(path).ok()) return std::optional<std::string>(path);
  }
  return std::optional<std::string>();
}

absl::Status PruneCheckpoints(const std::string& dir, int keep_last) {
  if (keep_last < 0)
    return absl::InvalidArgumentError(StrCat("PruneCheckpoints: keep_last ", keep_last, " < 0"));
  absl::StatusOr<std::vector<Found>> found = ListCheckpoints(dir);
  if (!found.ok()) return found.status();
  const size_t remove = found->size() > static_cast<size_t>(keep_last) ? found->size() - keep_last : 0;
  for (size_t i = 0; i < remove; ++i) {
    const std::string path = Join(dir, (*found)[i].name);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return absl::InternalError(StrCat("cannot delete ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace nb360::io
