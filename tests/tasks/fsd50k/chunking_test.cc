// tests/tasks/fsd50k/chunking_test.cc: the FSD50K chunking rule (spec §4.1, §14).
#include "tasks/fsd50k/chunking.h"

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

TEST(FsdChunking, StartsEveryHalfSecond) {
  EXPECT_EQ(FsdChunkStarts(22050), (std::vector<int64_t>{0, 11025}));  // a 1.0 s clip: 0 and 0.5 s
  EXPECT_EQ(FsdChunkStarts(10000), (std::vector<int64_t>{0}));         // shorter than 1 s: one tiled chunk
  EXPECT_EQ(FsdChunkStarts(33076), (std::vector<int64_t>{0, 11025, 22050, 33075}));
  EXPECT_TRUE(FsdChunkStarts(0).empty());
  EXPECT_EQ(FsdChunkStarts(10, 4), (std::vector<int64_t>{0, 2, 4, 6, 8}));
}

TEST(FsdChunking, ChunksAreOneSecondAndTiledAtTheEnd) {
  std::vector<float> clip = {1, 2, 3};
  std::vector<std::vector<float>> c = FsdChunkClip(clip, 4);  // short clip: tiled to 4
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (std::vector<float>{1, 2, 3, 1}));
  clip = {1, 2, 3, 4, 5, 6, 7};
  c = FsdChunkClip(clip, 4);  // starts 0, 2, 4, 6
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0], (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(c[1], (std::vector<float>{3, 4, 5, 6}));
  EXPECT_EQ(c[2], (std::vector<float>{5, 6, 7, 5}));  // runs past the end: tiled from its own samples
  EXPECT_EQ(c[3], (std::vector<float>{7, 7, 7, 7}));
}

}  // namespace
}  // namespace nb360::tasks
