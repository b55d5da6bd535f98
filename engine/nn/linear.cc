#include "engine/nn/linear.h"

#include "engine/nn/init.h"
#include "ops/matmul.h"

namespace nb360 {
namespace nn {

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  NB_CHECK(in_features >= 0 && out_features >= 0, "Linear: negative size (", in_features, ", ",
           out_features, ")");
  RegisterParameter("weight", Tensor::Empty({out_features, in_features}));
  if (bias) RegisterParameter("bias", Tensor::Empty({out_features}));
  ResetParameters(gen);
}

void Linear::ResetParameters(Generator& gen) { init::DefaultLinear(weight(), bias(), gen); }

Tensor Linear::Forward(const Tensor& x) { return nb360::Linear(x, weight(), bias()); }

std::string Linear::ExtraRepr() const {
  return StrCat("in_features=", in_features_, ", out_features=", out_features_,
                ", bias=", HasParameter("bias") ? "true" : "false");
}

}  // namespace nn
}  // namespace nb360
