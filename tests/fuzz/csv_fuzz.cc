// Fuzz target: the FSD50K manifest CSV reader (tasks/fsd50k ParseCsv, RFC 4180) and the label-list
// splitter on arbitrary bytes. Seeds: a manifest with quoted label lists, CRLF and doubled quotes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/fsd50k/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = nb360::tasks::ParseCsv(text, "fuzz.csv");
  (void)nb360::tasks::SplitOn(text, ',');
  (void)table.ok();
  return 0;
}
