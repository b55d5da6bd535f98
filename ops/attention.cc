// ops/attention.cc: attention as matmul -> (+ mask) -> softmax -> matmul.
#include "ops/attention.h"

#include <cmath>
#include <limits>

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/softmax.h"

namespace nb360 {
namespace {

// A bool keep-mask becomes an additive one (0 where kept, -inf where masked), in `dt`.
Tensor AdditiveMask(const Tensor& mask, DType dt) {
  if (mask.dtype() != DType::kBool) return mask.To(dt);
  const Tensor zero = Tensor::Scalar(0.0, dt);
  const Tensor minus_inf = Tensor::Scalar(-std::numeric_limits<double>::infinity(), dt);
  return Where(mask, zero, minus_inf);
}

// Rows [start, start + n) of a (3E, ...) packed projection parameter, or undefined.
Tensor Rows(const Tensor& packed, int64_t start, int64_t n) {
  return packed.defined() ? packed.Narrow(0, start, n) : Tensor();
}

// (B, L, E) -> (B, H, L, E / H).
Tensor SplitHeads(const Tensor& x, int64_t heads) {
  const Shape& s = x.shape();
  return x.Reshape({s[0], s[1], heads, s[2] / heads}).Transpose(1, 2);
}

}  // namespace

Tensor ScaledDotProductAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                 double scale) {
  NB_CHECK(q.defined() && k.defined() && v.defined(), "ScaledDotProductAttention: undefined input");
  NB_CHECK(IsFloating(q.dtype()) && q.dtype() == k.dtype() && q.dtype() == v.dtype(),
           "ScaledDotProductAttention: q, k, v must share a floating dtype, got ", q.Describe(), ", ",
           k.Describe(), ", ", v.Describe());
  const int64_t n = q.dim();
  NB_CHECK(n >= 2 && k.dim() == n && v.dim() == n, "ScaledDotProductAttention: q ", q.Describe(), ", k ",
           k.Describe(), ", v ", v.Describe(), " must have the same rank (B, H, L, D)");
  const Shape batch(q.shape().begin(), q.shape().end() - 2);
  NB_CHECK(Shape(k.shape().begin(), k.shape().end() - 2) == batch &&
               Shape(v.shape().begin(), v.shape().end() - 2) == batch && k.shape()[n - 1] == q.shape()[n - 1] &&
               v.shape()[n - 2] == k.shape()[n - 2],
           "ScaledDotProductAttention: shapes do not fit q (B, H, Lq, D) ", q.Describe(), ", k (B, H, Lk, D) ",
           k.Describe(), ", v (B, H, Lk, Dv) ", v.Describe());
  const int64_t d = q.shape()[n - 1];
  const double s = scale > 0.0 ? scale : 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(d, 1)));
  // Scaling q (Lq x D) is cheaper than scaling the scores (Lq x Lk) and equal up to rounding.
  Tensor scores = Matmul(Mul(q, s), k.Transpose(-1, -2));  // (B, H, Lq, Lk)
  if (mask.defined()) {
    NB_CHECK(mask.dtype() == DType::kBool || IsFloating(mask.dtype()),
             "ScaledDotProductAttention: mask must be bool or floating, got ", mask.Describe());
    NB_CHECK(BroadcastShapes(mask.shape(), scores.shape(), "ScaledDotProductAttention: mask") == scores.shape(),
             "ScaledDotProductAttention: mask ", mask.Describe(), " does not broadcast to scores ",
             ShapeString(scores.shape()));
    scores = Add(scores, AdditiveMask(mask, q.dtype()));
  }
  return Matmul(Softmax(scores, -1), v);
}

Tensor MultiHeadAttention(const Tensor& query, const Tensor& key, const Tensor& value, int64_t num_heads,
                          const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                          const Tensor& out_proj_weight, const Tensor& out_proj_bias, const Tensor& mask) {
  NB_CHECK(query.defined() && key.defined() && value.defined() && in_proj_weight.defined() &&
               out_proj_weight.defined(),
           "MultiHeadAttention: undefined input or weight");
  NB_CHECK(query.dim() == 3 && key.dim() == 3 && value.dim() == 3, "MultiHeadAttention: query ", query.Describe(),
           ", key ", key.Describe(), ", value ", value.Describe(), " must be (B, L, E)");
  const int64_t b = query.shape()[0], e = query.shape()[2];
  NB_CHECK(key.shape()[0] == b && value.shape()[0] == b && key.shape()[2] == e && value.shape()[2] == e &&
               key.shape()[1] == value.shape()[1],
           "MultiHeadAttention: query (B, Lq, E) ", query.Describe(), ", key (B, Lk, E) ", key.Describe(),
           ", value (B, Lk, E) ", value.Describe(), " do not fit");
  NB_CHECK(num_heads > 0 && e % num_heads == 0, "MultiHeadAttention: num_heads ", num_heads,
           " does not divide embed dim ", e);
  NB_CHECK(in_proj_weight.shape() == Shape({3 * e, e}) &&
               (!in_proj_bias.defined() || in_proj_bias.shape() == Shape{3 * e}) &&
               out_proj_weight.shape() == Shape({e, e}) &&
               (!out_proj_bias.defined() || out_proj_bias.shape() == Shape{e}),
           "MultiHeadAttention: for E = ", e, " expected in_proj_weight (3E, E), in_proj_bias (3E), out_proj_weight "
           "(E, E), out_proj_bias (E); got ", in_proj_weight.Describe(), ", ",
           in_proj_bias.defined() ? in_proj_bias.Describe() : "none", ", ", out_proj_weight.Describe(), ", ",
           out_proj_bias.defined() ? out_proj_bias.Describe() : "none");
  Tensor q, k, v;
  if (query.SameImpl(key) && key.SameImpl(value)) {
    // Self-attention: one (B, L, 3E) projection.
    const Tensor qkv = Linear(query, in_proj_weight, in_proj_bias);
    q = qkv.Narrow(2, 0, e);
    k = qkv.Narrow(2, e, e);
    v = qkv.Narrow(2, 2 * e, e);
  } else if (key.SameImpl(value)) {
    // Cross-attention on one memory: one (B, Lk, 2E) projection for keys and values.
    q = Linear(query, Rows(in_proj_weight, 0, e), Rows(in_proj_bias, 0, e));
    const Tensor kv = Linear(key, Rows(in_proj_weight, e, 2 * e), Rows(in_proj_bias, e, 2 * e));
    k = kv.Narrow(2, 0, e);
    v = kv.Narrow(2, e, e);
  } else {
    q = Linear(query, Rows(in_proj_weight, 0, e), Rows(in_proj_bias, 0, e));
    k = Linear(key, Rows(in_proj_weight, e, e), Rows(in_proj_bias, e, e));
    v = Linear(value, Rows(in_proj_weight, 2 * e, e), Rows(in_proj_bias, 2 * e, e));
  }
  const Tensor heads = ScaledDotProductAttention(SplitHeads(q, num_heads), SplitHeads(k, num_heads),
                                                 SplitHeads(v, num_heads), mask);  // (B, H, Lq, E / H)
  const Tensor merged = heads.Transpose(1, 2).Reshape({b, query.shape()[1], e});
  return Linear(merged, out_proj_weight, out_proj_bias);
}

}  // namespace nb360
