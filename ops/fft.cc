// ops/fft.cc: front-ends of Rfft2, Irfft2 and SpectralConv2d: shape checks, batching of the leading
// dimensions, kernel lookup and the backward records. The transforms themselves are in ops/cpu/fft.cc.
#include "ops/fft.h"

#include "engine/autograd.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

// t (..., a, b[, 2]) as a contiguous tensor with the leading dims folded into one: (B, a, b[, 2]).
Tensor Batched(const Tensor& t, int64_t trailing_dims) {
  const Tensor c = t.Detach().Contiguous();
  Shape shape{1};
  for (int64_t d = 0; d < t.dim() - trailing_dims; ++d) shape[0] *= t.size(d);
  for (int64_t d = t.dim() - trailing_dims; d < t.dim(); ++d) shape.push_back(t.size(d));
  return MakeView(c, shape, ContiguousStrides(shape), c.offset());
}

// Leading (batch) dims of `t` followed by `tail`.
Shape WithTail(const Tensor& t, int64_t trailing_dims, const Shape& tail) {
  Shape s(t.shape().begin(), t.shape().end() - trailing_dims);
  s.insert(s.end(), tail.begin(), tail.end());
  return s;
}

// Gradient g (any dtype or layout) as a contiguous (B, tail...) tensor in `dtype`.
Tensor BatchedGrad(const Tensor& g, DType dtype, int64_t trailing_dims) {
  return Batched(g.To(dtype), trailing_dims);
}

}  // namespace

Tensor Rfft2(const Tensor& x, FftAlgorithm algorithm) {
  NB_CHECK(x.defined(), "Rfft2: undefined input");
  NB_CHECK(IsFloating(x.dtype()), "Rfft2: needs a floating tensor, got ", x.Describe());
  NB_CHECK(x.dim() >= 2 && x.size(-1) > 0 && x.size(-2) > 0,
           "Rfft2: x must be (..., H, W) with H, W >= 1, got ", x.Describe());
  const int64_t h = x.size(-2), w = x.size(-1), wc = w / 2 + 1;
  const Tensor xb = Batched(x, 2);
  const Shape out_shape = WithTail(x, 2, {h, wc, 2});
  Tensor out = Tensor::Empty(out_shape, x.dtype(), x.device());
  const Fft2Kernels& k = GetKernels<Fft2Kernels>(OpKind::kFft2, x);
  const Shape b_shape{xb.size(0), h, wc, 2};
  if (xb.size(0) > 0) {
    k.rfft2_forward(algorithm, xb, MakeView(out, b_shape, ContiguousStrides(b_shape), 0));
  }
  if (NeedsGrad({&x})) {
    const Shape x_shape = x.shape();
    const DType dt = x.dtype();
    RecordOp("rfft2", {x}, out, [x_shape, dt, algorithm, &k](const Tensor& g) {
      const Tensor gb = BatchedGrad(g, dt, 3);
      Tensor gx = Tensor::Empty(x_shape, gb.dtype(), gb.device());
      const Shape b_shape{gb.size(0), gb.size(1), x_shape.back()};
      if (gb.size(0) > 0) {
        k.rfft2_backward(algorithm, gb, MakeView(gx, b_shape, ContiguousStrides(b_shape), 0));
      }
      return Grads{gx};
    });
  }
  return out;
}

Tensor Irfft2(const Tensor& X, int64_t h, int64_t w, FftAlgorithm algorithm) {
  NB_CHECK(X.defined(), "Irfft2: undefined input");
  NB_CHECK(IsFloating(X.dtype()), "Irfft2: needs a floating tensor, got ", X.Describe());
  NB_CHECK(X.dim() >= 3 && X.size(-1) == 2 && X.size(-2) > 0 && X.size(-3) > 0,
           "Irfft2: X must be (..., H, W/2+1, 2) with a (re, im) last dim, got ", X.Describe());
  NB_CHECK(h >= 1 && w >= 1, "Irfft2: output size (", h, ", ", w, ") must be positive, X is ",
           X.Describe());
  const Tensor Xb = Batched(X, 3);
  const int64_t batch = Xb.size(0);
  Tensor out = Tensor::Empty(WithTail(X, 3, {h, w}), X.dtype(), X.device());
  const Fft2Kernels& k = GetKernels<Fft2Kernels>(OpKind::kFft2, X);
  if (batch > 0) {
    k.irfft2_forward(algorithm, Xb, MakeView(out, {batch, h, w}, ContiguousStrides({batch, h, w}), 0));
  }
  if (NeedsGrad({&X})) {
    const Shape X_shape = X.shape();
    const DType dt = X.dtype();
    RecordOp("irfft2", {X}, out, [X_shape, dt, algorithm, &k](const Tensor& g) {
      const Tensor gb = BatchedGrad(g, dt, 2);
      Tensor gX = Tensor::Empty(X_shape, gb.dtype(), gb.device());
      const int64_t n = static_cast<int64_t>(X_shape.size());
      const Shape b_shape{gb.size(0), X_shape[n - 3], X_shape[n - 2], 2};
      if (gb.size(0) > 0) {
        k.irfft2_backward(algorithm, gb, MakeView(gX, b_shape, ContiguousStrides(b_shape), 0));
      }
      return Grads{gX};
    });
  }
  return out;
}

Tensor SpectralConv2d(const Tensor& x, const Tensor& w1, const Tensor& w2, int64_t modes1,
                      int64_t modes2, FftAlgorithm algorithm) {
  NB_CHECK(x.defined() && w1.defined() && w2.defined(), "SpectralConv2d: undefined input");
  NB_CHECK(IsFloating(x.dtype()) && x.dtype() == w1.dtype() && x.dtype() == w2.dtype(),
           "SpectralConv2d: x, w1, w2 must share one floating dtype, got ", x.Describe(), ", ",
           w1.Describe(), ", ", w2.Describe());
  NB_CHECK(x.device() == w1.device() && x.device() == w2.device(),
           "SpectralConv2d: x, w1, w2 must be on one device");
  NB_CHECK(x.dim() == 4, "SpectralConv2d: x must be (N, Ci, H, W), got ", x.Describe());
  const int64_t n = x.size(0), ci = x.size(1), h = x.size(2), w = x.size(3);
  NB_CHECK(modes1 >= 1 && modes2 >= 1 && 2 * modes1 <= h && modes2 <= w / 2 + 1,
           "SpectralConv2d: modes (", modes1, ", ", modes2, ") need 1 <= 2*modes1 <= H and ",
           "1 <= modes2 <= W/2+1 for x ", x.Describe());
  NB_CHECK(w1.dim() == 5 && w1.size(0) == ci && w1.size(2) == modes1 && w1.size(3) == modes2 &&
               w1.size(4) == 2,
           "SpectralConv2d: w1 must be (Ci=", ci, ", Co, ", modes1, ", ", modes2, ", 2), got ",
           w1.Describe());
  NB_CHECK(w2.shape() == w1.shape(), "SpectralConv2d: w2 ", w2.Describe(), " must match w1 ",
           w1.Describe());
  const int64_t co = w1.size(1);
  NB_CHECK(ci >= 1 && co >= 1, "SpectralConv2d: needs at least one input and one output channel, got x ",
           x.Describe(), " and w1 ", w1.Describe());
  const SpectralConvParams p{modes1, modes2, algorithm};
  const Tensor xc = x.Detach().Contiguous();
  const Tensor w1c = w1.Detach().Contiguous();
  const Tensor w2c = w2.Detach().Contiguous();
  Tensor y = Tensor::Empty({n, co, h, w}, x.dtype(), x.device());
  Tensor x_modes = Tensor::Empty({2 * modes1 * modes2, n, ci, 2}, x.dtype(), x.device());
  const SpectralConv2dKernels& k = GetKernels<SpectralConv2dKernels>(OpKind::kSpectralConv2d, x);
  k.forward(p, xc, w1c, w2c, y, x_modes);
  if (NeedsGrad({&x, &w1, &w2})) {
    const bool need_x = x.requires_grad(), need_w1 = w1.requires_grad(),
               need_w2 = w2.requires_grad();
    const Shape x_shape = x.shape(), w_shape = w1.shape();
    RecordOp("spectral_conv2d", {x, w1, w2}, y,
             [p, x_modes, w1c, w2c, x_shape, w_shape, need_x, need_w1, need_w2,
              &k](const Tensor& g) {
               const Tensor gy = g.To(w1c.dtype()).Contiguous();
               const DType dt = w1c.dtype();
               const Tensor gx = need_x ? Tensor::Empty(x_shape, dt, gy.device()) : Tensor();
               const Tensor gw1 = need_w1 ? Tensor::Empty(w_shape, dt, gy.device()) : Tensor();
               const Tensor gw2 = need_w2 ? Tensor::Empty(w_shape, dt, gy.device()) : Tensor();
               k.backward(p, x_modes, w1c, w2c, gy, gx, gw1, gw2);
               return Grads{gx, gw1, gw2};
             });
  }
  return y;
}

}  // namespace nb360
