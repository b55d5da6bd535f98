// engine/nn/multihead_attention.h: MultiheadAttention (torch.nn.MultiheadAttention, packed q/k/v
// projection, no dropout, no bias_k/bias_v, no add_zero_attn).
//
// Parameters in torch's order and names: "in_proj_weight" (3E, E), "in_proj_bias" (3E),
// "out_proj.weight" (E, E), "out_proj.bias" (E), so torch state dicts load as they are.
#ifndef NB360_ENGINE_NN_MULTIHEAD_ATTENTION_H_
#define NB360_ENGINE_NN_MULTIHEAD_ATTENTION_H_

#include <cstdint>
#include <memory>

#include "engine/nn/linear.h"
#include "engine/nn/module.h"
#include "engine/rng.h"

namespace nb360 {
namespace nn {

class MultiheadAttention : public Module {
 public:
  // init::DefaultMultiheadAttention: in_proj xavier_uniform, biases 0, out_proj.weight as Linear.
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen, bool bias = true);

  // batch_first layout: query (B, Lq, E), key/value (B, Lk, E) -> (B, Lq, E). mask broadcastable to
  // (B, num_heads, Lq, Lk): bool with true = KEEP (the logical not of torch's bool attn_mask), or
  // floating, added to the scores. See ops/attention.h.
  Tensor Forward(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& mask = Tensor());
  // Self-attention: Forward(x, x, x).
  Tensor Forward(const Tensor& x) override { return Forward(x, x, x); }
  std::string ExtraRepr() const override;

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  const std::shared_ptr<Linear>& out_proj() const { return out_proj_; }

 private:
  int64_t embed_dim_;
  int64_t num_heads_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_MULTIHEAD_ATTENTION_H_
