// ops/cpu/conv.cc: the CPU Conv2d kernels: float32 depthwise convs on the plane kernels
// (conv_depthwise), other float32 convs on oneDNN (conv_dnnl), float64 and the float32 geometries
// oneDNN declines on the direct loops (conv_loops). Empty tensors are handled here first.
#include "ops/conv.h"

#include "ops/cpu/conv_depthwise.h"
#include "ops/cpu/conv_dnnl.h"
#include "ops/cpu/conv_loops.h"

namespace nb360 {
namespace cpu {
namespace {

// Depthwise float32 convolutions run on the plane kernels (faster than oneDNN's plus its reorders in
// every pass, and oneDNN 2.6 has no direct dilated depthwise backward); the rest run on oneDNN.
bool UseDirectDepthwise(DType dtype, const Conv2dParams& p, const Shape& x, const Shape& w) {
  return dtype == DType::kFloat32 && IsDepthwise(p, x, w);
}

void Forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
  if (y.numel() == 0) return;
  if (x.numel() == 0) {  // zero input channels: the output is the bias
    if (b.defined()) {
      y.CopyFrom(b.Reshape({1, b.numel(), 1, 1}).Detach().Expand(y.shape()));
    } else {
      y.Fill(0.0);
    }
    return;
  }
  if (UseDirectDepthwise(x.dtype(), p, x.shape(), w.shape())) {
    return DepthwiseForward(p, x, w, b, y);
  }
  if (x.dtype() == DType::kFloat32 && DnnlConvForward(p, x, w, b, y)) return;
  DispatchFloating(x.dtype(), "conv2d", [&](auto tag) { ConvForwardLoops<decltype(tag)>(p, x, w, b, y); });
}

void BackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  if (gx.numel() == 0) return;
  if (gy.numel() == 0) {
    gx.Fill(0.0);
    return;
  }
  if (UseDirectDepthwise(gy.dtype(), p, gx.shape(), w.shape())) {
    return DepthwiseBackwardData(p, gy, w, gx);
  }
  if (gy.dtype() == DType::kFloat32 && DnnlConvBackwardData(p, gy, w, gx)) return;
  DispatchFloating(gy.dtype(), "conv2d backward",
                   [&](auto tag) { ConvBackwardDataLoops<decltype(tag)>(p, gy, w, gx); });
}

void BackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                    const Tensor& gb) {
  if (x.numel() == 0 || gy.numel() == 0) {
    if (gw.numel() > 0) gw.Fill(0.0);
    if (gb.defined() && gb.numel() > 0) gb.Fill(0.0);
    return;
  }
  if (UseDirectDepthwise(x.dtype(), p, x.shape(), gw.shape())) {
    return DepthwiseBackwardWeight(p, x, gy, gw, gb);
  }
  if (x.dtype() == DType::kFloat32 && DnnlConvBackwardWeight(p, x, gy, gw, gb)) return;
  DispatchFloating(x.dtype(), "conv2d backward",
                   [&](auto tag) { ConvBackwardWeightLoops<decltype(tag)>(p, x, gy, gw, gb); });
}

}  // namespace

const Conv2dKernels kConv2d = {Forward, BackwardData, BackwardWeight};

}  // namespace cpu
}  // namespace nb360
