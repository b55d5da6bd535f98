#include "engine/io/npz.h"

#include <set>
#include <utility>
#include <vector>

#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/npy.h"
#include "engine/io/zip.h"

namespace nb360::io {
namespace {

constexpr std::string_view kSuffix = ".npy";

}  // namespace

absl::StatusOr<NamedTensors> ParseNpz(std::string_view bytes, std::string_view name_for_errors) {
  absl::StatusOr<std::vector<ZipMember>> members = ParseZip(bytes, name_for_errors);
  if (!members.ok()) return members.status();
  NamedTensors out;
  out.reserve(members->size());
  std::set<std::string> seen;
  for (ZipMember& m : *members) {
    if (m.name.size() < kSuffix.size() ||
        std::string_view(m.name).substr(m.name.size() - kSuffix.size()) != kSuffix) {
      return absl::InvalidArgumentError(
          StrCat(name_for_errors, ": member '", m.name, "' is not a .npy array"));
    }
    std::string name = m.name.substr(0, m.name.size() - kSuffix.size());
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(StrCat(name_for_errors, ": duplicate member '", m.name, "'"));
    }
    absl::StatusOr<Tensor> t = ParseNpy(m.data, StrCat(name_for_errors, ": member '", m.name, "'"));
    if (!t.ok()) return t.status();
    std::string().swap(m.data);  // free the member bytes as we go
    out.emplace_back(std::move(name), *std::move(t));
  }
  return out;
}

absl::StatusOr<NamedTensors> ReadNpz(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpz(*bytes, path);
}

absl::StatusOr<std::map<std::string, Tensor>> ReadNpzMap(const std::string& path) {
  absl::StatusOr<NamedTensors> list = ReadNpz(path);
  if (!list.ok()) return list.status();
  std::map<std::string, Tensor> out;
  for (auto& [name, t] : *list) out.emplace(std::move(name), std::move(t));
  return out;
}

absl::StatusOr<std::string> SerializeNpz(const NamedTensors& tensors, bool force_zip64) {
  std::set<std::string_view> seen;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name.size() > 60000 || name.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(StrCat("npz: invalid member name '", name, "'"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(StrCat("npz: duplicate member name '", name, "'"));
    }
    if (!t.defined()) return absl::InvalidArgumentError(StrCat("npz: tensor '", name, "' is undefined"));
  }
  ZipWriter writer(force_zip64);
  for (const auto& [name, t] : tensors) writer.AddStored(StrCat(name, kSuffix), SerializeNpy(t));
  return std::move(writer).Finish();
}

absl::Status WriteNpz(const std::string& path, const NamedTensors& tensors) {
  absl::StatusOr<std::string> bytes = SerializeNpz(tensors);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), StrCat("cannot write ", path, ": ", bytes.status().message()));
  }
  return WriteFileAtomically(path, *bytes);
}

}  // namespace nb360::io
