#include "engine/nn/multihead_attention.h"

#include "engine/nn/init.h"
#include "ops/attention.h"

namespace nb360 {
namespace nn {

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen, bool bias)
    : Module("MultiheadAttention"), embed_dim_(embed_dim), num_heads_(num_heads) {
  NB_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
           "MultiheadAttention: embed_dim (", embed_dim, ") must be divisible by num_heads (", num_heads, ")");
  RegisterParameter("in_proj_weight", Tensor::Empty({3 * embed_dim, embed_dim}));
  if (bias) RegisterParameter("in_proj_bias", Tensor::Empty({3 * embed_dim}));
  out_proj_ = RegisterModule("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, gen, bias));
  init::DefaultMultiheadAttention(Parameter("in_proj_weight"),
                                  bias ? Parameter("in_proj_bias") : Tensor(), out_proj_->weight(),
                                  out_proj_->bias(), gen);
}

Tensor MultiheadAttention::Forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const Tensor& mask) {
  return MultiHeadAttention(query, key, value, num_heads_, Parameter("in_proj_weight"),
                            HasParameter("in_proj_bias") ? Parameter("in_proj_bias") : Tensor(),
                            out_proj_->weight(), out_proj_->bias(), mask);
}

std::string MultiheadAttention::ExtraRepr() const {
  return StrCat("embed_dim=", embed_dim_, ", num_heads=", num_heads_);
}

}  // namespace nn
}  // namespace nb360
