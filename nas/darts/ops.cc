// nas/darts/ops.cc: see ops.h.
#include "nas/darts/ops.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/autograd.h"
#include "engine/check.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"

namespace nb360::nas::darts {
namespace {

int64_t CeilDiv(int64_t n, int64_t stride) { return (n + stride - 1) / stride; }

}  // namespace

nn::BatchNormOptions RetrainOpBn() {
  nn::BatchNormOptions o;
  o.momentum = 0.999;
  o.eps = 1e-3;
  return o;
}

nn::ModulePtr MakeDartsConv(OpDims dims, int64_t in, int64_t out, int64_t k, int64_t stride,
                            int64_t pad, int64_t dilation, int64_t groups, Generator& gen) {
  if (dims == OpDims::k1d) {
    Conv1dParams p;
    p.stride = stride;
    p.padding = pad;
    p.dilation = dilation;
    p.groups = groups;
    return std::make_shared<nn::Conv1d>(in, out, k, gen, p, /*bias=*/false);
  }
  return std::make_shared<nn::Conv2d>(in, out, k, gen, nn::Conv2dOptions(stride, pad, dilation, groups),
                                      /*bias=*/false);
}

std::shared_ptr<nn::BatchNormBase> MakeDartsBn(OpDims dims, int64_t channels,
                                               const nn::BatchNormOptions& options) {
  if (dims == OpDims::k1d) return std::make_shared<nn::BatchNorm1d>(channels, options);
  return std::make_shared<nn::BatchNorm2d>(channels, options);
}

// --- Zero ---

Tensor Zero::Forward(const Tensor& x) {
  // The product with zero has a zero gradient, so a constant is equivalent and cheaper.
  Shape shape = x.shape();
  for (size_t d = 2; d < shape.size(); ++d) shape[d] = CeilDiv(shape[d], stride_);
  return Tensor::Zeros(shape, x.dtype(), x.device());
}

std::string Zero::ExtraRepr() const { return absl::StrCat("stride=", stride_); }

// --- Pools ---

Tensor Pool3::Forward(const Tensor& x) {
  if (dims_ == OpDims::k1d) {
    return max_ ? MaxPool1d(x, 3, stride_, 1) : AvgPool1d(x, 3, stride_, 1, /*count_include_pad=*/false);
  }
  return max_ ? MaxPool2d(x, 3, stride_, 1) : AvgPool2d(x, 3, stride_, 1, /*count_include_pad=*/false);
}

std::string Pool3::ExtraRepr() const {
  return absl::StrCat("kernel=3, stride=", stride_, ", padding=1",
                      max_ ? "" : ", count_include_pad=false");
}

// --- ReLUConvBN ---

ReLUConvBN::ReLUConvBN(const OpConfig& cfg, int64_t in, int64_t out, int64_t k, int64_t stride,
                       int64_t pad, Generator& gen)
    : Module("ReLUConvBN") {
  conv_ = MakeDartsConv(cfg.dims, in, out, k, stride, pad, 1, 1, gen);
  bn_ = MakeDartsBn(cfg.dims, out, cfg.bn);
  RegisterModule("op", std::make_shared<nn::Sequential>(
                           std::vector<nn::ModulePtr>{std::make_shared<nn::ReLU>(), conv_, bn_}));
}

Tensor ReLUConvBN::Forward(const Tensor& x) { return bn_->Forward(conv_->Forward(Relu(x))); }

// --- FactorizedReduce ---

FactorizedReduce::FactorizedReduce(const OpConfig& cfg, int64_t in, int64_t out, Generator& gen)
    : Module("FactorizedReduce"), dims_(cfg.dims) {
  NB_CHECK(out % 2 == 0, "FactorizedReduce: output channels must be even, got ", out);
  conv_1_ = RegisterModule("conv_1", MakeDartsConv(cfg.dims, in, out / 2, 1, 2, 0, 1, 1, gen));
  conv_2_ = RegisterModule("conv_2", MakeDartsConv(cfg.dims, in, out / 2, 1, 2, 0, 1, 1, gen));
  bn_ = RegisterModule("bn", MakeDartsBn(cfg.dims, out, cfg.bn));
}

Tensor FactorizedReduce::Forward(const Tensor& x) {
  const Tensor r = Relu(x);
  if (dims_ == OpDims::k1d) {
    // (N, C, L): both halves see the same, unshifted input (the 1-D original).
    return bn_->Forward(Cat({conv_1_->Forward(r), conv_2_->Forward(r)}, 1));
  }
  // (N, C, H, W): the second half sees x[:, :, 1:, 1:], padded at the bottom/right at odd sizes.
  const int64_t h = r.shape()[2], w = r.shape()[3];
  NB_CHECK(h >= 2 && w >= 2, "FactorizedReduce: needs H, W >= 2, got ", r.Describe());
  Tensor shifted = r.Narrow(2, 1, h - 1).Narrow(3, 1, w - 1);
  if (h % 2 == 1 || w % 2 == 1) shifted = Pad(shifted, {0, w % 2, 0, h % 2});
  return bn_->Forward(Cat({conv_1_->Forward(r), conv_2_->Forward(shifted)}, 1));
}

// --- DilConv ---

DilConv::DilConv(const OpConfig& cfg, int64_t c, int64_t k, int64_t stride, int64_t pad,
                 int64_t dilation, Generator& gen)
    : Module("DilConv") {
  dw_ = MakeDartsConv(cfg.dims, c, c, k, stride, pad, dilation, c, gen);
  pw_ = MakeDartsConv(cfg.dims, c, c, 1, 1, 0, 1, 1, gen);
  bn_ = MakeDartsBn(cfg.dims, c, cfg.bn);
  RegisterModule("op", std::make_shared<nn::Sequential>(
                           std::vector<nn::ModulePtr>{std::make_shared<nn::ReLU>(), dw_, pw_, bn_}));
}

Tensor DilConv::Forward(const Tensor& x) {
  return bn_->Forward(pw_->Forward(dw_->Forward(Relu(x))));
}

// --- SepConv ---

SepConv::SepConv(const OpConfig& cfg, int64_t c, int64_t k, int64_t stride, int64_t pad,
                 Generator& gen)
    : Module("SepConv") {
  dw1_ = MakeDartsConv(cfg.dims, c, c, k, stride, pad, 1, c, gen);
  pw1_ = MakeDartsConv(cfg.dims, c, c, 1, 1, 0, 1, 1, gen);
  bn1_ = MakeDartsBn(cfg.dims, c, cfg.bn);
  dw2_ = MakeDartsConv(cfg.dims, c, c, k, 1, pad, 1, c, gen);
  pw2_ = MakeDartsConv(cfg.dims, c, c, 1, 1, 0, 1, 1, gen);
  bn2_ = MakeDartsBn(cfg.dims, c, cfg.bn);
  RegisterModule("op", std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
                           std::make_shared<nn::ReLU>(), dw1_, pw1_, bn1_, std::make_shared<nn::ReLU>(),
                           dw2_, pw2_, bn2_}));
}

Tensor SepConv::Forward(const Tensor& x) {
  // BN then the second block's ReLU as one fused op.
  const Tensor h = bn1_->ForwardRelu(pw1_->Forward(dw1_->Forward(Relu(x))));
  return bn2_->Forward(pw2_->Forward(dw2_->Forward(h)));
}

// --- Factory ---

nn::ModulePtr MakeOp(Primitive p, const OpConfig& cfg, int64_t c, int64_t stride, Generator& gen) {
  NB_CHECK(stride == 1 || stride == 2, "MakeOp: stride must be 1 or 2, got ", stride);
  switch (p) {
    case Primitive::kNone:
      return std::make_shared<Zero>(stride);
    case Primitive::kMaxPool3x3:
      return std::make_shared<Pool3>(cfg.dims, /*max=*/true, stride);
    case Primitive::kAvgPool3x3:
      return std::make_shared<Pool3>(cfg.dims, /*max=*/false, stride);
    case Primitive::kSkipConnect:
      if (stride == 1) return std::make_shared<nn::Identity>();
      return std::make_shared<FactorizedReduce>(cfg, c, c, gen);
    case Primitive::kSepConv3x3:
      return std::make_shared<SepConv>(cfg, c, 3, stride, 1, gen);
    case Primitive::kSepConv5x5:
      return std::make_shared<SepConv>(cfg, c, 5, stride, 2, gen);
    case Primitive::kDilConv3x3:
      return std::make_shared<DilConv>(cfg, c, 3, stride, 2, 2, gen);
    case Primitive::kDilConv5x5:
      return std::make_shared<DilConv>(cfg, c, 5, stride, 4, 2, gen);
  }
  NB_CHECK(false, "MakeOp: invalid primitive ", static_cast<int>(p));
  return nullptr;
}

bool IsIdentityOp(const nn::Module& m) { return m.type_name() == "Identity"; }

Tensor DropPath(const Tensor& x, double p, Generator& gen) {
  NB_CHECK(p >= 0.0 && p < 1.0, "DropPath: p must be in [0, 1), got ", p);
  if (p == 0.0) return x;
  Shape mask_shape(x.shape().size(), 1);
  mask_shape[0] = x.shape()[0];
  Tensor mask = Tensor::Empty(mask_shape, x.dtype(), x.device());  // drawn where x lives
  gen.Bernoulli(mask, 1.0 - p);
  {
    NoGradGuard no_grad;
    mask = Mul(mask, 1.0 / (1.0 - p));
  }
  return Mul(x, mask);
}

Tensor ClassifierHead(nn::Linear& classifier, const Tensor& h, bool dense) {
  if (dense) {
    const int64_t classes = classifier.weight().shape()[0];
    const Tensor w = classifier.weight().Reshape({classes, h.shape()[1], 1, 1});
    return nb360::Conv2d(h, w, classifier.bias(), Conv2dParams{});
  }
  if (h.dim() == 4) return classifier.Forward(GlobalAvgPool2d(h));
  return classifier.Forward(Mean(h, {2}));
}

}  // namespace nb360::nas::darts
