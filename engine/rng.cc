#include "engine/rng.h"

#include <cmath>

#include "engine/device_ops.h"
#include "engine/parallel.h"

namespace nb360 {

std::array<uint32_t, 4> Philox(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += kW0;
    k[1] += kW1;
  }
  return c;
}

std::array<uint32_t, 4> Generator::Block(uint64_t c) const {
  return Philox({static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0},
                {static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32)});
}

namespace {

// FNV-1a: a stable hash of the purpose name.
uint64_t HashName(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char ch : s) {
    h ^= static_cast<uint8_t>(ch);
    h *= 1099511628211ull;
  }
  return h;
}

// 53-bit uniform double in [0, 1) from two words.
double ToUnit(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

template <class Fn>
void FillFloat(const Tensor& t, Fn&& value_at) {
  NB_CHECK(t.device().is_cpu() && t.is_contiguous(), "Generator: needs a contiguous CPU tensor, got ",
           t.Describe());
  DispatchFloating(t.dtype(), "Generator", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    ParallelFor(0, t.numel(), 16384, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) p[i] = static_cast<T>(value_at(i));
    });
  });
}

}  // namespace

Generator Generator::Fork(std::string_view purpose) const {
  const auto w = Philox({static_cast<uint32_t>(HashName(purpose)), static_cast<uint32_t>(HashName(purpose) >> 32),
                         0xF0F0F0F0u, 0x12345678u},
                        {static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32)});
  return Generator((static_cast<uint64_t>(w[0]) << 32) | w[1], 0);
}

void Generator::Uniform(const Tensor& t, double lo, double hi) {
  const uint64_t base = offset_;
  FillFloat(t, [&](int64_t i) {
    const auto w = Block(base + i);
    return lo + (hi - lo) * ToUnit(w[0], w[1]);
  });
  offset_ += t.numel();
}

void Generator::Normal(const Tensor& t, double mean, double stddev) {
  const uint64_t base = offset_;
  FillFloat(t, [&](int64_t i) {
    const auto w = Block(base + i);
    const double u1 = 1.0 - ToUnit(w[0], w[1]);  // (0, 1]
    const double u2 = ToUnit(w[2], w[3]);
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  });
  offset_ += t.numel();
}

void Generator::Bernoulli(const Tensor& t, double p) {
  if (!t.device().is_cpu()) {  // drawn on the device, the same values (engine/device_ops.h)
    NB_CHECK(t.is_contiguous(), "Generator: needs a contiguous tensor, got ", t.Describe());
    RequireDeviceOps(t.device(), "Generator::Bernoulli").Bernoulli(t, p, seed_, offset_);
    offset_ += t.numel();
    return;
  }
  const uint64_t base = offset_;
  FillFloat(t, [&](int64_t i) {
    const auto w = Block(base + i);
    return ToUnit(w[0], w[1]) < p ? 1.0 : 0.0;
  });
  offset_ += t.numel();
}

double Generator::NextDouble() {
  const auto w = Block(offset_++);
  return ToUnit(w[0], w[1]);
}

uint64_t Generator::NextUint64() {
  const auto w = Block(offset_++);
  return (static_cast<uint64_t>(w[0]) << 32) | w[1];
}

int64_t Generator::RandInt(int64_t n) {
  NB_CHECK(n > 0, "RandInt: n must be positive, got ", n);
  // Rejection sampling for an unbiased result.
  const uint64_t un = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % un;
  uint64_t r;
  do {
    r = NextUint64();
  } while (r >= limit);
  return static_cast<int64_t>(r % un);
}

std::vector<int64_t> Generator::Permutation(int64_t n) {
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[RandInt(i + 1)]);
  return p;
}

}  // namespace nb360
