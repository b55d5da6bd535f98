#include "engine/nn/activation.h"

#include "ops/elementwise.h"

namespace nb360 {
namespace nn {

Tensor ReLU::Forward(const Tensor& x) { return Relu(x); }

Tensor GELU::Forward(const Tensor& x) { return Gelu(x); }

std::string Flatten::ExtraRepr() const { return StrCat("start_dim=", start_dim_, ", end_dim=", end_dim_); }

}  // namespace nn
}  // namespace nb360
