// tasks/common/task.cc: names, subsets and data resolution shared by all tasks.
#include "tasks/common/task.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace nb360::tasks {
namespace {

class SubsetSet : public SampleSet {
 public:
  SubsetSet(std::shared_ptr<const SampleSet> base, std::vector<int64_t> indices)
      : base_(std::move(base)), indices_(std::move(indices)) {
    for (int64_t i : indices_) {
      NB_CHECK(i >= 0 && i < base_->size(), "Subset: index ", i, " outside [0, ", base_->size(), ")");
    }
  }
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  SampleLayout layout() const override { return base_->layout(); }
  void Read(int64_t i, Generator* rng, SampleOut* out) const override {
    NB_CHECK(i >= 0 && i < size(), "Subset::Read: index ", i, " of ", size());
    base_->Read(indices_[i], rng, out);
  }

 private:
  std::shared_ptr<const SampleSet> base_;
  std::vector<int64_t> indices_;
};

}  // namespace

std::string_view RunModeName(RunMode m) { return m == RunMode::kSearch ? "search" : "retrain"; }

std::string_view SplitName(Split s) {
  switch (s) {
    case Split::kTrain: return "train";
    case Split::kVal: return "val";
    case Split::kTest: return "test";
  }
  return "?";
}

std::string_view DataVariantName(DataVariant v) {
  switch (v) {
    case DataVariant::kBackbone: return "backbone";
    case DataVariant::kDartsSearch: return "darts_search";
    case DataVariant::kDartsEval: return "darts_eval";
  }
  return "?";
}

std::shared_ptr<const SampleSet> Subset(std::shared_ptr<const SampleSet> base, std::vector<int64_t> indices) {
  return std::make_shared<SubsetSet>(std::move(base), std::move(indices));
}

std::shared_ptr<const SampleSet> Range(std::shared_ptr<const SampleSet> base, int64_t begin, int64_t end) {
  NB_CHECK(0 <= begin && begin <= end && end <= base->size(), "Range [", begin, ", ", end, ") of ",
           base->size(), " samples");
  std::vector<int64_t> idx(end - begin);
  for (int64_t i = begin; i < end; ++i) idx[i - begin] = i;
  return Subset(std::move(base), std::move(idx));
}

std::shared_ptr<const SampleSet> TaskData::split(Split s) const {
  switch (s) {
    case Split::kTrain: return train;
    case Split::kVal: return val;
    case Split::kTest: return test;
  }
  return nullptr;
}

bool TaskData::augment(Split s) const {
  switch (s) {
    case Split::kTrain: return augment_train;
    case Split::kVal: return augment_val;
    case Split::kTest: return augment_test;
  }
  return false;
}

std::string DefaultDataDir(const std::string& task_name) {
  const char* root = std::getenv("NB360_DATA");
  std::string base;
  if (root != nullptr && root[0] != '\0') {
    base = root;
  } else {
    const char* home = std::getenv("HOME");
    base = absl::StrCat(home != nullptr ? home : ".", "/nb360_data");
  }
  return absl::StrCat(base, "/", task_name);
}

absl::StatusOr<Dataset> Task::MakeGenerated(const SyntheticOptions&) const {
  return absl::UnimplementedError(absl::StrCat(info().name, " has no data generator (use --data=synthetic, or "
                                               "prepare the real files: docs/DATA.md)"));
}

absl::StatusOr<TaskData> LoadTaskData(const Task& task, const DataOptions& options) {
  const std::string& name = task.info().name;
  Dataset data;
  if (options.data == "synthetic") {
    data = task.MakeSynthetic({options.seed, options.synthetic_fraction});
  } else if (options.data == "generated") {
    absl::StatusOr<Dataset> d = task.MakeGenerated({options.seed, options.synthetic_fraction});
    if (!d.ok()) return d.status();
    data = *std::move(d);
  } else if (options.data == "auto" || options.data.empty()) {
    const std::string dir = DefaultDataDir(name);
    if (!LooksLikeDataset(dir) && task.HasGenerator()) {
      // The full generated set, made once (seed 0, independent of the run's seed) and kept for later runs.
      absl::StatusOr<Dataset> made = task.MakeGenerated({0, 1.0});
      if (!made.ok()) return made.status();
      std::map<std::string, Tensor> arrays;
      for (const auto& [array, v] : made->arrays) arrays[array] = v.ToTensor();
      absl::Status s = WriteDataset(dir, made->manifest, arrays);
      if (!s.ok()) return s;
    }
    if (LooksLikeDataset(dir)) {
      absl::StatusOr<Dataset> d = OpenDataset(dir, name);
      if (!d.ok()) return d.status();
      data = *std::move(d);
    } else {
      data = task.MakeSynthetic({options.seed, options.synthetic_fraction});
    }
  } else {
    absl::StatusOr<Dataset> d = OpenDataset(options.data, name);
    if (!d.ok()) return d.status();
    data = *std::move(d);
  }
  absl::StatusOr<TaskData> built = task.Build(data, options);
  if (!built.ok()) return built.status();
  built->source = data.manifest.source;
  built->description = data.manifest.description;
  return built;
}

}  // namespace nb360::tasks
