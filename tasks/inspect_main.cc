// tasks/inspect_main.cc: `bazel run -c opt //tasks:inspect -- --task=NAME [--data=...]`.
//
// Shows what a run would see: the task's facts (shapes, loss, metric, batch sizes), where the data
// comes from (real / generated / synthetic), split sizes for the run mode, one batch's shapes and value
// ranges, and the loader's throughput with its worker threads. --write_synthetic=DIR writes the
// synthetic set in the canonical format (np.load reads every array).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "tasks/common/canonical.h"
#include "tasks/common/loader.h"
#include "tasks/common/task.h"
#include "tasks/registry.h"

ABSL_FLAG(std::string, task, "", "Task name (cifar100, spherical, ninapro, fsd50k, darcy_flow, psicov, cosmic, ecg, "
                                 "satellite, deepsea).");
ABSL_FLAG(std::string, data, "auto", "synthetic | auto | a prepared dataset directory.");
ABSL_FLAG(std::string, mode, "search", "search (train/val/test) | retrain (train+val / test).");
ABSL_FLAG(std::string, variant, "backbone", "backbone | darts_search | darts_eval (pipeline differences).");
ABSL_FLAG(int64_t, seed, 0, "Seed for synthetic data, order and augmentation.");
ABSL_FLAG(double, synthetic_fraction, 0.0, "Synthetic size as a fraction of the real one (0: small default).");
ABSL_FLAG(int64_t, batch_size, 0, "Loader batch size (0: the WRN batch size of the task).");
ABSL_FLAG(int64_t, batches, 50, "Batches to time (cold epochs, cycled as needed).");
ABSL_FLAG(int, workers, 2, "Loader worker threads.");
ABSL_FLAG(std::string, write_synthetic, "", "Write the synthetic set to this directory and exit.");

namespace nb360::tasks {
namespace {

void PrintStats(const char* name, const Tensor& t) {
  if (!t.defined()) return;
  if (t.dtype() == DType::kInt64) {
    std::vector<int64_t> v = t.ToVector<int64_t>();
    int64_t lo = v.empty() ? 0 : v[0], hi = lo;
    for (int64_t x : v) lo = std::min(lo, x), hi = std::max(hi, x);
    std::printf("  %-4s int64%s  values in [%lld, %lld]\n", name, ShapeString(t.shape()).c_str(),
                static_cast<long long>(lo), static_cast<long long>(hi));
    return;
  }
  std::vector<double> v = t.ToVector<double>();
  double sum = 0, sq = 0, lo = v.empty() ? 0 : v[0], hi = lo;
  for (double x : v) sum += x, sq += x * x, lo = std::min(lo, x), hi = std::max(hi, x);
  const double n = std::max<double>(1, v.size()), mean = sum / n;
  std::printf("  %-4s %s%s  mean %.4g  std %.4g  min %.4g  max %.4g\n", name, std::string(DTypeName(t.dtype())).c_str(),
              ShapeString(t.shape()).c_str(), mean, std::sqrt(std::max(0.0, sq / n - mean * mean)), lo, hi);
}

int Run() {
  absl::StatusOr<std::unique_ptr<Task>> task = MakeTask(absl::GetFlag(FLAGS_task));
  if (!task.ok()) {
    std::fprintf(stderr, "inspect: %s\n", std::string(task.status().message()).c_str());
    return 1;
  }
  const TaskInfo& info = (*task)->info();
  const std::string write = absl::GetFlag(FLAGS_write_synthetic);
  if (!write.empty()) {
    Dataset d = (*task)->MakeSynthetic({static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)),
                                        absl::GetFlag(FLAGS_synthetic_fraction)});
    std::map<std::string, Tensor> arrays;
    for (const auto& [name, v] : d.arrays) arrays[name] = v.ToTensor();
    absl::Status s = WriteDataset(write, d.manifest, arrays);
    if (!s.ok()) {
      std::fprintf(stderr, "inspect: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("wrote the synthetic %s set to %s\n", info.name.c_str(), write.c_str());
    return 0;
  }
  DataOptions o;
  const std::string mode = absl::GetFlag(FLAGS_mode), variant = absl::GetFlag(FLAGS_variant);
  if (mode != "search" && mode != "retrain") {
    std::fprintf(stderr, "inspect: --mode must be search or retrain, got '%s'\n", mode.c_str());
    return 1;
  }
  o.mode = mode == "search" ? RunMode::kSearch : RunMode::kRetrain;
  if (variant == "backbone") {
    o.variant = DataVariant::kBackbone;
  } else if (variant == "darts_search") {
    o.variant = DataVariant::kDartsSearch;
  } else if (variant == "darts_eval") {
    o.variant = DataVariant::kDartsEval;
  } else {
    std::fprintf(stderr, "inspect: --variant must be backbone, darts_search or darts_eval, got '%s'\n", variant.c_str());
    return 1;
  }
  o.data = absl::GetFlag(FLAGS_data);
  o.seed = static_cast<uint64_t>(absl::GetFlag(FLAGS_seed));
  o.synthetic_fraction = absl::GetFlag(FLAGS_synthetic_fraction);
  absl::StatusOr<TaskData> data = LoadTaskData(**task, o);
  if (!data.ok()) {
    std::fprintf(stderr, "inspect: %s\n", std::string(data.status().message()).c_str());
    return 1;
  }
  std::printf("%s (%s)\n", info.title.c_str(), info.name.c_str());
  std::printf("  data: %s — %s\n", data->source.c_str(), data->description.c_str());
  std::printf("  input %s  output %s  classes %lld  metric %s\n", ShapeString(info.input_shape).c_str(),
              ShapeString(info.output_shape).c_str(), static_cast<long long>(info.num_classes), info.metric.c_str());
  std::printf("  batch sizes: WRN %lld, DARTS search %lld, DARTS eval %lld\n", static_cast<long long>(info.batch.wrn),
              static_cast<long long>(info.batch.darts_search), static_cast<long long>(info.batch.darts_eval));
  for (Split s : {Split::kTrain, Split::kVal, Split::kTest}) {
    auto set = data->split(s);
    std::printf("  %-5s %s\n", std::string(SplitName(s)).c_str(),
                set == nullptr ? "(none in this mode)"
                               : (std::to_string(set->size()) + " samples" + (data->augment(s) ? ", augmented" : "")).c_str());
  }
  const int64_t bs = absl::GetFlag(FLAGS_batch_size) > 0 ? absl::GetFlag(FLAGS_batch_size) : info.batch.wrn;
  Loader loader(data->train, {.batch_size = bs, .shuffle = true, .drop_last = false, .augment = data->augment_train,
                              .seed = o.seed, .num_workers = absl::GetFlag(FLAGS_workers)});
  loader.StartEpoch(0);
  Batch b;
  if (!loader.Next(&b)) {
    std::fprintf(stderr, "inspect: the training split is empty\n");
    return 1;
  }
  std::printf("first training batch:\n");
  PrintStats("x", b.x);
  PrintStats("y", b.y);
  PrintStats("aux", b.aux);
  // Throughput from cold epochs (StartEpoch included, nothing prefetched), cycling epochs as needed.
  const auto t0 = std::chrono::steady_clock::now();
  int64_t samples = 0, n = 0;
  for (int64_t epoch = 1; n < absl::GetFlag(FLAGS_batches); ++epoch) {
    loader.StartEpoch(epoch);
    while (n < absl::GetFlag(FLAGS_batches) && loader.Next(&b)) samples += b.size(), ++n;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (n > 0) {
    std::printf("loader: %lld batches of %lld in %.3f s: %.0f samples/s with %d workers\n", static_cast<long long>(n),
                static_cast<long long>(bs), secs, samples / std::max(secs, 1e-9), absl::GetFlag(FLAGS_workers));
  }
  return 0;
}

}  // namespace
}  // namespace nb360::tasks

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Shows a task's data as a run would see it.\n  bazel run -c opt //tasks:inspect -- --task=NAME");
  absl::ParseCommandLine(argc, argv);
  return nb360::tasks::Run();
}
