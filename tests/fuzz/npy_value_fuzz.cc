// Fuzz target: tasks/common ParseNpyValue (any .npy, object arrays unpickled) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/common/npy_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto v = nb360::tasks::ParseNpyValue(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  if (v.ok()) (void)(*v)->Describe();
  return 0;
}
