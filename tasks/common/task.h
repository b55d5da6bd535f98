// tasks/common/task.h: the interface every NAS-Bench-360 task implements.
//
// A Task describes itself (TaskInfo: shapes, classes, loss, metric, batch sizes), makes its
// deterministic synthetic dataset, converts the real downloaded files into the canonical format
// (Prepare), and turns a canonical Dataset into train/validation/test sample sets for a run mode
// (TaskData), together with the loss and metric bound to that data (Objective: Darcy Flow's loss
// decodes with the normalizer fitted on its training split).
//
// Run modes follow spec §0.1: kSearch ("train: true": train / validation / test, validation used
// for selection) and kRetrain ("train: false": validation merged into training where the original
// does so, test = the published evaluation split). Consumers differ in small ways the original
// hard-codes per code path (CIFAR-100 Cutout is off in DARTS search; FSD50K drops the first frame
// for DARTS): DataVariant says which path a run stands for.
#ifndef NB360_TASKS_COMMON_TASK_H_
#define NB360_TASKS_COMMON_TASK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "tasks/common/batch.h"
#include "tasks/common/canonical.h"
#include "tasks/common/metric.h"

namespace nb360::tasks {

enum class RunMode { kSearch, kRetrain };
enum class Split { kTrain, kVal, kTest };
enum class DataVariant { kBackbone, kDartsSearch, kDartsEval };
enum class LossKind { kCrossEntropy, kBceWithLogits, kRelativeL2Sum, kMse, kMaskedBceWithLogits };

std::string_view RunModeName(RunMode m);
std::string_view SplitName(Split s);
std::string_view DataVariantName(DataVariant v);

// Training batch sizes of the original configs (spec §11).
struct BatchSizes {
  int64_t wrn = 0;
  int64_t darts_search = 0;
  int64_t darts_eval = 0;
  int64_t eval = 0;  // evaluation batch of the WRN trials
};

struct TaskInfo {
  std::string name;          // "cifar100", "spherical", "ninapro", "fsd50k", "darcy_flow", ...
  std::string title;         // "CIFAR-100"
  Shape input_shape;         // one sample, channels first: (C, H, W) or (C, L)
  Shape output_shape;        // one sample's model output: (K) logits or (1, H, W) fields
  int64_t num_classes = 0;   // classes / labels / output channels
  bool multi_label = false;
  LossKind loss = LossKind::kCrossEntropy;
  std::string metric;        // primary metric name as MetricValues::primary
  bool dense = false;        // per-pixel output (Darcy, PSICOV, Cosmic)
  bool one_d = false;        // (C, L) inputs (ECG, Satellite, DeepSEA)
  BatchSizes batch;
};

// Shapes and dtypes of one sample as a SampleSet produces it.
struct SampleLayout {
  Shape x;                        // float32
  Shape y;                        // {} for an int64 class id
  DType y_dtype = DType::kInt64;  // kInt64 (class id) or kFloat32
  Shape aux;                      // empty: no aux; else float32 with this shape
};

// Where one sample's fields go (buffers sized by SampleLayout).
struct SampleOut {
  float* x = nullptr;
  void* y = nullptr;
  float* aux = nullptr;   // null when the layout has no aux
  int64_t group = 0;      // defaults to the sample index
  int64_t extra = 0;
};

// Random access to the samples of one split. Read must be thread-safe (const, no shared mutable
// state): loader workers call it concurrently.
class SampleSet {
 public:
  virtual ~SampleSet() = default;
  virtual int64_t size() const = 0;
  virtual SampleLayout layout() const = 0;
  // Writes sample i into `out`. `rng` is the sample's own augmentation stream, or null when this
  // split is read without augmentation. Must set out->group (the default is i).
  virtual void Read(int64_t i, Generator* rng, SampleOut* out) const = 0;
};

// The samples of `base` at `indices` (DARTS bi-level halves, index-sliced splits).
std::shared_ptr<const SampleSet> Subset(std::shared_ptr<const SampleSet> base, std::vector<int64_t> indices);
// Indices [begin, end) of `base`.
std::shared_ptr<const SampleSet> Range(std::shared_ptr<const SampleSet> base, int64_t begin, int64_t end);

// Loss and metric bound to one loaded dataset.
class Objective {
 public:
  virtual ~Objective() = default;
  // Differentiable training loss of `output` (the model output for batch.x) against the batch.
  virtual Tensor Loss(const Tensor& output, const Batch& batch) const = 0;
  // A fresh metric for evaluating `split`.
  virtual std::unique_ptr<Metric> NewMetric(Split split) const = 0;
};

struct TaskData {
  std::string source;       // "real" | "generated" | "synthetic"
  std::string description;  // from the dataset manifest
  std::shared_ptr<const SampleSet> train;
  std::shared_ptr<const SampleSet> val;    // null where the mode has none (retrain)
  std::shared_ptr<const SampleSet> test;
  // Which splits get training-time augmentation (the original also augments some evaluation splits,
  // e.g. CIFAR-100 validation and Cosmic's sky noise everywhere).
  bool augment_train = true;
  bool augment_val = false;
  bool augment_test = false;
  std::shared_ptr<const Objective> objective;

  std::shared_ptr<const SampleSet> split(Split s) const;
  bool augment(Split s) const;
};

struct DataOptions {
  RunMode mode = RunMode::kSearch;
  DataVariant variant = DataVariant::kBackbone;
  // "synthetic"; "generated" (tasks with a generator: made now, in memory, scaled by synthetic_fraction);
  // "auto": prepared data under $NB360_DATA/<task> if present, else for tasks with a generator the full
  // generated set (made once and saved there), else synthetic; or a dataset directory.
  std::string data = "auto";
  uint64_t seed = 0;
  // Synthetic (or generated) size as a fraction of the real split sizes (clamped per task to a small
  // minimum). 0: the task's small synthetic default; the full size for generated data.
  double synthetic_fraction = 0.0;
};

struct PrepareOptions {
  // The spec's exact sample counts are checked unless this is set (tests feed small files in the real
  // formats; a user with a partial download can also opt in, and the manifest records it).
  bool allow_count_mismatch = false;
  // Worker threads for conversion (decoding audio, parsing pickles).
  int threads = 2;
};

struct SyntheticOptions {
  uint64_t seed = 0;
  double fraction = 0.0;  // as DataOptions::synthetic_fraction
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const TaskInfo& info() const = 0;
  // A deterministic synthetic dataset in the canonical layout that Prepare writes (same array names,
  // dtypes, per-sample shapes; fewer samples), with a learnable signal. manifest.source = "synthetic".
  virtual Dataset MakeSynthetic(const SyntheticOptions& options) const = 0;
  // Tasks whose real data can be produced here (Darcy Flow: our PDE solver) return it, in the canonical
  // layout with manifest.source = "generated"; options.fraction > 0 scales the sample counts (1 = the
  // benchmark's). Others return UnimplementedError.
  virtual bool HasGenerator() const { return false; }
  virtual absl::StatusOr<Dataset> MakeGenerated(const SyntheticOptions& options) const;
  // Converts the downloaded files under raw_dir into a canonical dataset at out_dir, checking counts,
  // shapes, dtypes and label ranges against the spec; all-or-nothing.
  virtual absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                               const PrepareOptions& options) const = 0;
  // The splits of `data` for a run, with loss and metric. Errors name the dataset and the problem.
  virtual absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const = 0;
};

// Resolves options.data to a Dataset (opening, or synthesizing) and builds it. Logs nothing; the
// returned TaskData says its source.
absl::StatusOr<TaskData> LoadTaskData(const Task& task, const DataOptions& options);

// The directory "auto" looks in: $NB360_DATA/<task> (default NB360_DATA: ~/nb360_data).
std::string DefaultDataDir(const std::string& task_name);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_TASK_H_
