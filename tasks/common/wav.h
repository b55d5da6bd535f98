// tasks/common/wav.h: RIFF/WAVE audio: parse to float samples, mix to mono, write 16-bit PCM.
//
// ParseWav reads the fmt and data chunks of a RIFF/WAVE file: PCM with 8 (unsigned), 16, 24 or 32-bit
// samples, IEEE float with 32 or 64-bit samples, and WAVE_FORMAT_EXTENSIBLE wrapping either. Other
// chunks (LIST, fact, cue, ...) are skipped, odd-sized chunks are followed by their pad byte. Integer
// samples are scaled to [-1, 1) the way libsndfile/soundfile and torchaudio do: int16 / 32768,
// int24 / 2^23, int32 / 2^31, (uint8 - 128) / 128; float samples are kept (float64 rounded to float).
// A data chunk that declares more bytes than the file holds is read up to the last whole frame and
// flagged with `truncated` (streaming writers leave such sizes); a file with no whole frame is an error.
// Left out: RF64/BW64, compressed formats (A-law, mu-law, ADPCM, ...), the 'fact' and cue metadata.
//
// Example:
//   absl::StatusOr<Wav> wav = ReadWav("chunk.wav");
//   std::vector<float> mono = ToMono(*wav);
#ifndef NB360_TASKS_COMMON_WAV_H_
#define NB360_TASKS_COMMON_WAV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nb360::tasks {

struct Wav {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // interleaved: frame f, channel c at f * channels + c
  bool truncated = false;      // the data chunk ran past the end of the file
  int64_t frames() const { return channels > 0 ? static_cast<int64_t>(samples.size()) / channels : 0; }
};

// Parses a whole WAV file held in memory; `name` is used in error messages.
absl::StatusOr<Wav> ParseWav(std::string_view bytes, std::string_view name);

// Reads and parses the WAV file at `path`.
absl::StatusOr<Wav> ReadWav(const std::string& path);

// The mean over channels of every frame (a copy of the samples for mono audio).
std::vector<float> ToMono(const Wav& wav);

// A canonical 44-byte-header 16-bit PCM WAV of interleaved `samples` (values clamped to [-1, 1],
// scaled by 32768 and rounded to nearest, 1.0 -> 32767). For tests and small fixtures.
std::string SerializeWav16(const std::vector<float>& samples, int sample_rate, int channels);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_WAV_H_
