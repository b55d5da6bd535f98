#include "engine/nn/conv1d.h"

#include "engine/nn/init.h"

namespace nb360 {
namespace nn {

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
               const Conv1dParams& params, bool bias)
    : Module("Conv1d"), in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel), params_(params) {
  NB_CHECK(params.groups > 0 && in_channels % params.groups == 0 && out_channels % params.groups == 0,
           "Conv1d: in_channels (", in_channels, ") and out_channels (", out_channels,
           ") must be divisible by groups (", params.groups, ")");
  NB_CHECK(kernel > 0, "Conv1d: kernel must be positive, got ", kernel);
  RegisterParameter("weight", Tensor::Empty({out_channels, in_channels / params.groups, kernel}));
  if (bias) RegisterParameter("bias", Tensor::Empty({out_channels}));
  ResetParameters(gen);
}

void Conv1d::ResetParameters(Generator& gen) { init::DefaultConv(weight(), bias(), gen); }

Tensor Conv1d::Forward(const Tensor& x) { return nb360::Conv1d(x, weight(), bias(), params_); }

std::string Conv1d::ExtraRepr() const {
  std::string s = StrCat(in_channels_, ", ", out_channels_, ", kernel_size=(", kernel_, "), stride=(",
                         params_.stride, ")");
  if (params_.padding != 0) s += StrCat(", padding=(", params_.padding, ")");
  if (params_.dilation != 1) s += StrCat(", dilation=(", params_.dilation, ")");
  if (params_.groups != 1) s += StrCat(", groups=", params_.groups);
  if (!HasParameter("bias")) s += ", bias=false";
  return s;
}

}  // namespace nn
}  // namespace nb360
