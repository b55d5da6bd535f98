// engine/io/checkpoint.h: training checkpoints as safetensors files.
//
// A Checkpoint is named tensors plus string metadata, stored as one safetensors file written
// atomically (so PyTorch users can open it too). The file's metadata also carries
// "nb360.data_crc32", a CRC-32 of the tensor data that LoadCheckpoint verifies and removes. Helpers keep
// generator states ("rng.<name>.seed", "rng.<name>.offset") and integer progress values ("epoch", "step") in
// the metadata. A run writes <dir>/ckpt-<step>.safetensors; LatestCheckpoint picks the newest complete one to
// resume from and PruneCheckpoints keeps the last few.
//
// Example:
//   io::Checkpoint c;
//   c.tensors = {{"fc.weight", w}};
//   io::SetGeneratorState(&c, "data", data_rng);
//   io::SetInt(&c, "step", step);
//   absl::Status s = io::SaveCheckpoint(io::CheckpointPath(dir, step), c);
//   ...
//   absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(dir);
//   if (latest.ok() && latest->has_value()) { auto c = io::LoadCheckpoint(**latest); ... }
#ifndef NB360_ENGINE_IO_CHECKPOINT_H_
#define NB360_ENGINE_IO_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/rng.h"
#include "engine/tensor.h"

namespace nb360::io {

struct Checkpoint {
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::map<std::string, std::string> metadata;

  // The tensor with this name, or nullptr.
  const Tensor* Find(std::string_view name) const;
};

absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& ckpt);
// Any failure (missing, truncated, corrupt file) is an error naming the file.
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

// Generator (seed, offset) under "rng.<name>.seed" / "rng.<name>.offset".
void SetGeneratorState(Checkpoint* ckpt, std::string_view name, const Generator& gen);
absl::Status RestoreGeneratorState(const Checkpoint& ckpt, std::string_view name, Generator* gen);

// Integer metadata values (decimal strings), e.g. "epoch", "step".
void SetInt(Checkpoint* ckpt, std::string_view key, int64_t value);
absl::StatusOr<int64_t> GetInt(const Checkpoint& ckpt, std::string_view key);

// <dir>/ckpt-<step>.safetensors
std::string CheckpointPath(const std::string& dir, int64_t step);
// The step of a "ckpt-<step>.safetensors" base name, or nullopt for any other name.
std::optional<int64_t> CheckpointStep(std::string_view basename);

// The path of the highest-step complete checkpoint in `dir` (incomplete or corrupt ones are
// skipped); nullopt when there is none or `dir` does not exist.
absl::StatusOr<std::optional<std::string>> LatestCheckpoint(const std::string& dir);

// Deletes all but the `keep_last` highest-step checkpoints in `dir`.
absl::Status PruneCheckpoints(const std::string& dir, int keep_last);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_CHECKPOINT_H_
