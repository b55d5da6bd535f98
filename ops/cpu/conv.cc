// ops/cpu/conv.cc: the CPU Conv2d kernels: float32 depthwise convs on the plane kernels
// (conv_depthwise), other float32 convs on oneDNN (conv_dnnl), float64 and the float32 geometries
// oneDNN declines on the direct loops (conv_loops). Empty operands never arrive (ops/conv.cc).
// Channels-last operands go to oneDNN as they are, to the others as contiguous copies.
#include "ops/conv.h"

#include <cstdlib>
#include <cstring>

#include "ops/cpu/bf16_reference.h"
#include "ops/cpu/conv_depthwise.h"
#include "ops/cpu/conv_dnnl.h"
#include "ops/cpu/conv_loops.h"

namespace nb360 {
namespace cpu {
namespace {

// Which float32 depthwise passes run on the plane kernels rather than oneDNN, as measured at the
// DARTS shapes (benchmarks/ops/conv_benchmark.cc): the plane kernels win every unit-stride pass
// (backward passes by 4-10x when dilated or 5x5, where oneDNN 2.6 falls back to im2col + GEMM) and
// strided backward passes except 3x3 undilated ones; oneDNN's jit depthwise kernels win strided
// forward passes and 3x3 undilated strided backward passes (about 1.6x). NB360_CONV_DEPTHWISE=dnnl
// (read once) sends every depthwise pass to oneDNN, for measuring.
bool UseDirectDepthwise(bool forward, DType dtype, const Conv2dParams& p, const Shape& x, const Shape& w) {
  static const bool dnnl = [] {
    const char* v = std::getenv("NB360_CONV_DEPTHWISE");
    return v != nullptr && std::strcmp(v, "dnnl") == 0;
  }();
  if (dtype != DType::kFloat32 || dnnl || !IsDepthwise(p, x, w)) return false;
  const bool strided = p.stride_h > 1 || p.stride_w > 1;
  const bool dilated = p.dilation_h > 1 || p.dilation_w > 1;
  if (forward) return !strided;
  return !strided || dilated || w[2] != 3 || w[3] != 3;
}

// Channels-last operands (not contiguous) go to oneDNN, which takes them as they are; where it
// declines, or the plane kernels or loops are the better choice, they run on contiguous copies.
bool Contiguous(const Tensor& a, const Tensor& b) { return a.is_contiguous() && b.is_contiguous(); }

// Runs `run` on contiguous copies of in (and out), then copies the result into out.
template <class Run>
void OnContiguous(const Tensor& in, const Tensor& out, const Run& run) {
  const Tensor result = Tensor::Empty(out.shape(), out.dtype(), out.device());
  run(in.Contiguous(), result);
  out.CopyFrom(result);
}

void ForwardContiguous(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y);
void BackwardDataContiguous(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx);

void Forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
  if (Contiguous(x, y)) return ForwardContiguous(p, x, w, b, y);
  const bool depthwise = UseDirectDepthwise(true, x.dtype(), p, x.shape(), w.shape());
  if (!depthwise && x.dtype() == DType::kFloat32 && DnnlConvForward(p, x, w, b, y)) return;
  OnContiguous(x, y, [&](const Tensor& xc, const Tensor& yc) { ForwardContiguous(p, xc, w, b, yc); });
}

void ForwardContiguous(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
  if (UseDirectDepthwise(true, x.dtype(), p, x.shape(), w.shape())) {
    return DepthwiseForward(p, x, w, b, y);
  }
  if (x.dtype() == DType::kFloat32 && DnnlConvForward(p, x, w, b, y)) return;
  DispatchFloating(x.dtype(), "conv2d", [&](auto tag) { ConvForwardLoops<decltype(tag)>(p, x, w, b, y); });
}

void BackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  if (Contiguous(gy, gx)) return BackwardDataContiguous(p, gy, w, gx);
  const bool depthwise = UseDirectDepthwise(false, gy.dtype(), p, gx.shape(), w.shape());
  if (!depthwise && gy.dtype() == DType::kFloat32 && DnnlConvBackwardData(p, gy, w, gx)) return;
  OnContiguous(gy, gx, [&](const Tensor& gyc, const Tensor& gxc) { BackwardDataContiguous(p, gyc, w, gxc); });
}

void BackwardDataContiguous(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  if (UseDirectDepthwise(false, gy.dtype(), p, gx.shape(), w.shape())) {
    return DepthwiseBackwardData(p, gy, w, gx);
  }
  if (gy.dtype() == DType::kFloat32 && DnnlConvBackwardData(p, gy, w, gx)) return;
  DispatchFloating(gy.dtype(), "conv2d backward",
                   [&](auto tag) { ConvBackwardDataLoops<decltype(tag)>(p, gy, w, gx); });
}

void BackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                    const Tensor& gb) {
  const bool depthwise = UseDirectDepthwise(false, x.dtype(), p, x.shape(), gw.shape());
  if (!Contiguous(x, gy)) {
    if (!depthwise && x.dtype() == DType::kFloat32 && DnnlConvBackwardWeight(p, x, gy, gw, gb)) return;
    return BackwardWeight(p, x.Contiguous(), gy.Contiguous(), gw, gb);
  }
  if (depthwise) {
    return DepthwiseBackwardWeight(p, x, gy, gw, gb);
  }
  if (x.dtype() == DType::kFloat32 && DnnlConvBackwardWeight(p, x, gy, gw, gb)) return;
  DispatchFloating(x.dtype(), "conv2d backward",
                   [&](auto tag) { ConvBackwardWeightLoops<decltype(tag)>(p, x, gy, gw, gb); });
}

// ---------------------------------------------------------------- bf16 autocast reference
// (engine/precision.h): rounded operands through the float32 kernels, rounded results; the bias is
// added, and its gradient summed, in float32 outside the rounding (as the CUDA kernels do).

Conv2dParams Float32(Conv2dParams p) {
  p.precision = MathPrecision::kFloat32;
  return p;
}

bool Bf16(const Conv2dParams& p) { return p.precision == MathPrecision::kBFloat16; }

void ForwardAny(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
  if (!Bf16(p)) return Forward(p, x, w, b, y);
  Forward(Float32(p), RoundedBFloat16(x), RoundedBFloat16(w), Tensor(), y);
  RoundBFloat16InPlace(y);
  if (b.defined()) AddChannelBias(y, b);
}

void BackwardDataAny(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  if (!Bf16(p)) return BackwardData(p, gy, w, gx);
  BackwardData(Float32(p), RoundedBFloat16(gy), RoundedBFloat16(w), gx);
  RoundBFloat16InPlace(gx);
}

void BackwardWeightAny(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                       const Tensor& gb) {
  if (!Bf16(p)) return BackwardWeight(p, x, gy, gw, gb);
  if (gb.defined()) SumPerChannel(gy, gb);
  BackwardWeight(Float32(p), RoundedBFloat16(x), RoundedBFloat16(gy), gw, Tensor());
  RoundBFloat16InPlace(gw);
}

}  // namespace

const Conv2dKernels kConv2d = {ForwardAny, BackwardDataAny, BackwardWeightAny};

}  // namespace cpu
}  // namespace nb360
