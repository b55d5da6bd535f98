// tasks/common/canonical.h: the one on-disk format every prepared (or generated) dataset uses.
//
// A dataset directory holds `manifest.json` and one uncompressed .npy file per named array. The .npy
// files are memory-mapped on open, so a 30 GB prepared FSD50K costs no RAM until pages are touched.
// The manifest records the task, where the data came from ("real", "generated", "synthetic"), a
// free-form description (source files, generator parameters) and, per array, its dtype and shape;
// OpenDataset checks every array file against it.
//
// Writing is all-or-nothing: WriteDataset writes into a temporary sibling directory and renames it onto
// `dir` at the end (replacing an existing dataset only then), so a crash never leaves half a dataset.
//
// Example:
//   DatasetManifest m{"ninapro", "real", "ninapro_*.npy from pde-xd"};
//   absl::Status s = WriteDataset("/data/ninapro", m, {{"train_x", x}, {"train_y", y}});
//   absl::StatusOr<Dataset> d = OpenDataset("/data/ninapro");
//   const ArrayView& x = d->arrays.at("train_x");   // x.shape, x.data<float>()
#ifndef NB360_TASKS_COMMON_CANONICAL_H_
#define NB360_TASKS_COMMON_CANONICAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::tasks {

struct DatasetManifest {
  std::string task;         // "cifar100", "darcy_flow", ...
  std::string source;       // "real" | "generated" | "synthetic"
  std::string description;  // provenance, parameters
};

// Read-only, contiguous, row-major view of one array (memory-mapped file or in-memory tensor).
struct ArrayView {
  DType dtype = DType::kFloat32;
  Shape shape;
  const void* raw = nullptr;
  std::shared_ptr<const void> keepalive;  // owns the mapping or the tensor storage

  template <class T>
  const T* data() const {
    NB_CHECK(DTypeOf<T>::value == dtype, "ArrayView::data: wrong dtype ", DTypeName(dtype));
    return static_cast<const T*>(raw);
  }
  int64_t numel() const { return NumElements(shape); }
  int64_t dim(int i) const { return shape.at(i); }
  // Elements per leading index (product of shape[1:]).
  int64_t row_size() const;
  // A copy as a tensor (or the leading-index range [begin, end) of it).
  Tensor ToTensor() const;
  Tensor RowsToTensor(int64_t begin, int64_t end) const;
};

// Wraps a tensor (made contiguous; shares storage when it already is).
ArrayView ViewOf(const Tensor& t);

struct Dataset {
  std::string dir;  // empty for in-memory datasets
  DatasetManifest manifest;
  std::map<std::string, ArrayView> arrays;

  // The named array, or an error naming the dataset and the missing key.
  absl::StatusOr<ArrayView> Get(const std::string& name) const;
};

// An in-memory dataset (synthetic data) with the same interface as a prepared one.
Dataset InMemoryDataset(DatasetManifest manifest, const std::map<std::string, Tensor>& arrays);

// Writes manifest.json and <name>.npy for each array, atomically (temporary directory + rename).
absl::Status WriteDataset(const std::string& dir, const DatasetManifest& manifest,
                          const std::map<std::string, Tensor>& arrays);

// Builds a dataset directory array by array without holding it in memory (FSD50K's ~30 GB of
// spectrograms): whole arrays with Add, large ones row block by row block through an ArrayFile whose
// WriteRows may be called from several threads for disjoint rows. Everything goes into a temporary
// sibling directory; Commit checks that every row was written, writes the manifest and renames the
// directory into place. A writer destroyed without Commit removes its temporary directory.
class DatasetWriter {
 public:
  class ArrayFile {
   public:
    ~ArrayFile();
    // Writes rows [begin, begin + count) from `data` (count * row bytes). Thread-safe for disjoint rows.
    absl::Status WriteRows(int64_t begin, int64_t count, const void* data);
    const Shape& shape() const { return shape_; }

   private:
    friend class DatasetWriter;
    ArrayFile() = default;
    absl::Status Close();
    std::string path_;
    int fd_ = -1;
    DType dtype_ = DType::kFloat32;
    Shape shape_;
    size_t header_bytes_ = 0;
    size_t row_bytes_ = 0;
    std::vector<uint8_t> written_;  // per row; guarded by mu_
    std::mutex mu_;
  };

  // Starts a dataset that will replace `dir` on Commit.
  static absl::StatusOr<std::unique_ptr<DatasetWriter>> Begin(const std::string& dir);
  ~DatasetWriter();

  // Writes a whole array now.
  absl::Status Add(const std::string& name, const Tensor& t);
  // Creates <name>.npy of `shape` (rows = shape[0]) to be filled with ArrayFile::WriteRows.
  absl::StatusOr<ArrayFile*> Create(const std::string& name, DType dtype, const Shape& shape);
  // Checks completeness, writes manifest.json, renames into place. The writer is spent afterwards.
  absl::Status Commit(const DatasetManifest& manifest);

 private:
  DatasetWriter() = default;
  std::string dir_, tmp_;
  std::map<std::string, std::pair<DType, Shape>> arrays_;
  std::map<std::string, std::unique_ptr<ArrayFile>> files_;
  bool committed_ = false;
};

// Opens a dataset directory: parses the manifest, memory-maps each array, checks dtypes/shapes/sizes
// against the manifest. `expected_task` (if non-empty) must match the manifest's task.
absl::StatusOr<Dataset> OpenDataset(const std::string& dir, const std::string& expected_task = "");

// True when `dir` holds a manifest.json (a dataset may be there).
bool LooksLikeDataset(const std::string& dir);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_CANONICAL_H_
