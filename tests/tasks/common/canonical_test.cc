// tests/tasks/common/canonical_test.cc: the prepared-dataset format: round trip, atomicity, checks.
#include "tasks/common/canonical.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "engine/io/atomic_file.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path p = fs::path(t != nullptr ? t : "/tmp") / name;
  fs::remove_all(p);
  return p.string();
}

std::map<std::string, Tensor> SomeArrays() {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor y = Tensor::FromVector<int64_t>({7, 8, 9}, {3});
  Tensor u = Tensor::FromVector<uint8_t>({1, 255}, {1, 2});
  return {{"train_x", x}, {"train_y", y}, {"mask", u}};
}

TEST(Canonical, RoundTripIsMemoryMappedAndExact) {
  const std::string dir = TempDir("ds_roundtrip");
  ASSERT_TRUE(WriteDataset(dir, {"ninapro", "synthetic", "test data"}, SomeArrays()).ok());
  EXPECT_TRUE(LooksLikeDataset(dir));
  absl::StatusOr<Dataset> d = OpenDataset(dir, "ninapro");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "synthetic");
  EXPECT_EQ(d->manifest.description, "test data");
  ASSERT_EQ(d->arrays.size(), 3u);
  const ArrayView& x = d->arrays.at("train_x");
  EXPECT_EQ(x.shape, (Shape{3, 2}));
  EXPECT_EQ(x.row_size(), 2);
  EXPECT_FLOAT_EQ(x.data<float>()[5], 6.f);
  EXPECT_EQ(d->arrays.at("train_y").data<int64_t>()[2], 9);
  EXPECT_EQ(d->arrays.at("mask").data<uint8_t>()[1], 255);
  Tensor rows = x.RowsToTensor(1, 3);
  EXPECT_EQ(rows.shape(), (Shape{2, 2}));
  EXPECT_EQ(rows.ToVector<float>(), (std::vector<float>{3, 4, 5, 6}));
  EXPECT_FALSE(d->Get("nope").ok());
  EXPECT_NE(std::string(d->Get("nope").status().message()).find("no array 'nope'"), std::string::npos);
}

TEST(Canonical, WrongTaskIsRejected) {
  const std::string dir = TempDir("ds_task");
  ASSERT_TRUE(WriteDataset(dir, {"ninapro", "real", ""}, SomeArrays()).ok());
  absl::StatusOr<Dataset> d = OpenDataset(dir, "cifar100");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string(d.status().message()).find("'ninapro' dataset, not 'cifar100'"), std::string::npos);
}

TEST(Canonical, ReplacesOldDatasetAndLeavesNoTemporaries) {
  const std::string dir = TempDir("ds_replace");
  ASSERT_TRUE(WriteDataset(dir, {"t", "real", "first"}, SomeArrays()).ok());
  ASSERT_TRUE(WriteDataset(dir, {"t", "real", "second"}, {{"only", Tensor::Zeros({4})}}).ok());
  absl::StatusOr<Dataset> d = OpenDataset(dir);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->manifest.description, "second");
  EXPECT_EQ(d->arrays.size(), 1u);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "train_x.npy"));
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path())) {
    EXPECT_EQ(e.path().filename().string().find("ds_replace."), std::string::npos) << e.path();
  }
}

TEST(Canonical, TruncatedArrayIsNamed) {
  const std::string dir = TempDir("ds_trunc");
  ASSERT_TRUE(WriteDataset(dir, {"t", "real", ""}, SomeArrays()).ok());
  const fs::path f = fs::path(dir) / "train_x.npy";
  fs::resize_file(f, fs::file_size(f) - 4);
  absl::StatusOr<Dataset> d = OpenDataset(dir);
  ASSERT_FALSE(d.ok());
  const std::string msg(d.status().message());
  EXPECT_NE(msg.find("train_x.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Canonical, ManifestMismatchIsNamed) {
  const std::string dir = TempDir("ds_mismatch");
  ASSERT_TRUE(WriteDataset(dir, {"t", "real", ""}, SomeArrays()).ok());
  // Replace an array file with one of another shape.
  ASSERT_TRUE(WriteDataset(dir + "_other", {"t", "real", ""}, {{"train_x", Tensor::Zeros({2, 3})}}).ok());
  fs::copy_file(fs::path(dir + "_other") / "train_x.npy", fs::path(dir) / "train_x.npy",
                fs::copy_options::overwrite_existing);
  absl::StatusOr<Dataset> d = OpenDataset(dir);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string(d.status().message()).find("manifest says"), std::string::npos) << d.status();
}

TEST(Canonical, MissingDirectoryAndBadManifest) {
  absl::StatusOr<Dataset> d = OpenDataset(TempDir("ds_none"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string(d.status().message()).find("prepare"), std::string::npos);
  const std::string dir = TempDir("ds_badjson");
  fs::create_directories(dir);
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/manifest.json", "{not json").ok());
  d = OpenDataset(dir);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string(d.status().message()).find("manifest.json"), std::string::npos);
}

TEST(Canonical, StreamingWriterFillsRowsFromThreads) {
  const std::string dir = TempDir("ds_stream");
  absl::StatusOr<std::unique_ptr<DatasetWriter>> w = DatasetWriter::Begin(dir);
  ASSERT_TRUE(w.ok()) << w.status();
  absl::StatusOr<DatasetWriter::ArrayFile*> f = (*w)->Create("spec", DType::kFloat32, {100, 3, 5});
  ASSERT_TRUE(f.ok());
  auto fill = [&](int64_t parity) {
    std::vector<float> row(15);
    for (int64_t r = 99 - parity; r >= 0; r -= 2) {  // reverse order, interleaved between threads
      for (int k = 0; k < 15; ++k) row[k] = static_cast<float>(r * 100 + k);
      ASSERT_TRUE((*f)->WriteRows(r, 1, row.data()).ok());
    }
  };
  std::thread a(fill, 0), b(fill, 1);
  a.join();
  b.join();
  ASSERT_TRUE((*w)->Add("ids", Tensor::Arange(4)).ok());
  EXPECT_FALSE((*w)->Add("ids", Tensor::Arange(4)).ok());
  EXPECT_FALSE((*f)->WriteRows(99, 2, nullptr).ok());
  EXPECT_FALSE(fs::exists(dir));  // nothing visible before Commit
  ASSERT_TRUE((*w)->Commit({"fsd50k", "real", "streamed"}).ok());
  absl::StatusOr<Dataset> d = OpenDataset(dir, "fsd50k");
  ASSERT_TRUE(d.ok()) << d.status();
  const ArrayView& v = d->arrays.at("spec");
  ASSERT_EQ(v.shape, (Shape{100, 3, 5}));
  for (int64_t r = 0; r < 100; ++r) {
    for (int k = 0; k < 15; ++k) ASSERT_EQ(v.data<float>()[r * 15 + k], static_cast<float>(r * 100 + k));
  }
  EXPECT_EQ(d->arrays.at("ids").data<int64_t>()[3], 3);
}

TEST(Canonical, StreamingWriterRefusesMissingRowsAndCleansUp) {
  const std::string dir = TempDir("ds_stream_bad");
  {
    absl::StatusOr<std::unique_ptr<DatasetWriter>> w = DatasetWriter::Begin(dir);
    ASSERT_TRUE(w.ok());
    absl::StatusOr<DatasetWriter::ArrayFile*> f = (*w)->Create("x", DType::kInt64, {3});
    ASSERT_TRUE(f.ok());
    const int64_t v = 7;
    ASSERT_TRUE((*f)->WriteRows(0, 1, &v).ok());
    absl::Status s = (*w)->Commit({"t", "real", ""});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(std::string(s.message()).find("row 1 was never written"), std::string::npos) << s;
  }
  EXPECT_FALSE(fs::exists(dir));
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path())) {
    EXPECT_EQ(e.path().filename().string().find("ds_stream_bad."), std::string::npos) << e.path();
  }
}

TEST(Canonical, InMemoryDatasetSharesTheInterface) {
  Dataset d = InMemoryDataset({"t", "synthetic", ""}, SomeArrays());
  EXPECT_TRUE(d.dir.empty());
  EXPECT_EQ(d.arrays.at("train_y").data<int64_t>()[0], 7);
  EXPECT_EQ(d.arrays.at("train_x").ToTensor().ToVector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace nb360::tasks
