// ops/interpolate.cc: front-end of Interpolate (shape checks, kernel lookup, autograd).
#include "ops/interpolate.h"

#include "engine/autograd.h"
#include "ops/registry.h"

namespace nb360 {

Tensor Interpolate(const Tensor& x, int64_t out_h, int64_t out_w, InterpolateMode mode, bool align_corners) {
  NB_CHECK(x.defined(), "Interpolate: undefined input");
  NB_CHECK(IsFloating(x.dtype()), "Interpolate: needs a floating tensor, got ", x.Describe());
  NB_CHECK(x.dim() == 4, "Interpolate: x must be (N, C, H, W), got ", x.Describe());
  NB_CHECK(out_h > 0 && out_w > 0, "Interpolate: output size (", out_h, ", ", out_w, ") must be positive for x ",
           x.Describe());
  NB_CHECK(x.size(2) > 0 && x.size(3) > 0, "Interpolate: empty spatial input ", x.Describe());
  NB_CHECK(mode != InterpolateMode::kNearest || !align_corners,
           "Interpolate: align_corners can only be set with bilinear mode");
  const InterpolateParams p{mode, align_corners};
  const Tensor xc = x.Detach().Contiguous();
  Tensor y = Tensor::Empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  const InterpolateKernels& k = GetKernels<InterpolateKernels>(OpKind::kInterpolate, x);
  k.forward(p, xc, y);
  if (NeedsGrad({&x})) {
    const Shape x_shape = x.shape();
    const DType dtype = x.dtype();
    const Device device = x.device();
    RecordOp("interpolate", {x}, y, [p, x_shape, dtype, device, &k](const Tensor& g) {
      const Tensor gy = g.To(dtype).Contiguous();
      Tensor gx = Tensor::Empty(x_shape, dtype, device);
      k.backward(p, gy, gx);
      return Grads{gx};
    });
  }
  return y;
}

}  // namespace nb360
