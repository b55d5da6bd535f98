// Fuzz target: engine/io ParseJson (dataset manifests, FSD50K lbl_map.json) and re-serialisation of
// what it accepts (which must parse again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/io/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto v = nb360::io::ParseJson(std::string(reinterpret_cast<const char*>(data), size));
  if (v.ok()) {
    auto again = nb360::io::ParseJson(v->Serialize());
    if (!again.ok()) std::abort();  // what we write must read back
  }
  return 0;
}
