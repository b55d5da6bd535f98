// engine/nn/activation.h: parameter-free modules: ReLU, GELU, Identity, Flatten.
#ifndef NB360_ENGINE_NN_ACTIVATION_H_
#define NB360_ENGINE_NN_ACTIVATION_H_

#include <cstdint>

#include "engine/nn/module.h"

namespace nb360 {
namespace nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor Forward(const Tensor& x) override;
};

// Exact (erf) GELU, torch's default approximate='none'.
class GELU : public Module {
 public:
  GELU() : Module("GELU") {}
  Tensor Forward(const Tensor& x) override;
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor Forward(const Tensor& x) override { return x; }
};

// Flattens dims [start_dim, end_dim] into one (torch.nn.Flatten defaults: 1, -1).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor Forward(const Tensor& x) override { return x.Flatten(start_dim_, end_dim_); }
  std::string ExtraRepr() const override;

 private:
  int64_t start_dim_, end_dim_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_ACTIVATION_H_
