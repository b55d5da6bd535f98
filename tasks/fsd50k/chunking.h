// tasks/fsd50k/chunking.h: how NAS-Bench-360 cut FSD50K clips into 1-second chunks (spec §4.1).
//
// The benchmark's audio.zip already holds the chunks; this is the rule that made them, for users who
// start from the original FSD50K clips (resampled to 22,050 Hz): a clip shorter than one second is
// tiled (repeated) to exactly one second and gives one chunk; a longer clip gives chunks of one second
// starting every half second (0, 0.5 s, 1.0 s, ... while start < clip length), and a chunk that runs past
// the end is tiled up to one second from its own samples.
#ifndef NB360_TASKS_FSD50K_CHUNKING_H_
#define NB360_TASKS_FSD50K_CHUNKING_H_

#include <cstdint>
#include <vector>

namespace nb360::tasks {

// Start sample of every chunk of a clip of `length` samples (chunk = sample_rate samples).
std::vector<int64_t> FsdChunkStarts(int64_t length, int64_t sample_rate = 22050);

// The chunks themselves, each exactly sample_rate samples. An empty clip gives no chunks.
std::vector<std::vector<float>> FsdChunkClip(const std::vector<float>& clip, int64_t sample_rate = 22050);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_FSD50K_CHUNKING_H_
