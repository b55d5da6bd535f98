// ops/attention.h: scaled dot-product attention and multi-head attention.
//
// Compositions of matmul, softmax, elementwise and views, so autograd comes from those ops; there are
// no kernels here. The attention matrix (B, H, Lq, Lk) is materialised (no flash-style tiling).
//
// Left out: dropout on the attention weights, returning the attention weights, causal flags (pass a
// mask), key_padding_mask, add_bias_kv / add_zero_attn, and kdim/vdim != embed_dim.
#ifndef NB360_OPS_ATTENTION_H_
#define NB360_OPS_ATTENTION_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {

// softmax(q k^T * scale + mask) v.
// q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv); mask broadcastable to (B, H, Lq, Lk), either bool
// (true = keep, false = masked out) or floating (added to the scores); undefined = no mask.
// scale <= 0 means 1 / sqrt(D). A query row with every key masked out gives NaN, as in PyTorch.
// Returns (B, H, Lq, Dv). Any leading batch shape works as long as q, k, v agree on it.
Tensor ScaledDotProductAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask = Tensor(),
                                 double scale = -1.0);

// torch.nn.MultiheadAttention(embed_dim = E, num_heads, batch_first=True) without dropout; returns only
// the attention output.
// query (B, Lq, E), key (B, Lk, E), value (B, Lk, E); in_proj_weight (3E, E) = [W_q; W_k; W_v],
// in_proj_bias (3E) or undefined; out_proj_weight (E, E), out_proj_bias (E) or undefined; num_heads
// divides E. mask as in ScaledDotProductAttention (broadcastable to (B, num_heads, Lq, Lk); e.g. (Lq, Lk)):
// NOTE a bool mask here means true = KEEP, the opposite of nn.MultiheadAttention's bool attn_mask
// (pass the logical not of a PyTorch mask); floating masks are added to the scores in both.
// Returns (B, Lq, E).
Tensor MultiHeadAttention(const Tensor& query, const Tensor& key, const Tensor& value, int64_t num_heads,
                          const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                          const Tensor& out_proj_weight, const Tensor& out_proj_bias, const Tensor& mask = Tensor());

}  // namespace nb360

#endif  // NB360_OPS_ATTENTION_H_
