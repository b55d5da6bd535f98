#include "engine/nn/layernorm.h"

#include "engine/nn/init.h"
#include "ops/norm.h"

namespace nb360 {
namespace nn {

LayerNorm::LayerNorm(const Shape& normalized_shape, double eps, bool elementwise_affine)
    : Module("LayerNorm"), normalized_shape_(normalized_shape), eps_(eps), affine_(elementwise_affine) {
  NB_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must not be empty");
  if (affine_) {
    RegisterParameter("weight", Tensor::Empty(normalized_shape));
    RegisterParameter("bias", Tensor::Empty(normalized_shape));
    init::DefaultNorm(Parameter("weight"), Parameter("bias"));
  }
}

Tensor LayerNorm::Forward(const Tensor& x) {
  return nb360::LayerNorm(x, normalized_shape_, affine_ ? Parameter("weight") : Tensor(),
                          affine_ ? Parameter("bias") : Tensor(), eps_);
}

std::string LayerNorm::ExtraRepr() const {
  return StrCat(normalized_shape_, ", eps=", eps_, ", elementwise_affine=", affine_ ? "true" : "false");
}

}  // namespace nn
}  // namespace nb360
