// tasks/common/augment.cc: crop / flip / cutout / normalize on CHW float samples.
#include "tasks/common/augment.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace nb360::tasks {

void RandomCropWithPadding(float* x, int64_t c, int64_t h, int64_t w, int64_t pad, Generator* rng) {
  const int64_t dy = rng->RandInt(2 * pad + 1);  // top-left of the crop in the padded canvas
  const int64_t dx = rng->RandInt(2 * pad + 1);
  if (dy == pad && dx == pad) return;
  std::vector<float> src(x, x + c * h * w);
  for (int64_t ch = 0; ch < c; ++ch) {
    const float* s = src.data() + ch * h * w;
    float* d = x + ch * h * w;
    for (int64_t i = 0; i < h; ++i) {
      const int64_t si = i + dy - pad;
      float* drow = d + i * w;
      if (si < 0 || si >= h) {
        std::fill(drow, drow + w, 0.f);
        continue;
      }
      for (int64_t j = 0; j < w; ++j) {
        const int64_t sj = j + dx - pad;
        drow[j] = (sj < 0 || sj >= w) ? 0.f : s[si * w + sj];
      }
    }
  }
}

void RandomHorizontalFlip(float* x, int64_t c, int64_t h, int64_t w, double p, Generator* rng) {
  if (rng->NextDouble() >= p) return;
  for (int64_t r = 0; r < c * h; ++r) std::reverse(x + r * w, x + (r + 1) * w);
}

void Cutout(float* x, int64_t c, int64_t h, int64_t w, int64_t length, Generator* rng) {
  const int64_t cy = rng->RandInt(h);
  const int64_t cx = rng->RandInt(w);
  const int64_t y0 = std::clamp<int64_t>(cy - length / 2, 0, h), y1 = std::clamp<int64_t>(cy + length / 2, 0, h);
  const int64_t x0 = std::clamp<int64_t>(cx - length / 2, 0, w), x1 = std::clamp<int64_t>(cx + length / 2, 0, w);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t i = y0; i < y1; ++i) std::fill(x + (ch * h + i) * w + x0, x + (ch * h + i) * w + x1, 0.f);
  }
}

void NormalizeChannels(float* x, int64_t c, int64_t hw, const float* mean, const float* std) {
  for (int64_t ch = 0; ch < c; ++ch) {
    const float m = mean[ch], s = std[ch];
    float* p = x + ch * hw;
    for (int64_t i = 0; i < hw; ++i) p[i] = (p[i] - m) / s;
  }
}

}  // namespace nb360::tasks
