// engine/nn/layernorm.h: LayerNorm over the trailing normalized_shape dims (torch.nn.LayerNorm).
#ifndef NB360_ENGINE_NN_LAYERNORM_H_
#define NB360_ENGINE_NN_LAYERNORM_H_

#include "engine/nn/module.h"

namespace nb360 {
namespace nn {

class LayerNorm : public Module {
 public:
  // With elementwise_affine: parameters "weight" (1) and "bias" (0) of normalized_shape.
  explicit LayerNorm(const Shape& normalized_shape, double eps = 1e-5, bool elementwise_affine = true);

  // x (..., *normalized_shape) -> same shape.
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;

  const Shape& normalized_shape() const { return normalized_shape_; }

 private:
  Shape normalized_shape_;
  double eps_;
  bool affine_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_LAYERNORM_H_
