// Fuzz target: tasks/common ParseWav (and ToMono on what it returns) on arbitrary bytes.
// Seeds: copies of tests/tasks/common/testdata/wav/*.wav and ext24.wav, a 24-bit stereo
// WAVE_FORMAT_EXTENSIBLE file with a LIST chunk (built by hand like wav_test.cc does).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/common/wav.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto wav = nb360::tasks::ParseWav(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.wav");
  if (wav.ok()) (void)nb360::tasks::ToMono(*wav).size();
  return 0;
}
