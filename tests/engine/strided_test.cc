// tests/engine/strided_test.cc: ForEachRow visits every element exactly once with the right offsets,
// including long contiguous rows that are cut into pieces for the threads, broadcast (stride 0)
// operands and transposed layouts.
#include "engine/strided.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace nb360 {
namespace {

// Marks element offsets of operand 0 and checks operand 1's offset is the mapped one.
void CheckVisits(const Shape& shape, const Shape& s0, const Shape& s1, int64_t storage0,
                 int64_t (*map)(int64_t off0)) {
  std::vector<std::atomic<int>> seen(storage0);
  for (auto& v : seen) v = 0;
  std::atomic<int64_t> mismatches{0};
  ForEachRow<2>(shape, {s0, s1}, [&](const std::array<int64_t, 2>& o, int64_t n, const std::array<int64_t, 2>& st) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t a = o[0] + i * st[0], b = o[1] + i * st[1];
      seen[a]++;
      if (map(a) != b) mismatches++;
    }
  });
  int64_t visited = 0;
  for (auto& v : seen) {
    ASSERT_LE(v.load(), 1);
    visited += v.load();
  }
  EXPECT_EQ(visited, NumElements(shape));
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ForEachRow, LongContiguousRowIsSplitButCoveredOnce) {
  const Shape shape = {1000003};  // one collapsed row, longer than the split threshold, odd length
  CheckVisits(shape, {1}, {1}, shape[0], [](int64_t a) { return a; });
}

TEST(ForEachRow, FewLongRowsWithBroadcast) {
  const Shape shape = {3, 200001};
  // Operand 1 broadcasts along the rows: offset = column.
  CheckVisits(shape, {200001, 1}, {0, 1}, 3 * 200001, [](int64_t a) { return a % 200001; });
  // Operand 1 is a scalar (stride 0 everywhere).
  CheckVisits(shape, {200001, 1}, {0, 0}, 3 * 200001, [](int64_t) -> int64_t { return 0; });
}

TEST(ForEachRow, TransposedOperand) {
  const Shape shape = {300, 700};
  // Operand 1 is the transpose of a (700, 300) row-major array.
  CheckVisits(shape, {700, 1}, {1, 300}, 300 * 700,
              [](int64_t a) { return (a % 700) * 300 + a / 700; });
}

}  // namespace
}  // namespace nb360
