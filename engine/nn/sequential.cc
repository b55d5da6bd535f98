#include "engine/nn/sequential.h"

#include <string>

namespace nb360 {
namespace nn {

Sequential::Sequential(std::vector<ModulePtr> modules) : Module("Sequential") {
  for (auto& m : modules) Append(std::move(m));
}

void Sequential::Append(ModulePtr module) {
  AddChild(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

Tensor Sequential::Forward(const Tensor& x) {
  Tensor y = x;
  for (auto& m : modules_) y = m->Forward(y);
  return y;
}

ModulePtr Sequential::operator[](int64_t i) const {
  const int64_t n = size();
  const int64_t j = i < 0 ? i + n : i;
  NB_CHECK(j >= 0 && j < n, "Sequential: index ", i, " out of range for ", n, " modules");
  return modules_[j];
}

}  // namespace nn
}  // namespace nb360
