// tests/tasks/cosmic/cosmic_prepare_test.cc: Prepare on small deepCR-format trees and tars (written here
// with our .npy and tar writers), the round trip to Build, and broken inputs.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "engine/io/npy.h"
#include "gtest/gtest.h"
#include "tasks/common/canonical.h"
#include "tasks/common/tar.h"
#include "tasks/cosmic/cosmic.h"
#include "tasks/cosmic/cosmic_raw.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSide = 200;

// A (planes, 200, 200) float32 stack: image = id * 1e5 + 200 r + c, mask = (r + c) % 2,
// ignore = (r % 3 == 0).
Tensor Stack(int id, int64_t planes = 3) {
  Tensor t = Tensor::Empty({planes, kSide, kSide});
  float* p = t.data<float>();
  for (int64_t r = 0; r < kSide; ++r) {
    for (int64_t c = 0; c < kSide; ++c) {
      p[r * kSide + c] = static_cast<float>(id * 100000 + 200 * r + c);
      p[kSide * kSide + r * kSide + c] = static_cast<float>((r + c) % 2);
      if (planes == 3) p[2 * kSide * kSide + r * kSide + c] = r % 3 == 0 ? 1.f : 0.f;
    }
  }
  return t;
}

// rel path (below npy_<split>/) -> .npy bytes
using Files = std::vector<std::pair<std::string, std::string>>;

Files TrainFiles() {
  return {
      {"f435w/10760/2/1_a.npy", io::SerializeNpy(Stack(1))},
      {"f435w/10760/2/2_b.npy", io::SerializeNpy(Stack(2))},
      {"f435w/10760/2/sky.npy", io::SerializeNpy(Tensor::FromVector<double>({10.0, 20.0}, {2}))},
      {"f435w/10631/3/1_c.npy", io::SerializeNpy(Stack(3))},  // EX visit: left out
      {"f814w/10760/2/1_d.npy", io::SerializeNpy(Stack(4))},  // other filter: left out
      {"f435w/13737/3/x_e.npy", io::SerializeNpy(Stack(5))},  // GAL, no sky.npy: sky 0
      {"f435w/10182/pb/1_f.npy", io::SerializeNpy(Stack(6, 2))},  // two planes: ignore zeros
      {"f435w/10182/pb/notes.txt", "hello"},
  };
}

Files TestFiles() { return {{"f435w/12513/2/1_t.npy", io::SerializeNpy(Stack(7))}}; }

std::string NewDir(const std::string& name) {
  const std::string d = absl::StrCat(::testing::TempDir(), "/cosmic_", name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void WriteTree(const std::string& root, const std::string& split, const Files& files) {
  for (const auto& [rel, bytes] : files) {
    const fs::path p = fs::path(root) / absl::StrCat("npy_", split) / rel;
    fs::create_directories(p.parent_path());
    ASSERT_TRUE(io::WriteFileAtomically(p.string(), bytes).ok());
  }
}

void WriteTar(const std::string& root, const std::string& split, const Files& files) {
  TarWriter w;
  for (const auto& [rel, bytes] : files) w.AddFile(absl::StrCat("npy_", split, "/", rel), bytes);
  ASSERT_TRUE(io::WriteFileAtomically(absl::StrCat(root, "/deepCR.ACS-WFC.", split, ".tar"), std::move(w).Finish()).ok());
}

absl::Status PrepareInto(const std::string& raw, const std::string& out, bool allow = true) {
  CosmicTask task;
  return task.Prepare(raw, out, {.allow_count_mismatch = allow, .threads = 2});
}

void ExpectCrop(const float* s, int id, bool has_ignore) {
  for (int64_t r = 0; r < 128; r += 17) {
    for (int64_t c = 0; c < 128; c += 13) {
      const int64_t R = r + 64, C = c + 64;
      ASSERT_EQ(s[r * 128 + c], static_cast<float>(id * 100000 + 200 * R + C));
      ASSERT_EQ(s[128 * 128 + r * 128 + c], static_cast<float>((R + C) % 2));
      ASSERT_EQ(s[2 * 128 * 128 + r * 128 + c], has_ignore && R % 3 == 0 ? 1.f : 0.f);
    }
  }
}

TEST(CosmicPrepare, TreeSelectsSortsCropsAndReadsSky) {
  const std::string raw = NewDir("tree_raw");
  WriteTree(raw, "train", TrainFiles());
  WriteTree(raw, "test", TestFiles());
  const std::string out = NewDir("tree_out") + "/ds";
  ASSERT_TRUE(PrepareInto(raw, out).ok());
  absl::StatusOr<Dataset> d = OpenDataset(out, "cosmic");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "real");
  const ArrayView& x = d->arrays.at("train_x");
  ASSERT_EQ(x.shape, (Shape{4, 3, 128, 128}));
  // Sorted: 10182/pb/1_f, 10760/2/1_a, 10760/2/2_b, 13737/3/x_e.
  const int ids[] = {6, 1, 2, 5};
  for (int i = 0; i < 4; ++i) ExpectCrop(x.data<float>() + i * 3 * 128 * 128, ids[i], ids[i] != 6);
  const double* sky = d->arrays.at("train_sky").data<double>();
  EXPECT_EQ(sky[0], 0.0);
  EXPECT_EQ(sky[1], 10.0);
  EXPECT_EQ(sky[2], 20.0);
  EXPECT_EQ(sky[3], 0.0);
  ASSERT_EQ(d->arrays.at("test_x").shape, (Shape{1, 3, 128, 128}));
  ExpectCrop(d->arrays.at("test_x").data<float>(), 7, true);

  // Round trip into Build (search: int(0.9 * 4) = 3 train, 1 validation).
  CosmicTask task;
  absl::StatusOr<TaskData> built = task.Build(*d, {.mode = RunMode::kSearch});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->train->size(), 3);
  EXPECT_EQ(built->val->size(), 1);
  EXPECT_EQ(built->test->size(), 1);
}

TEST(CosmicPrepare, TarGivesTheSameDataset) {
  const std::string tree = NewDir("cmp_tree");
  WriteTree(tree, "train", TrainFiles());
  WriteTree(tree, "test", TestFiles());
  const std::string tar = NewDir("cmp_tar");
  WriteTar(tar, "train", TrainFiles());
  WriteTar(tar, "test", TestFiles());
  const std::string out = NewDir("cmp_out");
  ASSERT_TRUE(PrepareInto(tree, out + "/a").ok());
  absl::Status s = PrepareInto(tar, out + "/b");
  ASSERT_TRUE(s.ok()) << s;
  absl::StatusOr<Dataset> a = OpenDataset(out + "/a"), b = OpenDataset(out + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* name : {"train_x", "train_sky", "test_x", "test_sky"}) {
    const ArrayView &va = a->arrays.at(name), &vb = b->arrays.at(name);
    ASSERT_EQ(va.shape, vb.shape) << name;
    EXPECT_EQ(0, std::memcmp(va.raw, vb.raw, va.numel() * DTypeSize(va.dtype))) << name;
  }
}

TEST(CosmicPrepare, CountsAreCheckedUnlessAllowed) {
  const std::string raw = NewDir("count_raw");
  WriteTree(raw, "train", TrainFiles());
  WriteTree(raw, "test", TestFiles());
  absl::Status s = PrepareInto(raw, NewDir("count_out") + "/ds", /*allow=*/false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("4830"), std::string::npos) << s;
  EXPECT_NE(s.message().find("npy_train"), std::string::npos) << s;
}

// Prepare on a tree whose training split is TrainFiles() plus `extra`; returns the error message.
std::string PrepareError(const std::string& name, const Files& extra) {
  const std::string raw = NewDir(name);
  Files files = TrainFiles();
  files.insert(files.end(), extra.begin(), extra.end());
  WriteTree(raw, "train", files);
  WriteTree(raw, "test", TestFiles());
  absl::Status s = PrepareInto(raw, NewDir(name + "_out") + "/ds");
  EXPECT_FALSE(s.ok());
  return std::string(s.message());
}

TEST(CosmicPrepare, BrokenInputsNameFileAndProblem) {
  const std::string truncated = io::SerializeNpy(Stack(8)).substr(0, 5000);
  std::string msg = PrepareError("trunc", {{"f435w/10760/4/1_z.npy", truncated}});
  EXPECT_NE(msg.find("10760/4/1_z.npy"), std::string::npos) << msg;

  msg = PrepareError("shape", {{"f435w/10760/4/1_z.npy", io::SerializeNpy(Tensor::Zeros({3, 100, 100}))}});
  EXPECT_NE(msg.find("1_z.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("shape"), std::string::npos) << msg;

  Tensor nan = Stack(9);
  nan.data<float>()[100 * kSide + 100] = std::nanf("");
  msg = PrepareError("nan", {{"f435w/10760/4/1_z.npy", io::SerializeNpy(nan)}});
  EXPECT_NE(msg.find("1_z.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not finite"), std::string::npos) << msg;

  Tensor bad_mask = Stack(9);
  bad_mask.data<float>()[kSide * kSide + 70 * kSide + 80] = 2.f;
  msg = PrepareError("mask", {{"f435w/10760/4/1_z.npy", io::SerializeNpy(bad_mask)}});
  EXPECT_NE(msg.find("CR mask value 2"), std::string::npos) << msg;

  msg = PrepareError("key", {{"f435w/99999/9/1_z.npy", io::SerializeNpy(Stack(9))}});
  EXPECT_NE(msg.find("99999_9"), std::string::npos) << msg;
  EXPECT_NE(msg.find("field-type table"), std::string::npos) << msg;

  msg = PrepareError("skyidx", {{"f435w/10760/2/5_z.npy", io::SerializeNpy(Stack(9))}});
  EXPECT_NE(msg.find("5_z.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sky index 5"), std::string::npos) << msg;

  msg = PrepareError("sky2d", {{"f435w/10760/4/1_z.npy", io::SerializeNpy(Stack(9))},
                               {"f435w/10760/4/sky.npy", io::SerializeNpy(Tensor::Zeros({2, 2}))}});
  EXPECT_NE(msg.find("10760/4/sky.npy"), std::string::npos) << msg;
}

TEST(CosmicPrepare, MissingAndTruncatedArchives) {
  const std::string empty = NewDir("missing");
  absl::Status s = PrepareInto(empty, NewDir("missing_out") + "/ds");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deepCR.ACS-WFC.train.tar"), std::string::npos) << s;

  const std::string raw = NewDir("trunc_tar");
  TarWriter w;
  for (const auto& [rel, bytes] : TrainFiles()) w.AddFile(absl::StrCat("npy_train/", rel), bytes);
  const std::string archive = std::move(w).Finish();
  ASSERT_TRUE(
      io::WriteFileAtomically(raw + "/deepCR.ACS-WFC.train.tar", archive.substr(0, archive.size() / 2)).ok());
  s = PrepareInto(raw, NewDir("trunc_tar_out") + "/ds");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deepCR.ACS-WFC.train.tar"), std::string::npos) << s;
}

TEST(CosmicRaw, BigEndianNpy) {
  const Tensor t = Tensor::FromVector<float>({1.5f, -2.25f, 3e5f}, {3});
  std::string bytes = io::SerializeNpy(t);
  const size_t at = bytes.find("'<f4'");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = '>';
  const size_t data = bytes.size() - 12;
  for (size_t i = data; i < bytes.size(); i += 4) std::reverse(bytes.begin() + i, bytes.begin() + i + 4);
  EXPECT_FALSE(io::ParseNpy(bytes, "x").ok());
  absl::StatusOr<Tensor> back = cosmic::ParseNpyAnyEndian(bytes, "x");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToVector<float>(), t.ToVector<float>());
}

TEST(CosmicRaw, FieldTable) {
  EXPECT_EQ(cosmic::GalaxyVisitKeys().size(), 27u);
  EXPECT_EQ(cosmic::FieldType("12058_6"), "GAL");
  EXPECT_EQ(cosmic::FieldType("9405_6d"), "EX");
  EXPECT_EQ(cosmic::FieldType("10775_ad"), "GC");
  EXPECT_EQ(cosmic::FieldType("1_1"), "");
}

}  // namespace
}  // namespace nb360::tasks
