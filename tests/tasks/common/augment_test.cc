// tests/tasks/common/augment_test.cc: crop/flip/cutout/normalize semantics on small CHW samples.
#include "tasks/common/augment.h"

#include <vector>

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

std::vector<float> Ramp(int64_t c, int64_t h, int64_t w) {
  std::vector<float> v(c * h * w);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1.f + static_cast<float>(i);
  return v;
}

TEST(Augment, CropWithPaddingIsAShiftWithZeroFill) {
  const int64_t c = 2, h = 5, w = 6, pad = 2;
  int shifted = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Generator g(seed), probe(seed);
    const int64_t dy = probe.RandInt(2 * pad + 1) - pad, dx = probe.RandInt(2 * pad + 1) - pad;
    std::vector<float> src = Ramp(c, h, w), x = src;
    RandomCropWithPadding(x.data(), c, h, w, pad, &g);
    if (dy != 0 || dx != 0) ++shifted;
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < h; ++i) {
        for (int64_t j = 0; j < w; ++j) {
          const int64_t si = i + dy, sj = j + dx;
          const float want = (si < 0 || si >= h || sj < 0 || sj >= w) ? 0.f : src[(ch * h + si) * w + sj];
          ASSERT_EQ(x[(ch * h + i) * w + j], want) << seed;
        }
      }
    }
  }
  EXPECT_GT(shifted, 30);
}

TEST(Augment, FlipMirrorsRowsAboutHalfTheTime) {
  int flips = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    Generator g(seed);
    std::vector<float> x = Ramp(1, 2, 3);
    RandomHorizontalFlip(x.data(), 1, 2, 3, 0.5, &g);
    if (x[0] == 3.f) {
      ++flips;
      EXPECT_EQ(x, (std::vector<float>{3, 2, 1, 6, 5, 4}));
    } else {
      EXPECT_EQ(x, Ramp(1, 2, 3));
    }
  }
  EXPECT_GT(flips, 160);
  EXPECT_LT(flips, 240);
}

TEST(Augment, CutoutZeroesAClippedSquare) {
  const int64_t c = 3, h = 32, w = 32;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Generator g(seed), probe(seed);
    const int64_t cy = probe.RandInt(h), cx = probe.RandInt(w);
    std::vector<float> x = Ramp(c, h, w);
    Cutout(x.data(), c, h, w, 16, &g);
    int64_t zeros = 0;
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < h; ++i) {
        for (int64_t j = 0; j < w; ++j) {
          const bool in = i >= std::max<int64_t>(cy - 8, 0) && i < std::min<int64_t>(cy + 8, h) &&
                          j >= std::max<int64_t>(cx - 8, 0) && j < std::min<int64_t>(cx + 8, w);
          EXPECT_EQ(x[(ch * h + i) * w + j] == 0.f, in);
          zeros += in;
        }
      }
    }
    EXPECT_LE(zeros, c * 16 * 16);
  }
}

TEST(Augment, NormalizeChannels) {
  std::vector<float> x = {1, 2, 3, 4};
  const float mean[] = {1, 2}, std[] = {2, 4};
  NormalizeChannels(x.data(), 2, 2, mean, std);
  EXPECT_EQ(x, (std::vector<float>{0, 0.5f, 0.25f, 0.5f}));
}

}  // namespace
}  // namespace nb360::tasks
