// Fuzz target: tasks/common ParseTar on arbitrary bytes, plus partial reads through the streaming API.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tasks/common/tar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto members = nb360::tasks::ParseTar(bytes, "fuzz.tar");
  if (members.ok()) (void)members->size();
  (void)nb360::tasks::ForEachTarMemberInBytes(
      bytes, "fuzz.tar", [](const nb360::tasks::TarEntry& e, const nb360::tasks::TarDataReader& read) {
        auto part = read.Read(e.size / 3, e.size / 2);
        return part.ok() ? absl::OkStatus() : part.status();
      });
  return 0;
}
