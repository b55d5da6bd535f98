#include "engine/nn/conv_transpose2d.h"

#include "engine/nn/init.h"

namespace nb360 {
namespace nn {

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h,
                                 int64_t kernel_w, Generator& gen, const ConvTranspose2dParams& params,
                                 bool bias)
    : Module("ConvTranspose2d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_h_(kernel_h),
      kernel_w_(kernel_w),
      params_(params) {
  NB_CHECK(params.groups > 0 && in_channels % params.groups == 0 && out_channels % params.groups == 0,
           "ConvTranspose2d: in_channels (", in_channels, ") and out_channels (", out_channels,
           ") must be divisible by groups (", params.groups, ")");
  NB_CHECK(kernel_h > 0 && kernel_w > 0, "ConvTranspose2d: kernel must be positive, got ", kernel_h, "x",
           kernel_w);
  RegisterParameter("weight", Tensor::Empty({in_channels, out_channels / params.groups, kernel_h, kernel_w}));
  if (bias) RegisterParameter("bias", Tensor::Empty({out_channels}));
  ResetParameters(gen);
}

void ConvTranspose2d::ResetParameters(Generator& gen) { init::DefaultConv(weight(), bias(), gen); }

Tensor ConvTranspose2d::Forward(const Tensor& x) {
  return nb360::ConvTranspose2d(x, weight(), bias(), params_);
}

std::string ConvTranspose2d::ExtraRepr() const {
  std::string s = StrCat(in_channels_, ", ", out_channels_, ", kernel_size=(", kernel_h_, ", ", kernel_w_,
                         "), stride=(", params_.stride_h, ", ", params_.stride_w, ")");
  if (params_.pad_h != 0 || params_.pad_w != 0) s += StrCat(", padding=(", params_.pad_h, ", ", params_.pad_w, ")");
  if (params_.output_pad_h != 0 || params_.output_pad_w != 0) {
    s += StrCat(", output_padding=(", params_.output_pad_h, ", ", params_.output_pad_w, ")");
  }
  if (params_.dilation_h != 1 || params_.dilation_w != 1) {
    s += StrCat(", dilation=(", params_.dilation_h, ", ", params_.dilation_w, ")");
  }
  if (params_.groups != 1) s += StrCat(", groups=", params_.groups);
  if (!HasParameter("bias")) s += ", bias=false";
  return s;
}

}  // namespace nn
}  // namespace nb360
