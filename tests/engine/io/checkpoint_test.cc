#include "engine/io/checkpoint.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/io/atomic_file.h"
#include "engine/io/safetensors.h"
#include "gtest/gtest.h"
#include "tests/engine/io/io_test_util.h"

namespace nb360::io {
namespace {

using testing::FreshDir;
using testing::SameTensor;

bool Mentions(const absl::Status& s, const std::string& what) {
  return s.message().find(what) != absl::string_view::npos;
}

Checkpoint MakeCheckpoint(int64_t step) {
  Checkpoint c;
  c.tensors = {{"fc.weight", Tensor::Full({2, 3}, static_cast<double>(step))},
               {"fc.bias", Tensor::Arange(3, DType::kInt64)}};
  SetInt(&c, "step", step);
  return c;
}

bool Exists(const std::string& path) { return FileSize(path).ok(); }

TEST(CheckpointTest, RoundTripsTensorsProgressAndGeneratorState) {
  const std::string dir = FreshDir("ckpt_roundtrip");
  Generator data_rng(1234, 0);
  for (int i = 0; i < 5; ++i) data_rng.NextUint64();  // advance the stream
  Generator init_rng(std::numeric_limits<uint64_t>::max(), uint64_t{1} << 40);

  Checkpoint c;
  c.tensors = {{"w", Tensor::Arange(6, DType::kFloat32).Reshape({2, 3}).Transpose(0, 1)},
               {"mask", Tensor::Ones({4}, DType::kBool)}};
  c.metadata["arch"] = "resnet";
  SetInt(&c, "epoch", 3);
  SetInt(&c, "step", -1);  // negative values survive too
  SetGeneratorState(&c, "data", data_rng);
  SetGeneratorState(&c, "init", init_rng);
  const std::string path = CheckpointPath(dir, 120);
  ASSERT_TRUE(SaveCheckpoint(path, c).ok());

  absl::StatusOr<Checkpoint> back = LoadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_NE(back->Find("w"), nullptr);
  EXPECT_TRUE(SameTensor(*back->Find("w"), c.tensors[0].second.Contiguous()));
  EXPECT_TRUE(SameTensor(*back->Find("mask"), c.tensors[1].second));
  EXPECT_EQ(back->Find("nope"), nullptr);
  EXPECT_EQ(back->metadata.at("arch"), "resnet");
  EXPECT_EQ(back->metadata, c.metadata);  // the CRC entry is checked and removed
  EXPECT_EQ(*GetInt(*back, "epoch"), 3);
  EXPECT_EQ(*GetInt(*back, "step"), -1);

  Generator resumed;
  ASSERT_TRUE(RestoreGeneratorState(*back, "data", &resumed).ok());
  EXPECT_EQ(resumed.seed(), 1234u);
  EXPECT_EQ(resumed.offset(), data_rng.offset());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(resumed.NextUint64(), data_rng.NextUint64());
  Generator init_back;
  ASSERT_TRUE(RestoreGeneratorState(*back, "init", &init_back).ok());
  EXPECT_EQ(init_back.seed(), init_rng.seed());
  EXPECT_EQ(init_back.offset(), init_rng.offset());
}

TEST(CheckpointTest, LoadsSafetensorsFromOtherToolsWithoutCrc) {
  const std::string path = FreshDir("ckpt_foreign") + "/model.safetensors";
  absl::StatusOr<std::string> bytes = SerializeSafetensors({{"w", Tensor::Ones({2})}}, {{"epoch", "4"}});
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(WriteFileAtomically(path, *bytes).ok());
  absl::StatusOr<Checkpoint> c = LoadCheckpoint(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*GetInt(*c, "epoch"), 4);
  EXPECT_TRUE(SameTensor(*c->Find("w"), Tensor::Ones({2})));
}

TEST(CheckpointTest, MetadataErrors) {
  Checkpoint c;
  c.metadata["epoch"] = "three";
  c.metadata["rng.x.seed"] = "1";
  c.metadata["rng.x.offset"] = "-5";
  EXPECT_TRUE(absl::IsNotFound(GetInt(c, "step").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(GetInt(c, "epoch").status()));
  Generator g;
  EXPECT_TRUE(absl::IsNotFound(RestoreGeneratorState(c, "y", &g)));
  absl::Status s = RestoreGeneratorState(c, "x", &g);
  EXPECT_TRUE(absl::IsInvalidArgument(s) && Mentions(s, "rng.x.offset")) << s;
}

TEST(CheckpointTest, PathsAndSteps) {
  EXPECT_EQ(CheckpointPath("/runs/a", 7), "/runs/a/ckpt-7.safetensors");
  EXPECT_EQ(CheckpointPath("/runs/a/", 7), "/runs/a/ckpt-7.safetensors");
  EXPECT_EQ(CheckpointStep("ckpt-120.safetensors"), 120);
  EXPECT_EQ(CheckpointStep("ckpt-007.safetensors"), 7);
  EXPECT_EQ(CheckpointStep("ckpt-.safetensors"), std::nullopt);
  EXPECT_EQ(CheckpointStep("ckpt--1.safetensors"), std::nullopt);
  EXPECT_EQ(CheckpointStep("ckpt-1.safetensors.tmp"), std::nullopt);
  EXPECT_EQ(CheckpointStep(".ckpt-1.safetensors.tmp.1.2.3"), std::nullopt);
  EXPECT_EQ(CheckpointStep("ckpt-99999999999999999999.safetensors"), std::nullopt);
}

TEST(CheckpointTest, LatestPicksTheNewestCompleteCheckpoint) {
  const std::string dir = FreshDir("ckpt_latest");
  absl::StatusOr<std::optional<std::string>> latest = LatestCheckpoint(dir);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_FALSE(latest->has_value());  // empty directory
  for (int64_t step : {5, 10, 9})
    ASSERT_TRUE(SaveCheckpoint(CheckpointPath(dir, step), MakeCheckpoint(step)).ok());
  // Newer but incomplete (cut short), a temp file, and unrelated names are all ignored.
  const std::string good = testing::ReadBytes(CheckpointPath(dir, 10));
  testing::WriteBytes(CheckpointPath(dir, 12), good.substr(0, good.size() - 3));
  testing::WriteBytes(dir + "/.ckpt-20.safetensors.tmp.1.2.3", good);
  testing::WriteBytes(dir + "/ckpt-abc.safetensors", good);
  testing::WriteBytes(dir + "/notes.txt", "x");
  latest = LatestCheckpoint(dir);
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ(**latest, CheckpointPath(dir, 10));
  absl::StatusOr<Checkpoint> c = LoadCheckpoint(**latest);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*GetInt(*c, "step"), 10);
}

TEST(CheckpointTest, LatestInAMissingDirectoryIsNone) {
  absl::StatusOr<std::optional<std::string>> latest = LatestCheckpoint(testing::TempDir() + "/no/such/dir");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_FALSE(latest->has_value());
  const std::string file = FreshDir("ckpt_notdir") + "/file";
  testing::WriteBytes(file, "x");
  EXPECT_FALSE(LatestCheckpoint(file).ok());
}

TEST(CheckpointTest, PruneKeepsTheLastN) {
  const std::string dir = FreshDir("ckpt_prune");
  for (int64_t step : {1, 2, 3, 10, 20}) {
    ASSERT_TRUE(SaveCheckpoint(CheckpointPath(dir, step), MakeCheckpoint(step)).ok());
  }
  testing::WriteBytes(dir + "/notes.txt", "x");
  ASSERT_TRUE(PruneCheckpoints(dir, 2).ok());
  for (int64_t step : {1, 2, 3}) EXPECT_FALSE(Exists(CheckpointPath(dir, step))) << step;
  for (int64_t step : {10, 20}) EXPECT_TRUE(Exists(CheckpointPath(dir, step))) << step;
  EXPECT_TRUE(Exists(dir + "/notes.txt"));
  ASSERT_TRUE(PruneCheckpoints(dir, 5).ok());
  EXPECT_TRUE(Exists(CheckpointPath(dir, 10)));
  EXPECT_FALSE(PruneCheckpoints(dir, -1).ok());
  ASSERT_TRUE(PruneCheckpoints(dir, 0).ok());
  EXPECT_FALSE(Exists(CheckpointPath(dir, 20)));
}

TEST(CheckpointTest, TruncatedOrCorruptFilesAreClearErrors) {
  const std::string dir = FreshDir("ckpt_corrupt");
  const std::string path = CheckpointPath(dir, 1);
  ASSERT_TRUE(SaveCheckpoint(path, MakeCheckpoint(1)).ok());
  const std::string whole = testing::ReadBytes(path);
  for (size_t n = 0; n < whole.size(); n += 7) {
    testing::WriteBytes(path, whole.substr(0, n));
    absl::StatusOr<Checkpoint> c = LoadCheckpoint(path);
    ASSERT_FALSE(c.ok()) << n;
    EXPECT_TRUE(Mentions(c.status(), path)) << c.status();
  }
  // A flipped bit in the tensor data is caught by the stored CRC-32.
  std::string flipped = whole;
  flipped[flipped.size() - 5] ^= 0x10;
  testing::WriteBytes(path, flipped);
  absl::StatusOr<Checkpoint> bad = LoadCheckpoint(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsDataLoss(bad.status())) << bad.status();
  EXPECT_TRUE(Mentions(bad.status(), path) && Mentions(bad.status(), "CRC-32")) << bad.status();
  testing::WriteBytes(path, std::string(64, '\xff'));
  absl::StatusOr<Checkpoint> c = LoadCheckpoint(path);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Mentions(c.status(), path)) << c.status();
  c = LoadCheckpoint(dir + "/missing.safetensors");
  EXPECT_TRUE(absl::IsNotFound(c.status())) << c.status();
}

}  // namespace
}  // namespace nb360::io
