// CPU allocator: alignment, reuse of freed blocks, statistics.
#include "engine/allocator.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "engine/tensor.h"

namespace nb360 {
namespace {

TEST(CpuAllocator, BlocksAreAligned) {
  for (size_t n : {1, 63, 4096, 100000}) {
    void* p = CpuAllocator()->Allocate(n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    CpuAllocator()->Free(p, n);
  }
}

TEST(CpuAllocator, FreedTensorsAreReused) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the pool is off under AddressSanitizer";
#endif
  if (std::getenv("NB360_NO_POOL") != nullptr) GTEST_SKIP() << "pool disabled by NB360_NO_POOL";
  void* first;
  { Tensor t = Tensor::Empty({1 << 20}); first = t.raw_data(); }
  const AllocatorStats before = CpuAllocatorStats();
  Tensor again = Tensor::Empty({1 << 20});
  const AllocatorStats after = CpuAllocatorStats();
  EXPECT_EQ(again.raw_data(), first);
  EXPECT_EQ(after.pool_hits, before.pool_hits + 1);
  EXPECT_GE(after.bytes_in_use, int64_t{4} << 20);
}

TEST(CpuAllocator, EmptyCacheReleasesEverything) {
  { Tensor t = Tensor::Empty({1000}); }
  EmptyCpuCache();
  EXPECT_EQ(CpuAllocatorStats().bytes_cached, 0);
}

}  // namespace
}  // namespace nb360
