// ops/norm.cc: front-ends of BatchNorm and LayerNorm (shape checks, kernel lookup, autograd).
#include "ops/norm.h"

#include "engine/autograd.h"
#include "engine/memory_format.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

// A contiguous view of `t` (already contiguous) with a new shape.
Tensor ViewAs(const Tensor& t, const Shape& shape) {
  return MakeView(t, shape, ContiguousStrides(shape), t.offset());
}

// Checks an optional per-group parameter: undefined, or `shape` in x's dtype and device.
void CheckParam(const char* op, const char* name, const Tensor& p, const Tensor& x, const Shape& shape,
                bool same_dtype) {
  if (!p.defined()) return;
  NB_CHECK(p.shape() == shape, op, ": ", name, " must have shape ", ShapeString(shape), " for x ",
           x.Describe(), ", got ", p.Describe());
  NB_CHECK(p.device() == x.device(), op, ": ", name, " is on ", p.device().ToString(), ", x on ",
           x.device().ToString());
  NB_CHECK(IsFloating(p.dtype()), op, ": ", name, " must be floating, got ", p.Describe());
  NB_CHECK(!same_dtype || p.dtype() == x.dtype(), op, ": ", name, " ", p.Describe(), " must have x's dtype (",
           x.Describe(), ")");
}

// Allocates the gradient of `input` if it wants one.
Tensor GradFor(bool wanted, const Shape& shape, const Tensor& like) {
  return wanted ? Tensor::Empty(shape, like.dtype(), like.device()) : Tensor();
}

Tensor BatchNormImpl(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool training, double momentum, double eps, bool relu) {
  NB_CHECK(x.defined(), "BatchNorm: undefined input");
  NB_CHECK(IsFloating(x.dtype()), "BatchNorm: needs a floating tensor, got ", x.Describe());
  NB_CHECK(x.dim() >= 2 && x.dim() <= 4, "BatchNorm: x must be (N, C), (N, C, L) or (N, C, H, W), got ",
           x.Describe());
  NB_CHECK(running_mean.defined() == running_var.defined(),
           "BatchNorm: running_mean and running_var must both be defined or both undefined");
  NB_CHECK(eps > 0, "BatchNorm: eps must be positive, got ", eps);
  const int64_t n = x.size(0), c = x.size(1);
  const int64_t s = n * c == 0 ? 0 : x.numel() / (n * c);
  const Shape per_channel{c};
  CheckParam("BatchNorm", "weight", weight, x, per_channel, true);
  CheckParam("BatchNorm", "bias", bias, x, per_channel, true);
  CheckParam("BatchNorm", "running_mean", running_mean, x, per_channel, false);
  CheckParam("BatchNorm", "running_var", running_var, x, per_channel, false);

  BatchNormParams p;
  p.use_batch_stats = training || !running_mean.defined();
  p.momentum = momentum;
  p.eps = eps;
  p.relu = relu;
  p.channels_last = IsChannelsLast(x);
  NB_CHECK(!p.use_batch_stats || n * s > 1, "BatchNorm: batch statistics need more than 1 value per channel, "
           "got x ", x.Describe());

  // The kernels' view: (N, C, S), or (N, S, C) for a channels-last x (whose memory is exactly that).
  const Shape shape3 = p.channels_last ? Shape{n, s, c} : Shape{n, c, s};
  const Tensor x3 = ViewAs(p.channels_last ? x.Detach() : x.Detach().Contiguous(), shape3);
  const Tensor w = weight.defined() ? weight.Detach().Contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.Detach().Contiguous() : Tensor();
  Tensor mean = Tensor::Empty(per_channel, x.dtype(), x.device());
  Tensor invstd = Tensor::Empty(per_channel, x.dtype(), x.device());
  Tensor y = EmptyInFormatOf(x, x.shape(), x.dtype());
  const BatchNormKernels& k = GetKernels<BatchNormKernels>(OpKind::kBatchNorm, x);
  k.forward(p, x3, w, b, running_mean, running_var, mean, invstd, ViewAs(y, shape3));

  if (NeedsGrad({&x, &weight, &bias})) {
    const bool want_x = x.requires_grad(), want_w = weight.requires_grad(), want_b = bias.requires_grad();
    const Shape x_shape = x.shape();
    const Tensor saved_y = relu ? ViewAs(y.Detach(), shape3) : Tensor();  // never y itself: a cycle
    RecordOp(relu ? "batch_norm_relu" : "batch_norm", {x, weight, bias}, y,
             [p, x3, w, mean, invstd, saved_y, want_x, want_w, want_b, x_shape, shape3, &k](const Tensor& g) {
               const Tensor gd = g.To(x3.dtype());
               const Tensor gy = ViewAs(p.channels_last ? ToChannelsLast(gd) : gd.Contiguous(), shape3);
               Tensor gx = want_x ? (p.channels_last ? EmptyChannelsLast(x_shape, x3.dtype(), x3.device())
                                                     : Tensor::Empty(x_shape, x3.dtype(), x3.device()))
                                  : Tensor();
               const int64_t channels = x_shape[1];
               Tensor gw = GradFor(want_w, {channels}, x3);
               Tensor gb = GradFor(want_b, {channels}, x3);
               k.backward(p, x3, w, mean, invstd, saved_y, gy, gx.defined() ? ViewAs(gx, shape3) : Tensor(), gw,
                          gb);
               return Grads{gx, gw, gb};
             });
  }
  return y;
}

}  // namespace

Tensor BatchNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                 const Tensor& running_var, bool training, double momentum, double eps) {
  return BatchNormImpl(x, weight, bias, running_mean, running_var, training, momentum, eps, false);
}

Tensor BatchNormRelu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool training, double momentum, double eps) {
  return BatchNormImpl(x, weight, bias, running_mean, running_var, training, momentum, eps, true);
}

Tensor LayerNorm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                 double eps) {
  NB_CHECK(x.defined(), "LayerNorm: undefined input");
  NB_CHECK(IsFloating(x.dtype()), "LayerNorm: needs a floating tensor, got ", x.Describe());
  const int64_t k_dims = static_cast<int64_t>(normalized_shape.size());
  NB_CHECK(k_dims >= 1 && k_dims <= x.dim(), "LayerNorm: normalized_shape ", ShapeString(normalized_shape),
           " does not fit x ", x.Describe());
  for (int64_t i = 0; i < k_dims; ++i) {
    NB_CHECK(x.size(x.dim() - k_dims + i) == normalized_shape[i], "LayerNorm: normalized_shape ",
             ShapeString(normalized_shape), " is not the trailing shape of x ", x.Describe());
  }
  NB_CHECK(eps > 0, "LayerNorm: eps must be positive, got ", eps);
  CheckParam("LayerNorm", "weight", weight, x, normalized_shape, true);
  CheckParam("LayerNorm", "bias", bias, x, normalized_shape, true);
  const int64_t d = NumElements(normalized_shape);
  NB_CHECK(d > 0, "LayerNorm: normalized_shape ", ShapeString(normalized_shape), " is empty");
  const int64_t r = x.numel() / d;

  const LayerNormParams p{eps};
  const Shape shape2{r, d};
  const Tensor x2 = ViewAs(x.Detach().Contiguous(), shape2);
  const Tensor w = weight.defined() ? ViewAs(weight.Detach().Contiguous(), {d}) : Tensor();
  const Tensor b = bias.defined() ? ViewAs(bias.Detach().Contiguous(), {d}) : Tensor();
  Tensor mean = Tensor::Empty({r}, x.dtype(), x.device());
  Tensor invstd = Tensor::Empty({r}, x.dtype(), x.device());
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  const LayerNormKernels& k = GetKernels<LayerNormKernels>(OpKind::kLayerNorm, x);
  k.forward(p, x2, w, b, mean, invstd, ViewAs(y, shape2));

  if (NeedsGrad({&x, &weight, &bias})) {
    const bool want_x = x.requires_grad(), want_w = weight.requires_grad(), want_b = bias.requires_grad();
    const Shape x_shape = x.shape();
    RecordOp("layer_norm", {x, weight, bias}, y,
             [p, x2, w, mean, invstd, want_x, want_w, want_b, x_shape, normalized_shape, shape2,
              &k](const Tensor& g) {
               const Tensor gy = ViewAs(g.To(x2.dtype()).Contiguous(), shape2);
               Tensor gx = GradFor(want_x, x_shape, x2);
               Tensor gw = GradFor(want_w, normalized_shape, x2);
               Tensor gb = GradFor(want_b, normalized_shape, x2);
               const Shape flat{shape2[1]};
               k.backward(p, x2, w, mean, invstd, gy, gx.defined() ? ViewAs(gx, shape2) : Tensor(),
                          gw.defined() ? ViewAs(gw, flat) : Tensor(), gb.defined() ? ViewAs(gb, flat) : Tensor());
               return Grads{gx, gw, gb};
             });
  }
  return y;
}

}  // namespace nb360
