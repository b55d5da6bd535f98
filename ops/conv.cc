// ops/conv.cc: front-ends of Conv2d, Conv1d and ConvTranspose2d (shape checks, autograd).
#include "ops/conv.h"

#include "engine/autograd.h"
#include "engine/memory_format.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/registry.h"

namespace nb360 {

bool Conv2dParams::operator==(const Conv2dParams& o) const {
  return stride_h == o.stride_h && stride_w == o.stride_w && pad_h == o.pad_h && pad_w == o.pad_w &&
         dilation_h == o.dilation_h && dilation_w == o.dilation_w && groups == o.groups && precision == o.precision;
}

bool Conv1dParams::operator==(const Conv1dParams& o) const {
  return stride == o.stride && padding == o.padding && padding_right == o.padding_right &&
         dilation == o.dilation && groups == o.groups;
}

bool ConvTranspose2dParams::operator==(const ConvTranspose2dParams& o) const {
  return stride_h == o.stride_h && stride_w == o.stride_w && pad_h == o.pad_h && pad_w == o.pad_w &&
         output_pad_h == o.output_pad_h && output_pad_w == o.output_pad_w && dilation_h == o.dilation_h &&
         dilation_w == o.dilation_w && groups == o.groups;
}

int64_t ConvOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

namespace {

std::string ParamString(const Conv2dParams& p) {
  return StrCat("stride (", p.stride_h, ", ", p.stride_w, "), padding (", p.pad_h, ", ", p.pad_w,
                "), dilation (", p.dilation_h, ", ", p.dilation_w, "), groups ", p.groups);
}

// Checks what x (N, C, H, W), w (O or C, ., KH, KW) and bias (bias_size) have in common.
void CheckOperands(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t bias_size,
                   const Conv2dParams& p) {
  NB_CHECK(x.defined() && w.defined(), op, ": undefined input or weight");
  NB_CHECK(x.dim() == 4, op, ": input must be (N, C, H, W), got ", x.Describe());
  NB_CHECK(w.dim() == 4, op, ": weight must be 4-d, got ", w.Describe());
  NB_CHECK(IsFloating(x.dtype()), op, ": needs a floating input, got ", x.Describe());
  NB_CHECK(w.dtype() == x.dtype() && w.device() == x.device(), op, ": weight ", w.Describe(), " on ",
           w.device().ToString(), " does not match input ", x.Describe(), " on ", x.device().ToString());
  NB_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.pad_h >= 0 && p.pad_w >= 0 && p.dilation_h >= 1 &&
               p.dilation_w >= 1 && p.groups >= 1,
           op, ": invalid ", ParamString(p));
  NB_CHECK(w.size(2) >= 1 && w.size(3) >= 1, op, ": empty kernel in weight ", w.Describe());
  if (bias.defined()) {
    NB_CHECK(bias.dim() == 1 && bias.size(0) == bias_size, op, ": bias must be (", bias_size, "), got ",
             bias.Describe());
    NB_CHECK(bias.dtype() == x.dtype() && bias.device() == x.device(), op, ": bias ", bias.Describe(),
             " does not match input ", x.Describe());
  }
}

// p with the precision the op runs in: bf16 where asked for (by p or this thread's autocast scope)
// and the data are float32, float32 otherwise.
Conv2dParams WithAutocast(Conv2dParams p, DType dtype) {
  const bool bf16 = p.precision == MathPrecision::kBFloat16 || AutocastPrecision() == MathPrecision::kBFloat16;
  p.precision = bf16 && dtype == DType::kFloat32 ? MathPrecision::kBFloat16 : MathPrecision::kFloat32;
  return p;
}

const Conv2dKernels& Kernels(const Tensor& like) { return GetKernels<Conv2dKernels>(OpKind::kConv2d, like); }

// The kernels see non-empty operands only: empty ones are handled here, once for every backend.
void RunForward(const Conv2dKernels& k, const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                const Tensor& y) {
  if (y.numel() == 0) return;
  if (x.numel() == 0) {  // an empty image (padding only) or no input channels: the output is the bias
    if (b.defined()) {
      y.CopyFrom(b.Reshape({1, b.numel(), 1, 1}).Detach().Expand(y.shape()));
    } else {
      y.Fill(0.0);
    }
    return;
  }
  k.forward(p, x, w, b, y);
}

void RunBackwardData(const Conv2dKernels& k, const Conv2dParams& p, const Tensor& gy, const Tensor& w,
                     const Tensor& gx) {
  if (gx.numel() == 0) return;
  if (gy.numel() == 0) {
    gx.Fill(0.0);
    return;
  }
  k.backward_data(p, gy, w, gx);
}

// gb may be undefined.
void RunBackwardWeight(const Conv2dKernels& k, const Conv2dParams& p, const Tensor& x, const Tensor& gy,
                       const Tensor& gw, const Tensor& gb) {
  if (x.numel() == 0 || gy.numel() == 0) {
    if (gw.numel() > 0) gw.Fill(0.0);
    if (gb.defined() && gb.numel() > 0) gb.CopyFrom(Sum(gy, {0, 2, 3}));  // the bias still reached gy
    return;
  }
  k.backward_weight(p, x, gy, gw, gb);
}

// The gradient in the forward's dtype, channels-last as it comes or else contiguous.
Tensor Prepare(const Tensor& g, DType dtype) {
  const Tensor t = g.To(dtype);
  return IsChannelsLast(t) ? t : t.Contiguous();
}

// The convolution with output size (oh, ow) fixed by the caller (a right/bottom padding that
// differs from the left/top one shows only there). Channels-last x gives channels-last y and gx
// (engine/memory_format.h); the kernels take either format.
Tensor Conv2dCore(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params,
                  int64_t oh, int64_t ow) {
  const Conv2dParams p = WithAutocast(params, x.dtype());
  const int64_t n = x.size(0), o = weight.size(0);
  const Conv2dKernels& k = Kernels(x);
  const bool channels_last = IsChannelsLast(x);
  const Tensor xc = channels_last ? x.Detach() : x.Detach().Contiguous();
  const Tensor wc = weight.Detach().Contiguous();
  const Tensor bc = bias.defined() ? bias.Detach().Contiguous() : Tensor();
  Tensor y = channels_last ? EmptyChannelsLast({n, o, oh, ow}, x.dtype(), x.device())
                           : Tensor::Empty({n, o, oh, ow}, x.dtype(), x.device());
  RunForward(k, p, xc, wc, bc, y);
  if (NeedsGrad({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
    const bool need_b = bias.defined() && bias.requires_grad();
    const Tensor saved_x = need_w ? xc : Tensor();
    const Tensor saved_w = need_x ? wc : Tensor();
    const Shape x_shape = x.shape(), w_shape = weight.shape();
    const DType dt = x.dtype();
    RecordOp("conv2d", {x, weight, bias}, y,
             [need_x, need_w, need_b, saved_x, saved_w, x_shape, w_shape, dt, p, channels_last,
              &k](const Tensor& g) {
               const Tensor gy = Prepare(g, dt);
               Tensor gx, gw, gb;
               if (need_x) {
                 gx = channels_last ? EmptyChannelsLast(x_shape, gy.dtype(), gy.device())
                                    : Tensor::Empty(x_shape, gy.dtype(), gy.device());
                 RunBackwardData(k, p, gy, saved_w, gx);
               }
               if (need_b) gb = Tensor::Empty({w_shape[0]}, gy.dtype(), gy.device());
               if (need_w) {
                 gw = Tensor::Empty(w_shape, gy.dtype(), gy.device());
                 RunBackwardWeight(k, p, saved_x, gy, gw, gb);
               } else if (need_b) {
                 gb = Sum(gy, {0, 2, 3});
               }
               return Grads{gx, gw, gb};
             });
  }
  return y;
}

}  // namespace

Tensor Conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  const char* op = "Conv2d";
  CheckOperands(op, x, weight, bias, weight.defined() ? weight.size(0) : 0, p);
  const int64_t c = x.size(1), o = weight.size(0);
  NB_CHECK(c % p.groups == 0 && o % p.groups == 0 && weight.size(1) * p.groups == c, op, ": input ",
           x.Describe(), " and weight ", weight.Describe(), " do not fit groups ", p.groups,
           " (weight must be (O, C/groups, KH, KW) with O and C divisible by groups)");
  const int64_t oh = ConvOutputSize(x.size(2), weight.size(2), p.stride_h, p.pad_h, p.dilation_h);
  const int64_t ow = ConvOutputSize(x.size(3), weight.size(3), p.stride_w, p.pad_w, p.dilation_w);
  NB_CHECK(oh >= 1 && ow >= 1, op, ": input ", x.Describe(), " is too small for weight ", weight.Describe(),
           " with ", ParamString(p));
  return Conv2dCore(x, weight, bias, p, oh, ow);
}

Tensor Conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dParams& p) {
  const char* op = "Conv1d";
  NB_CHECK(x.defined() && weight.defined(), op, ": undefined input or weight");
  NB_CHECK(x.dim() == 3, op, ": input must be (N, C, L), got ", x.Describe());
  NB_CHECK(weight.dim() == 3, op, ": weight must be (O, C/groups, K), got ", weight.Describe());
  const int64_t right = p.padding_right < 0 ? p.padding : p.padding_right;
  NB_CHECK(right >= 0, op, ": invalid right padding ", p.padding_right);
  Conv2dParams p2;
  p2.stride_w = p.stride;
  p2.pad_w = p.padding;
  p2.dilation_w = p.dilation;
  p2.groups = p.groups;
  const Tensor x4 = x.Unsqueeze(2), w4 = weight.Unsqueeze(2);
  CheckOperands(op, x4, w4, bias, weight.size(0), p2);
  const int64_t c = x.size(1), o = weight.size(0);
  NB_CHECK(c % p.groups == 0 && o % p.groups == 0 && weight.size(1) * p.groups == c, op, ": input ",
           x.Describe(), " and weight ", weight.Describe(), " do not fit groups ", p.groups,
           " (weight must be (O, C/groups, K) with O and C divisible by groups)");
  // (L + left + right - span) / stride + 1, as ConvOutputSize with the two paddings.
  const int64_t span = x.size(2) + p.padding + right - p.dilation * (weight.size(2) - 1) - 1;
  const int64_t ow = span < 0 ? 0 : span / p.stride + 1;
  NB_CHECK(ow >= 1, op, ": input ", x.Describe(), " is too small for weight ", weight.Describe(), " with ",
           ParamString(p2), ", right padding ", right);
  return Conv2dCore(x4, w4, bias, p2, 1, ow).Squeeze(2);
}

Tensor ConvTranspose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const ConvTranspose2dParams& p) {
  const char* op = "ConvTranspose2d";
  const Conv2dParams cp0{p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups};
  const int64_t o = weight.defined() && weight.dim() == 4 ? weight.size(1) * p.groups : 0;
  CheckOperands(op, x, weight, bias, o, cp0);
  const int64_t n = x.size(0), c = x.size(1);
  NB_CHECK(c % p.groups == 0 && weight.size(0) == c, op, ": input ", x.Describe(), " and weight ",
           weight.Describe(), " do not fit groups ", p.groups,
           " (weight must be (C, O/groups, KH, KW) with C divisible by groups)");
  NB_CHECK(p.output_pad_h >= 0 && p.output_pad_w >= 0 &&
               p.output_pad_h < std::max(p.stride_h, p.dilation_h) &&
               p.output_pad_w < std::max(p.stride_w, p.dilation_w),
           op, ": output padding (", p.output_pad_h, ", ", p.output_pad_w,
           ") must be smaller than the stride or the dilation; ", ParamString(cp0));
  const int64_t oh =
      (x.size(2) - 1) * p.stride_h - 2 * p.pad_h + p.dilation_h * (weight.size(2) - 1) + p.output_pad_h + 1;
  const int64_t ow =
      (x.size(3) - 1) * p.stride_w - 2 * p.pad_w + p.dilation_w * (weight.size(3) - 1) + p.output_pad_w + 1;
  NB_CHECK(oh >= 1 && ow >= 1, op, ": input ", x.Describe(), " with weight ", weight.Describe(), " and ",
           ParamString(cp0), " gives an empty output (", oh, ", ", ow, ")");
  const Conv2dKernels& k = Kernels(x);
  const Conv2dParams cp = WithAutocast(cp0, x.dtype());
  const Tensor xc = x.Detach().Contiguous();
  const Tensor wc = weight.Detach().Contiguous();
  // The conv whose input is y (N, O, OH, OW) and whose output is x has weight (C, O/groups, KH, KW).
  Tensor y = Tensor::Empty({n, o, oh, ow}, x.dtype(), x.device());
  RunBackwardData(k, cp, xc, wc, y);
  if (NeedsGrad({&x, &weight})) {
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
    const Tensor saved_x = need_w ? xc : Tensor();
    const Tensor saved_w = need_x ? wc : Tensor();
    const Shape x_shape = x.shape(), w_shape = weight.shape();
    const DType dt = x.dtype();
    RecordOp("conv_transpose2d", {x, weight}, y,
             [need_x, need_w, saved_x, saved_w, x_shape, w_shape, dt, cp, &k](const Tensor& g) {
               const Tensor gy = Prepare(g, dt);
               Tensor gx, gw;
               if (need_x) {
                 gx = Tensor::Empty(x_shape, gy.dtype(), gy.device());
                 RunForward(k, cp, gy, saved_w, Tensor(), gx);
               }
               if (need_w) {
                 gw = Tensor::Empty(w_shape, gy.dtype(), gy.device());
                 RunBackwardWeight(k, cp, gy, saved_x, gw, Tensor());
               }
               return Grads{gx, gw};
             });
  }
  if (!bias.defined()) return y;
  return Add(y, bias.Reshape({1, o, 1, 1}));
}

}  // namespace nb360
