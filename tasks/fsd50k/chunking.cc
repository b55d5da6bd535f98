// tasks/fsd50k/chunking.cc: 1-s chunks every 0.5 s, tiled at the end (spec §4.1).
#include "tasks/fsd50k/chunking.h"

namespace nb360::tasks {
namespace {

// `n` samples made by repeating `src[0, len)` from its start.
std::vector<float> Tile(const float* src, int64_t len, int64_t n) {
  std::vector<float> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = src[i % len];
  return out;
}

}  // namespace

std::vector<int64_t> FsdChunkStarts(int64_t length, int64_t sample_rate) {
  std::vector<int64_t> starts;
  if (length <= 0) return starts;
  if (length < sample_rate) return {0};
  const int64_t hop = sample_rate / 2;
  for (int64_t s = 0; s < length; s += hop) starts.push_back(s);
  return starts;
}

std::vector<std::vector<float>> FsdChunkClip(const std::vector<float>& clip, int64_t sample_rate) {
  std::vector<std::vector<float>> chunks;
  const int64_t n = static_cast<int64_t>(clip.size());
  for (int64_t s : FsdChunkStarts(n, sample_rate)) {
    const int64_t avail = std::min<int64_t>(sample_rate, n - s);
    chunks.push_back(Tile(clip.data() + s, avail, sample_rate));
  }
  return chunks;
}

}  // namespace nb360::tasks
