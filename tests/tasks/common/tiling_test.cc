// tests/tasks/common/tiling_test.cc: PredictTiled visits every non-overlapping tile once and writes it
// back in place.
#include "tasks/common/tiling.h"

#include <vector>

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

TEST(TilingTest, NonOverlappingTilesWrittenBack) {
  // x (2, 3, 8, 8); the "model" sums channels and adds 100 * (call number), so the output shows which
  // call wrote each pixel.
  const int64_t n = 2, c = 3, s = 8, tile = 4;
  std::vector<float> values(n * c * s * s);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 17);
  const Tensor x = Tensor::FromVector<float>(values, {n, c, s, s});
  int calls = 0;
  auto model = [&](const Tensor& window) {
    EXPECT_EQ(window.shape(), Shape({n, c, tile, tile}));
    Tensor out = Tensor::Zeros({n, 1, tile, tile});
    const Tensor w = window.Contiguous();
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t k = 0; k < c; ++k) {
        for (int64_t p = 0; p < tile * tile; ++p) {
          out.data<float>()[b * tile * tile + p] += w.data<float>()[(b * c + k) * tile * tile + p];
        }
      }
      for (int64_t p = 0; p < tile * tile; ++p) out.data<float>()[b * tile * tile + p] += 100.0f * calls;
    }
    ++calls;
    return out;
  };
  const Tensor y = PredictTiled(model, x, tile);
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(y.shape(), Shape({n, 1, s, s}));
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t r = 0; r < s; ++r) {
      for (int64_t q = 0; q < s; ++q) {
        float expected = 100.0f * ((r / tile) * 2 + q / tile);
        for (int64_t k = 0; k < c; ++k) expected += values[((b * c + k) * s + r) * s + q];
        EXPECT_EQ(y.data<float>()[(b * s + r) * s + q], expected) << b << " " << r << " " << q;
      }
    }
  }
}

TEST(TilingTest, RejectsPartialTiles) {
  const Tensor x = Tensor::Zeros({1, 1, 6, 6});
  EXPECT_ANY_THROW(PredictTiled([](const Tensor& t) { return t; }, x, 4));
}

}  // namespace
}  // namespace nb360::tasks
