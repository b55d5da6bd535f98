// Fuzz target: engine/io ParseNpz on arbitrary bytes (must return a Status, never crash).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/io/npz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = nb360::io::ParseNpz(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npz");
  if (t.ok()) (void)t->size();
  return 0;
}
