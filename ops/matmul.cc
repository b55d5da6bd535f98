#include "ops/matmul.h"

#include "engine/autograd.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

// Makes the last two dims BLAS-usable: unit stride in one of them.
Tensor GemmOperand(const Tensor& t) {
  const int64_t n = t.dim();
  const int64_t s_row = t.strides()[n - 2], s_col = t.strides()[n - 1];
  const bool row_major = s_col == 1 && s_row >= std::max<int64_t>(t.shape()[n - 1], 1);
  const bool col_major = s_row == 1 && s_col >= std::max<int64_t>(t.shape()[n - 2], 1);
  if (row_major || col_major) return t;
  return t.Contiguous();
}

// (..., M, K) @ (..., K, N) on 3-d+ operands, no autograd.
Tensor MatmulNoGrad(const Tensor& a, const Tensor& b, MathPrecision precision) {
  NB_CHECK(a.shape()[a.dim() - 1] == b.shape()[b.dim() - 2], "Matmul: inner dimensions differ: ",
           a.Describe(), " @ ", b.Describe());
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = BroadcastShapes(batch_a, batch_b, "Matmul");
  const int64_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1], n = b.shape()[b.dim() - 1];
  Shape ea_shape = batch, eb_shape = batch;
  ea_shape.insert(ea_shape.end(), {m, k});
  eb_shape.insert(eb_shape.end(), {k, n});
  const int64_t nb = NumElements(batch);
  // Flatten the batch dims of expanded views into one (possible because Expand keeps a regular
  // layout per operand after contiguity of the batch part, checked below).
  auto flat = [&](const Tensor& t, const Shape& es) {
    Tensor e = GemmOperand(t.Expand(es));
    // A batch with one stride pattern: either all-zero strides (shared matrix) or a contiguous run.
    Shape s(e.strides().end() - 2, e.strides().end());
    int64_t bstride = 0;
    bool regular = true;
    if (!batch.empty()) {
      int64_t expect = e.strides()[batch.size() - 1];
      bstride = expect;
      for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
        if (batch[d] == 1) continue;
        if (e.strides()[d] != expect) regular = false;
        expect *= batch[d];
      }
      if (!regular) {
        bool all_zero = true;
        for (size_t d = 0; d < batch.size(); ++d) all_zero = all_zero && (batch[d] == 1 || e.strides()[d] == 0);
        if (all_zero) {
          regular = true;
          bstride = 0;
        }
      }
    }
    if (!regular) {
      e = e.Contiguous();
      bstride = es[es.size() - 1] * es[es.size() - 2];
      s = {es[es.size() - 1], 1};
    }
    return MakeView(e, {nb, es[es.size() - 2], es[es.size() - 1]}, {bstride, s[0], s[1]}, e.offset());
  };
  const DType dt = PromoteTypes(a.dtype(), b.dtype());
  NB_CHECK(IsFloating(dt), "Matmul: needs floating tensors, got ", a.Describe(), " @ ", b.Describe());
  const Tensor fa = flat(a.To(dt), ea_shape), fb = flat(b.To(dt), eb_shape);
  Shape out_shape = batch;
  out_shape.insert(out_shape.end(), {m, n});
  Tensor out = Tensor::Empty(out_shape, dt, a.device());
  if (dt != DType::kFloat32) precision = MathPrecision::kFloat32;
  GetKernels<MatmulKernels>(OpKind::kMatmul, fa)
      .forward(fa, fb, MakeView(out, {nb, m, n}, {m * n, n, 1}, 0), precision);
  return out;
}

}  // namespace

Tensor Matmul(const Tensor& a, const Tensor& b) {
  NB_CHECK(a.defined() && b.defined(), "Matmul: undefined input");
  NB_CHECK(a.dim() >= 1 && b.dim() >= 1, "Matmul: 0-d operand: ", a.Describe(), " @ ", b.Describe());
  if (a.dim() == 1) return Matmul(a.Unsqueeze(0), b).Squeeze(-2);
  if (b.dim() == 1) return Matmul(a, b.Unsqueeze(1)).Squeeze(-1);
  const Tensor a3 = a.Detach(), b3 = b.Detach();
  const MathPrecision precision = AutocastPrecision();
  Tensor out = MatmulNoGrad(a3, b3, precision);
  if (NeedsGrad({&a, &b})) {
    RecordOp("matmul", {a, b}, out,
             [a3, b3, precision, ra = a.requires_grad(), rb = b.requires_grad()](const Tensor& g) {
      Tensor ga, gb;
      if (ra) ga = SumToShape(MatmulNoGrad(g, b3.Transpose(-1, -2), precision), a3.shape()).To(a3.dtype());
      if (rb) gb = SumToShape(MatmulNoGrad(a3.Transpose(-1, -2), g, precision), b3.shape()).To(b3.dtype());
      return Grads{ga, gb};
    });
  }
  return out;
}

Tensor Linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  NB_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.shape().back() == weight.shape()[1], "Linear: input ",
           x.Describe(), " does not match weight ", weight.Describe(), " (out, in)");
  Tensor y;
  if (x.dim() > 2 && x.is_contiguous()) {
    // Fold the leading dims into one GEMM.
    Shape out_shape = x.shape();
    out_shape.back() = weight.shape()[0];
    y = Matmul(x.Reshape({-1, x.shape().back()}), weight.Transpose(0, 1)).Reshape(out_shape);
  } else {
    y = Matmul(x, weight.Transpose(0, 1));
  }
  if (bias.defined()) {
    NB_CHECK(bias.dim() == 1 && bias.shape()[0] == weight.shape()[0], "Linear: bias ", bias.Describe(),
             " does not match weight ", weight.Describe());
    y = Add(y, bias);
  }
  return y;
}

}  // namespace nb360
