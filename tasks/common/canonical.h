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
#include <string>

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

// Opens a dataset directory: parses the manifest, memory-maps each array, checks dtypes/shapes/sizes
// against the manifest. `expected_task` (if non-empty) must match the manifest's task.
absl::StatusOr<Dataset> OpenDataset(const std::string& dir, const std::string& expected_task = "");

// True when `dir` holds a manifest.json (a dataset may be there).
bool LooksLikeDataset(const std::string& dir);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_CANONICAL_H_
