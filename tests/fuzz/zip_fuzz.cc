// Fuzz target: engine/io ParseZip on arbitrary bytes (must return a Status, never crash).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/io/zip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = nb360::io::ParseZip(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.zip");
  if (m.ok()) (void)m->size();
  return 0;
}
