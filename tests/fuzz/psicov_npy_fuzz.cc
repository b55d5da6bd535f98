// Fuzz target: the PSICOV distance-file reader (tasks/psicov ParseObjectNpy: object-dtype .npy holding
// the pickled (L, sequence, L x L map) triple) on arbitrary bytes. Seeds: the psicov test files.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/psicov/psicov_raw.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto v = nb360::tasks::psicov::ParseObjectNpy(std::string_view(reinterpret_cast<const char*>(data), size),
                                                "fuzz-cb.npy");
  (void)v.ok();
  return 0;
}
