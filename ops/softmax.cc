#include "ops/softmax.h"

#include "engine/autograd.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

Tensor SoftmaxImpl(const Tensor& x, int64_t dim, bool log) {
  NB_CHECK(IsFloating(x.dtype()), log ? "LogSoftmax" : "Softmax", ": needs a floating tensor, got ",
           x.Describe());
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  NB_CHECK(d >= 0 && d < x.dim(), log ? "LogSoftmax" : "Softmax", ": dim ", dim, " out of range for ",
           x.Describe());
  const Tensor moved = x.Detach().Transpose(d, x.dim() - 1).Contiguous();
  const int64_t cols = x.shape()[d];
  const Shape rows_shape{moved.numel() / std::max<int64_t>(cols, 1), cols};
  const Tensor x2 = MakeView(moved, rows_shape, ContiguousStrides(rows_shape), moved.offset());
  Tensor y2 = Tensor::Empty(rows_shape, x.dtype(), x.device());
  const SoftmaxKernels& k = GetKernels<SoftmaxKernels>(OpKind::kSoftmax, x);
  k.forward(log, x2, y2);
  Tensor y = MakeView(y2, moved.shape(), ContiguousStrides(moved.shape()), 0).Transpose(d, x.dim() - 1);
  if (NeedsGrad({&x})) {
    const Shape moved_shape = moved.shape();
    RecordOp(log ? "log_softmax" : "softmax", {x}, y, [y2, d, log, rows_shape, moved_shape, &k](const Tensor& g) {
      const int64_t last = static_cast<int64_t>(moved_shape.size()) - 1;
      const Tensor gm = g.Transpose(d, last).Contiguous();
      const Tensor g2 = MakeView(gm, rows_shape, ContiguousStrides(rows_shape), gm.offset());
      Tensor gx2 = Tensor::Empty(rows_shape, y2.dtype(), y2.device());
      k.backward(log, y2, g2, gx2);
      return Grads{MakeView(gx2, moved_shape, ContiguousStrides(moved_shape), 0).Transpose(d, last)};
    });
  }
  return y;
}

}  // namespace

Tensor Softmax(const Tensor& x, int64_t dim) { return SoftmaxImpl(x, dim, false); }
Tensor LogSoftmax(const Tensor& x, int64_t dim) { return SoftmaxImpl(x, dim, true); }

}  // namespace nb360
