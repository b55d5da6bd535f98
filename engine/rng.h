// engine/rng.h: the one random number generator, counter-based (Philox-4x32-10).
//
// A Generator is (seed, offset). Every draw of n values consumes counters [offset, offset + n):
// value i depends only on (seed, offset + i), so results are identical for any thread count and a
// checkpoint that stores (seed, offset) resumes the exact stream. Derive independent streams for
// different purposes (init, data order, dropout) with Fork(purpose).
#ifndef NB360_ENGINE_RNG_H_
#define NB360_ENGINE_RNG_H_

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/tensor.h"

namespace nb360 {

// Philox-4x32-10 block: 4 random 32-bit words from a 128-bit counter and a 64-bit key.
std::array<uint32_t, 4> Philox(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

class Generator {
 public:
  explicit Generator(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }

  // An independent generator for a named purpose, derived from this seed (does not advance this).
  Generator Fork(std::string_view purpose) const;

  // Fills a float tensor in place (CPU).
  void Uniform(const Tensor& t, double lo = 0.0, double hi = 1.0);
  void Normal(const Tensor& t, double mean = 0.0, double stddev = 1.0);
  // Fills with 1 where u < p, else 0 (any floating dtype). Also on a device (contiguous tensors),
  // with the same values as on the CPU.
  void Bernoulli(const Tensor& t, double p);

  double NextDouble();                     // in [0, 1)
  uint64_t NextUint64();
  int64_t RandInt(int64_t n);              // uniform in [0, n)
  std::vector<int64_t> Permutation(int64_t n);

 private:
  // 4 uniform 32-bit words for counter value c (consumes nothing).
  std::array<uint32_t, 4> Block(uint64_t c) const;

  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace nb360

#endif  // NB360_ENGINE_RNG_H_
