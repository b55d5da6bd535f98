// Fuzz target: engine/io ParseNpy on arbitrary bytes (must return a Status, never crash).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = nb360::io::ParseNpy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  if (t.ok()) (void)t->numel();
  return 0;
}
