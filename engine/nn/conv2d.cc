#include "engine/nn/conv2d.h"

#include "engine/nn/init.h"

namespace nb360 {
namespace nn {

Conv2dParams Conv2dOptions(int64_t stride, int64_t padding, int64_t dilation, int64_t groups) {
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = padding;
  p.dilation_h = p.dilation_w = dilation;
  p.groups = groups;
  return p;
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
               Generator& gen, const Conv2dParams& params, bool bias)
    : Module("Conv2d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_h_(kernel_h),
      kernel_w_(kernel_w),
      params_(params) {
  NB_CHECK(params.groups > 0 && in_channels % params.groups == 0 && out_channels % params.groups == 0,
           "Conv2d: in_channels (", in_channels, ") and out_channels (", out_channels,
           ") must be divisible by groups (", params.groups, ")");
  NB_CHECK(kernel_h > 0 && kernel_w > 0, "Conv2d: kernel must be positive, got ", kernel_h, "x", kernel_w);
  RegisterParameter("weight", Tensor::Empty({out_channels, in_channels / params.groups, kernel_h, kernel_w}));
  if (bias) RegisterParameter("bias", Tensor::Empty({out_channels}));
  ResetParameters(gen);
}

void Conv2d::ResetParameters(Generator& gen) { init::DefaultConv(weight(), bias(), gen); }

Tensor Conv2d::Forward(const Tensor& x) { return nb360::Conv2d(x, weight(), bias(), params_); }

std::string Conv2d::ExtraRepr() const {
  std::string s = StrCat(in_channels_, ", ", out_channels_, ", kernel_size=(", kernel_h_, ", ", kernel_w_,
                         "), stride=(", params_.stride_h, ", ", params_.stride_w, ")");
  if (params_.pad_h != 0 || params_.pad_w != 0) s += StrCat(", padding=(", params_.pad_h, ", ", params_.pad_w, ")");
  if (params_.dilation_h != 1 || params_.dilation_w != 1) {
    s += StrCat(", dilation=(", params_.dilation_h, ", ", params_.dilation_w, ")");
  }
  if (params_.groups != 1) s += StrCat(", groups=", params_.groups);
  if (!HasParameter("bias")) s += ", bias=false";
  return s;
}

}  // namespace nn
}  // namespace nb360
