// ops/pool.cc: pooling front-ends: shape checks, kernel lookup, autograd records.
#include "ops/pool.h"

#include "engine/autograd.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

const char* PoolName(PoolMode mode) { return mode == PoolMode::kMax ? "MaxPool2d" : "AvgPool2d"; }

void CheckPoolInput(const Tensor& x, int64_t rank, const char* op) {
  NB_CHECK(x.defined(), op, ": undefined input");
  NB_CHECK(x.dim() == rank, op, ": expects a ", rank == 4 ? "(N, C, H, W)" : "(N, C, L)", " tensor, got ",
           x.Describe());
  NB_CHECK(IsFloating(x.dtype()), op, ": needs a floating tensor, got ", x.Describe());
  NB_CHECK(x.numel() > 0, op, ": empty input ", x.Describe());
}

void CheckWindow(const char* op, const char* axis, int64_t in, int64_t k, int64_t s, int64_t pad,
                 const Tensor& x) {
  NB_CHECK(k > 0 && s > 0 && pad >= 0, op, ": kernel ", k, ", stride ", s, ", padding ", pad, " along ", axis,
           " must be positive, positive, non-negative");
  NB_CHECK(2 * pad <= k, op, ": padding ", pad, " along ", axis, " exceeds half the kernel ", k);
  NB_CHECK(in + 2 * pad >= k, op, ": kernel ", k, " along ", axis, " is larger than the padded input of ",
           x.Describe());
}

}  // namespace

bool Pool2dParams::operator==(const Pool2dParams& o) const {
  return mode == o.mode && kernel_h == o.kernel_h && kernel_w == o.kernel_w && stride_h == o.stride_h &&
         stride_w == o.stride_w && pad_h == o.pad_h && pad_w == o.pad_w && ceil_mode == o.ceil_mode &&
         count_include_pad == o.count_include_pad;
}

int64_t PoolOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode) {
  const int64_t span = in + 2 * pad - kernel + (ceil_mode ? stride - 1 : 0);
  int64_t out = span / stride + 1;
  // A last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

Tensor Pool2d(const Tensor& x, const Pool2dParams& p) {
  const char* op = PoolName(p.mode);
  CheckPoolInput(x, 4, op);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  CheckWindow(op, "H", h, p.kernel_h, p.stride_h, p.pad_h, x);
  CheckWindow(op, "W", w, p.kernel_w, p.stride_w, p.pad_w, x);
  const int64_t oh = PoolOutputSize(h, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode);
  const int64_t ow = PoolOutputSize(w, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode);
  const Pool2dKernels& k = GetKernels<Pool2dKernels>(OpKind::kPool2d, x);
  const bool needs_grad = NeedsGrad({&x});
  Tensor y = Tensor::Empty({n, c, oh, ow}, x.dtype(), x.device());
  Tensor indices;
  if (needs_grad && p.mode == PoolMode::kMax) indices = Tensor::Empty({n, c, oh, ow}, DType::kInt32, x.device());
  k.forward(p, x.Detach().Contiguous(), y, indices);
  if (needs_grad) {
    const Shape x_shape = x.shape();
    const DType dtype = x.dtype();
    RecordOp(p.mode == PoolMode::kMax ? "max_pool2d" : "avg_pool2d", {x}, y,
             [p, indices, x_shape, dtype, &k](const Tensor& gy) {
               const Tensor g = gy.To(dtype).Contiguous();
               Tensor gx = Tensor::Empty(x_shape, dtype, g.device());
               k.backward(p, g, indices, gx);
               return Grads{gx};
             });
  }
  return y;
}

Tensor MaxPool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, bool ceil_mode) {
  Pool2dParams p;
  p.mode = PoolMode::kMax;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = padding;
  p.ceil_mode = ceil_mode;
  return Pool2d(x, p);
}

Tensor AvgPool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, bool count_include_pad,
                 bool ceil_mode) {
  Pool2dParams p;
  p.mode = PoolMode::kAvg;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = padding;
  p.ceil_mode = ceil_mode;
  p.count_include_pad = count_include_pad;
  return Pool2d(x, p);
}

namespace {

// A 1-d pooling as a (N, C, 1, L) 2-d pooling with a 1-row window.
Tensor Pool1d(const Tensor& x, PoolMode mode, int64_t kernel, int64_t stride, int64_t padding,
              bool count_include_pad) {
  CheckPoolInput(x, 3, mode == PoolMode::kMax ? "MaxPool1d" : "AvgPool1d");
  Pool2dParams p;
  p.mode = mode;
  p.kernel_w = kernel;
  p.stride_w = stride;
  p.pad_w = padding;
  p.count_include_pad = count_include_pad;
  return Pool2d(x.Unsqueeze(2), p).Squeeze(2);
}

}  // namespace

Tensor MaxPool1d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  return Pool1d(x, PoolMode::kMax, kernel, stride, padding, true);
}

Tensor AvgPool1d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, bool count_include_pad) {
  return Pool1d(x, PoolMode::kAvg, kernel, stride, padding, count_include_pad);
}

Tensor AdaptiveAvgPool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  CheckPoolInput(x, 4, "AdaptiveAvgPool2d");
  NB_CHECK(out_h > 0 && out_w > 0, "AdaptiveAvgPool2d: output size (", out_h, ", ", out_w,
           ") must be positive for ", x.Describe());
  const AdaptiveAvgPool2dKernels& k = GetKernels<AdaptiveAvgPool2dKernels>(OpKind::kAdaptiveAvgPool2d, x);
  Tensor y = Tensor::Empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  k.forward(x.Detach().Contiguous(), y);
  if (NeedsGrad({&x})) {
    const Shape x_shape = x.shape();
    const DType dtype = x.dtype();
    RecordOp("adaptive_avg_pool2d", {x}, y, [x_shape, dtype, &k](const Tensor& gy) {
      const Tensor g = gy.To(dtype).Contiguous();
      Tensor gx = Tensor::Empty(x_shape, dtype, g.device());
      k.backward(g, gx);
      return Grads{gx};
    });
  }
  return y;
}

Tensor AdaptiveAvgPool1d(const Tensor& x, int64_t out_l) {
  CheckPoolInput(x, 3, "AdaptiveAvgPool1d");
  return AdaptiveAvgPool2d(x.Unsqueeze(2), 1, out_l).Squeeze(2);
}

Tensor GlobalAvgPool2d(const Tensor& x) {
  CheckPoolInput(x, 4, "GlobalAvgPool2d");
  const Tensor y = AdaptiveAvgPool2d(x, 1, 1);
  return y.Reshape({x.size(0), x.size(1)});
}

}  // namespace nb360
