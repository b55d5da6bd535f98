// baselines/wrn/resnet1d.cc: see resnet1d.h.
#include "baselines/wrn/resnet1d.h"

#include "absl/strings/str_cat.h"
#include "engine/check.h"
#include "engine/memory_format.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"

namespace nb360::baselines {

Tensor SamePadConv1d::Forward(const Tensor& x) {
  const int64_t total = kernel_ - 1;
  Conv1dParams p;
  // An odd total: one extra zero on the right, the rest split evenly.
  p.padding = total / 2;
  p.padding_right = total - total / 2;
  return nb360::Conv1d(x, weight(), bias(), p);
}

ConvBlock1d::ConvBlock1d(int64_t in, int64_t out, int64_t kernel, Generator& gen) : Module("ConvBlock1d") {
  layers_ = RegisterModule("layers", std::make_shared<nn::Sequential>());
  conv_ = std::make_shared<SamePadConv1d>(in, out, kernel, gen);
  bn_ = std::make_shared<nn::BatchNorm1d>(out);
  layers_->Add(conv_);
  layers_->Add(bn_);
  layers_->Add(std::make_shared<nn::ReLU>());
}

ResNetBlock1d::ResNetBlock1d(int64_t in, int64_t out, Generator& gen) : Module("ResNetBlock1d") {
  const int64_t channels[4] = {in, out, out, out};
  const int64_t kernels[3] = {8, 5, 3};
  layers_ = RegisterModule("layers", std::make_shared<nn::Sequential>());
  for (int i = 0; i < 3; ++i) {
    layers_->Add(std::make_shared<ConvBlock1d>(channels[i], channels[i + 1], kernels[i], gen));
  }
  if (in != out) {
    residual_ = RegisterModule("residual", std::make_shared<nn::Sequential>());
    residual_->Add(std::make_shared<SamePadConv1d>(in, out, 1, gen));
    residual_->Add(std::make_shared<nn::BatchNorm1d>(out));
  }
}

Tensor ResNetBlock1d::Forward(const Tensor& x) {
  Tensor h = layers_->Forward(x);
  return residual_ ? Add(h, residual_->Forward(x)) : h;
}

ResNet1D::ResNet1D(int64_t in_channels, int64_t num_classes, Generator& gen, int64_t mid_channels)
    : Module("ResNet1D"), in_channels_(in_channels), num_classes_(num_classes), mid_channels_(mid_channels) {
  NB_CHECK(in_channels >= 1 && num_classes >= 1 && mid_channels >= 1, "ResNet1D: bad sizes");
  layers_ = RegisterModule("layers", std::make_shared<nn::Sequential>());
  layers_->Add(std::make_shared<ResNetBlock1d>(in_channels, mid_channels, gen));
  layers_->Add(std::make_shared<ResNetBlock1d>(mid_channels, 2 * mid_channels, gen));
  layers_->Add(std::make_shared<ResNetBlock1d>(2 * mid_channels, 2 * mid_channels, gen));
  final_ = RegisterModule("final", std::make_shared<nn::Linear>(2 * mid_channels, num_classes, gen));
}

Tensor ResNet1D::Forward(const Tensor& x) {
  NB_CHECK(x.dim() == 3 && x.shape()[1] == in_channels_, "ResNet1D: expected (N, ", in_channels_,
           ", L) input");
  // Channels-last activations: the convolutions, BatchNorms and residual sums all keep the format,
  // so oneDNN's NHWC convolutions run without a reorder (engine/memory_format.h).
  return final_->Forward(Mean(layers_->Forward(ToChannelsLast(x)), {-1}));
}

std::string ResNet1D::ExtraRepr() const {
  return absl::StrCat("in=", in_channels_, ", mid=", mid_channels_, ", classes=", num_classes_);
}

}  // namespace nb360::baselines
