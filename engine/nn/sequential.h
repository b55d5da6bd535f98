// engine/nn/sequential.h: Sequential, a chain of single-input modules named "0", "1", ...
//
// Example:
//   auto net = std::make_shared<nn::Sequential>();
//   net->Add(std::make_shared<nn::Linear>(4, 8, gen));
//   net->Add(std::make_shared<nn::ReLU>());
//   Tensor y = net->Forward(x);  // state dict keys "0.weight", "0.bias"
#ifndef NB360_ENGINE_NN_SEQUENTIAL_H_
#define NB360_ENGINE_NN_SEQUENTIAL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/nn/module.h"

namespace nb360 {
namespace nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  explicit Sequential(std::vector<ModulePtr> modules);

  // Appends `module` as child "<size()>"; returns it.
  template <class M>
  std::shared_ptr<M> Add(std::shared_ptr<M> module) {
    Append(module);
    return module;
  }

  // Applies the children in order.
  Tensor Forward(const Tensor& x) override;

  int64_t size() const { return static_cast<int64_t>(modules_.size()); }
  // The i-th module (negative counts from the end).
  ModulePtr operator[](int64_t i) const;

 private:
  void Append(ModulePtr module);
  std::vector<ModulePtr> modules_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_SEQUENTIAL_H_
