// tasks/ecg/sklearn_split.cc: MT19937, NumPy's legacy permutation and scikit-learn's split sizes.
#include "tasks/ecg/sklearn_split.h"

#include <cmath>
#include <numeric>

#include "engine/check.h"

namespace nb360::tasks {

LegacyRandomState::LegacyRandomState(uint32_t seed) {
  mt_[0] = seed;
  for (uint32_t i = 1; i < 624; ++i) {
    mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + i;
  }
  pos_ = 624;
}

void LegacyRandomState::Twist() {
  constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  for (int i = 0; i < 624; ++i) {
    const uint32_t y = (mt_[i] & kUpper) | (mt_[(i + 1) % 624] & kLower);
    mt_[i] = mt_[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
  }
  pos_ = 0;
}

uint32_t LegacyRandomState::NextUint32() {
  if (pos_ >= 624) Twist();
  uint32_t y = mt_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint64_t LegacyRandomState::Interval(uint64_t max) {
  NB_CHECK(max <= 0xffffffffull, "LegacyRandomState::Interval: 64-bit ranges are not implemented");
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int s = 1; s <= 32; s <<= 1) mask |= mask >> s;
  uint64_t value;
  do {
    value = NextUint32() & mask;
  } while (value > max);
  return value;
}

std::vector<int64_t> LegacyRandomState::Permutation(int64_t n) {
  NB_CHECK(n >= 0, "Permutation: negative n ", n);
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), int64_t{0});
  for (int64_t i = n - 1; i >= 1; --i) {
    const int64_t j = static_cast<int64_t>(Interval(static_cast<uint64_t>(i)));
    std::swap(v[i], v[j]);
  }
  return v;
}

int64_t SklearnTestCount(int64_t n, double test_size) {
  return static_cast<int64_t>(std::ceil(test_size * static_cast<double>(n)));
}

TrainTestIndices SklearnTrainTestSplit(int64_t n, double test_size, uint32_t seed) {
  NB_CHECK(test_size > 0.0 && test_size < 1.0, "SklearnTrainTestSplit: test_size ", test_size);
  const int64_t n_test = SklearnTestCount(n, test_size);
  const int64_t n_train = n - n_test;
  NB_CHECK(n_test > 0 && n_train > 0, "SklearnTrainTestSplit: n = ", n, " gives an empty part");
  LegacyRandomState rs(seed);
  std::vector<int64_t> perm = rs.Permutation(n);
  TrainTestIndices out;
  out.test.assign(perm.begin(), perm.begin() + n_test);
  out.train.assign(perm.begin() + n_test, perm.end());
  return out;
}

}  // namespace nb360::tasks
