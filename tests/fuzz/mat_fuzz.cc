// Fuzz target: tasks/common ParseMat on arbitrary bytes as a MAT v5/v7 file (must return a Status,
// never crash, hang or over-allocate). Inputs that would take the v7.3 path (an HDF5 signature, or
// header version 0x0200) are skipped: that path hands the bytes to the HDF5 library, whose own parser
// is not what this target tests. Seeds: copies of tests/tasks/common/testdata/mat/v5_*.mat.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "tasks/common/mat.h"

namespace {

bool WouldTakeTheHdf5Path(std::string_view b) {
  for (size_t at : {size_t{0}, size_t{512}, size_t{1024}}) {
    if (b.size() >= at + 8 && std::memcmp(b.data() + at, "\x89HDF\r\n\x1a\n", 8) == 0) return true;
  }
  return b.size() >= 128 && ((b[124] == 0 && b[125] == 2) || (b[124] == 2 && b[125] == 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (WouldTakeTheHdf5Path(bytes)) return 0;
  auto all = nb360::tasks::ParseMat(bytes, "fuzz.mat");
  if (all.ok()) {
    for (const auto& [name, t] : *all) (void)t.numel();
  }
  auto some = nb360::tasks::ParseMat(bytes, "fuzz.mat", {"a", "d2"});
  if (some.ok()) (void)some->size();
  return 0;
}
