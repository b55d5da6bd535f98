// Fuzz target: the Cosmic stamp reader (tasks/cosmic ParseNpyAnyEndian: .npy of either byte order)
// on arbitrary bytes. Seeds: little- and big-endian stacks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/cosmic/cosmic_raw.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = nb360::tasks::cosmic::ParseNpyAnyEndian(std::string_view(reinterpret_cast<const char*>(data), size),
                                                   "fuzz.npy");
  (void)t.ok();
  return 0;
}
