// tests/tasks/common/array_task_test_util.h: helpers for the array-backed task tests (cifar100,
// spherical, ninapro, satellite, deepsea): byte equality of datasets, reading single samples,
// and a loader pass over a split. Test-only.
#ifndef NB360_TESTS_TASKS_COMMON_ARRAY_TASK_TEST_UTIL_H_
#define NB360_TESTS_TASKS_COMMON_ARRAY_TASK_TEST_UTIL_H_

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "engine/tensor.h"
#include "gtest/gtest.h"
#include "tasks/common/canonical.h"
#include "tasks/common/loader.h"
#include "tasks/common/task.h"

namespace nb360::tasks::testing_util {

// Same array names, dtypes, shapes and bytes.
inline ::testing::AssertionResult SameDataset(const Dataset& a, const Dataset& b) {
  if (a.arrays.size() != b.arrays.size()) return ::testing::AssertionFailure() << "array counts differ";
  for (const auto& [name, va] : a.arrays) {
    auto it = b.arrays.find(name);
    if (it == b.arrays.end()) return ::testing::AssertionFailure() << "missing " << name;
    const ArrayView& vb = it->second;
    if (va.dtype != vb.dtype || va.shape != vb.shape) return ::testing::AssertionFailure() << name << " differs";
    if (std::memcmp(va.raw, vb.raw, va.numel() * DTypeSize(va.dtype)) != 0) {
      return ::testing::AssertionFailure() << name << " bytes differ";
    }
  }
  return ::testing::AssertionSuccess();
}

struct Sample {
  std::vector<float> x;
  int64_t y = -1;            // class id layouts
  std::vector<float> yv;     // float target layouts
  int64_t group = -1;
};

// Reads sample i of `set`; rng null means no augmentation.
inline Sample ReadSample(const SampleSet& set, int64_t i, Generator* rng = nullptr) {
  const SampleLayout l = set.layout();
  Sample s;
  s.x.assign(NumElements(l.x), -12345.f);
  if (l.y_dtype == DType::kInt64) {
    EXPECT_EQ(NumElements(l.y), 1);
  } else {
    s.yv.assign(NumElements(l.y), -12345.f);
  }
  SampleOut out;
  out.x = s.x.data();
  out.y = l.y_dtype == DType::kInt64 ? static_cast<void*>(&s.y) : static_cast<void*>(s.yv.data());
  out.group = -7;
  set.Read(i, rng, &out);
  s.group = out.group;
  return s;
}

// Builds every batch of epoch 0 of `set` (batch size b, no shuffle) through Loader::Next and checks
// they cover the split in order; returns the number of samples seen.
inline int64_t LoaderPass(std::shared_ptr<const SampleSet> set, int64_t b, bool augment) {
  LoaderOptions o;
  o.batch_size = b;
  o.augment = augment;
  o.seed = 3;
  // Batches are built on the calling thread: Loader::WorkerLoop reads next_ without the lock when a
  // worker starts, so a worker that starts after Next() has advanced skips a batch and Next() waits
  // forever (seen as a hang with 5 batches, 2 workers). Reported to the loader's author.
  o.num_workers = 0;
  Loader loader(set, o);
  loader.StartEpoch(0);
  Batch batch;
  int64_t seen = 0;
  const SampleLayout l = set->layout();
  while (loader.Next(&batch)) {
    Shape xs = {batch.size()};
    xs.insert(xs.end(), l.x.begin(), l.x.end());
    EXPECT_EQ(batch.x.shape(), xs);
    EXPECT_EQ(batch.y.dtype(), l.y_dtype);
    for (int64_t k = 0; k < batch.size(); ++k) EXPECT_EQ(batch.index[k], seen + k);
    seen += batch.size();
  }
  return seen;
}

// Accuracy of a nearest-centroid classifier on squared inputs (per-feature energy), fitted on `train`
// and scored on `test`: a cheap check that a synthetic set carries a learnable class signal.
inline double NearestCentroidAccuracy(const SampleSet& train, const SampleSet& test, int64_t classes) {
  const int64_t f = NumElements(train.layout().x);
  std::vector<double> sum(classes * f, 0.0);
  std::vector<int64_t> count(classes, 0);
  for (int64_t i = 0; i < train.size(); ++i) {
    Sample s = ReadSample(train, i);
    count[s.y]++;
    for (int64_t j = 0; j < f; ++j) sum[s.y * f + j] += double(s.x[j]) * s.x[j];
  }
  for (int64_t c = 0; c < classes; ++c) {
    for (int64_t j = 0; j < f; ++j) sum[c * f + j] /= std::max<int64_t>(count[c], 1);
  }
  int64_t correct = 0;
  for (int64_t i = 0; i < test.size(); ++i) {
    Sample s = ReadSample(test, i);
    int64_t best = -1;
    double best_d = 0;
    for (int64_t c = 0; c < classes; ++c) {
      if (count[c] == 0) continue;
      double d = 0;
      for (int64_t j = 0; j < f; ++j) {
        const double e = double(s.x[j]) * s.x[j] - sum[c * f + j];
        d += e * e;
      }
      if (best < 0 || d < best_d) best = c, best_d = d;
    }
    correct += best == s.y;
  }
  return static_cast<double>(correct) / std::max<int64_t>(test.size(), 1);
}

inline std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

}  // namespace nb360::tasks::testing_util

#endif  // NB360_TESTS_TASKS_COMMON_ARRAY_TASK_TEST_UTIL_H_
