// Fuzz target: tasks/common Unpickle on arbitrary bytes, then a walk over every value produced.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tasks/common/pickle.h"

namespace {

// Touches every value once (the tree may share subtrees).
void Walk(const nb360::tasks::PyRef& root) {
  std::unordered_set<const nb360::tasks::PyValue*> seen;
  std::vector<const nb360::tasks::PyValue*> todo{root.get()};
  while (!todo.empty()) {
    const nb360::tasks::PyValue* v = todo.back();
    todo.pop_back();
    if (v == nullptr || !seen.insert(v).second) continue;
    (void)v->Describe();
    if (v->tensor.defined()) (void)v->tensor.numel();
    for (const auto& item : v->items) todo.push_back(item.get());
    for (const auto& [k, x] : v->dict) {
      todo.push_back(k.get());
      todo.push_back(x.get());
    }
    (void)v->Get("data");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto v = nb360::tasks::Unpickle(bytes, "fuzz.pkl");
  if (v.ok()) Walk(*v);
  nb360::tasks::UnpickleOptions latin1;
  latin1.py2_str_as_latin1 = true;
  auto w = nb360::tasks::Unpickle(bytes, "fuzz.pkl", latin1);
  if (w.ok()) Walk(*w);
  return 0;
}
