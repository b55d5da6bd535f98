// tasks/ecg/sklearn_split.h: scikit-learn's train_test_split(shuffle=True, random_state=<int>) on
// record indices, bit-for-bit.
//
// scikit-learn's ShuffleSplit draws `RandomState(seed).permutation(n)` from NumPy's legacy generator
// (MT19937 seeded with init_genrand(seed), Fisher-Yates from the last element down, each index drawn
// by masked rejection sampling on 32-bit outputs), takes the first n_test entries as the test set and
// the next n_train as the training set. With a float test_size and no train_size, n_test =
// ceil(test_size * n) and n_train = n - n_test. The ECG task needs exactly this to reproduce the
// original record splits (spec §8.2). Left out: int test sizes, stratification, 64-bit draws
// (n >= 2^32), and every other RandomState distribution.
#ifndef NB360_TASKS_ECG_SKLEARN_SPLIT_H_
#define NB360_TASKS_ECG_SKLEARN_SPLIT_H_

#include <array>
#include <cstdint>
#include <vector>

namespace nb360::tasks {

// NumPy's legacy RandomState core: MT19937 with the reference init_genrand seeding.
class LegacyRandomState {
 public:
  explicit LegacyRandomState(uint32_t seed);
  uint32_t NextUint32();
  // numpy random_interval: uniform in [0, max] by masked rejection (max < 2^32).
  uint64_t Interval(uint64_t max);
  // RandomState.permutation(n): arange(n) shuffled in place as RandomState.shuffle does.
  std::vector<int64_t> Permutation(int64_t n);

 private:
  void Twist();
  std::array<uint32_t, 624> mt_;
  int pos_ = 624;
};

struct TrainTestIndices {
  std::vector<int64_t> train;
  std::vector<int64_t> test;
};

// The test-set size scikit-learn uses for a float test_size: ceil(test_size * n).
int64_t SklearnTestCount(int64_t n, double test_size);

// train_test_split(arange(n), test_size=test_size, random_state=seed) (shuffle, not stratified).
// Requires 0 < test_size < 1 and both parts non-empty (scikit-learn raises otherwise).
TrainTestIndices SklearnTrainTestSplit(int64_t n, double test_size, uint32_t seed);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_ECG_SKLEARN_SPLIT_H_
