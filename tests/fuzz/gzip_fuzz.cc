// Fuzz target: tasks/common Gunzip on arbitrary bytes (output capped at 1 MB so bombs stay cheap).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/common/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto out = nb360::tasks::Gunzip(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.gz",
                                  1 << 20);
  if (out.ok()) (void)out->size();
  return 0;
}
