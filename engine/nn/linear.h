// engine/nn/linear.h: Linear, y = x W^T + b (torch.nn.Linear).
#ifndef NB360_ENGINE_NN_LINEAR_H_
#define NB360_ENGINE_NN_LINEAR_H_

#include <cstdint>

#include "engine/nn/module.h"
#include "engine/rng.h"

namespace nb360 {
namespace nn {

class Linear : public Module {
 public:
  // Parameters "weight" (out, in) and, with `bias`, "bias" (out); initialised by
  // init::DefaultLinear from `gen`.
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);

  // x (..., in) -> (..., out).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;
  void ResetParameters(Generator& gen);

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  Tensor weight() const { return Parameter("weight"); }
  Tensor bias() const { return HasParameter("bias") ? Parameter("bias") : Tensor(); }

 private:
  int64_t in_features_;
  int64_t out_features_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_LINEAR_H_
