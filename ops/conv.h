// ops/conv.h: 2-d convolution (the primitive), and Conv1d / ConvTranspose2d built on its kernels.
//
// Conv2d is cross-correlation as in PyTorch: zero padding, stride, dilation and channel groups.
// Conv1d runs the Conv2d kernels on (N, C, 1, L) views (no copies). ConvTranspose2d is the adjoint
// of Conv2d: its forward is the conv's backward-data kernel, its input gradient the conv forward,
// its weight gradient the conv backward-weight with input and output swapped, so it has no kernels
// of its own. Channels-last inputs (engine/memory_format.h) give channels-last outputs and input
// gradients. Conv1d takes a right padding of its own (TensorFlow-style 'same' for even kernels).
// Left out: padding modes other than zeros, asymmetric Conv2d padding, 3-d convolutions.
#ifndef NB360_OPS_CONV_H_
#define NB360_OPS_CONV_H_

#include <cstdint>

#include "engine/precision.h"
#include "engine/tensor.h"

namespace nb360 {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
  // kBFloat16: the bf16 autocast numerics of engine/precision.h (float32 tensors only). The front
  // ends set it from AutocastPrecision() when the op is created; kernels must honour it.
  MathPrecision precision = MathPrecision::kFloat32;
  bool operator==(const Conv2dParams& o) const;
  bool operator!=(const Conv2dParams& o) const { return !(*this == o); }
};

struct Conv1dParams {
  int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  int64_t padding_right = -1;  // zeros on the right; -1: `padding` (symmetric)
  bool operator==(const Conv1dParams& o) const;
};

struct ConvTranspose2dParams {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, output_pad_h = 0, output_pad_w = 0,
          dilation_h = 1, dilation_w = 1, groups = 1;
  bool operator==(const ConvTranspose2dParams& o) const;
};

struct Conv2dKernels {
  // Every operand has elements (the front end handles empty ones).
  // y (N, O, OH, OW) = conv(x (N, C, H, W), w (O, C/groups, KH, KW)) + b (O). w, b contiguous, b
  // may be undefined; x and the preallocated y (and gy, gx below) each contiguous or channels-last.
  // The output sizes fix the bottom/right padding (RightPad in conv_dnnl.cc).
  void (*forward)(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y);
  // gx (N, C, H, W) = d(sum(y * gy))/dx for gy (N, O, OH, OW) and w (O, C/groups, KH, KW). gx is
  // preallocated; its H and W fix the geometry (a transposed conv's output padding).
  void (*backward_data)(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx);
  // gw (O, C/groups, KH, KW) = d(sum(y * gy))/dw from x (N, C, H, W) and gy (N, O, OH, OW), and
  // gb (O) = sum of gy over N, OH, OW unless gb is undefined. gw, gb preallocated contiguous.
  void (*backward_weight)(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                          const Tensor& gb);
};

namespace cpu {
extern const Conv2dKernels kConv2d;
}
namespace cuda {
extern const Conv2dKernels kConv2d;
}

// Output size of one spatial dimension: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1.
int64_t ConvOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation);

// x (N, C, H, W), weight (O, C/groups, KH, KW), bias (O) or undefined -> (N, O, OH, OW).
Tensor Conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

// x (N, C, L), weight (O, C/groups, K), bias (O) or undefined -> (N, O, OL).
Tensor Conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dParams& p);

// x (N, C, H, W), weight (C, O/groups, KH, KW) (PyTorch layout), bias (O) or undefined
// -> (N, O, OH, OW) with OH = (H - 1) stride_h - 2 pad_h + dilation_h (KH - 1) + output_pad_h + 1.
Tensor ConvTranspose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const ConvTranspose2dParams& p);

}  // namespace nb360

#endif  // NB360_OPS_CONV_H_
