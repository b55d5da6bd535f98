// engine/nn/conv1d.h: Conv1d (torch.nn.Conv1d, zero padding).
#ifndef NB360_ENGINE_NN_CONV1D_H_
#define NB360_ENGINE_NN_CONV1D_H_

#include <cstdint>

#include "engine/nn/module.h"
#include "engine/rng.h"
#include "ops/conv.h"

namespace nb360 {
namespace nn {

class Conv1d : public Module {
 public:
  // Parameters "weight" (out, in/groups, kernel) and, with `bias`, "bias" (out); initialised by
  // init::DefaultConv from `gen`.
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
         const Conv1dParams& params = {}, bool bias = true);

  // x (N, in, L) -> (N, out, OL).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;
  void ResetParameters(Generator& gen);

  const Conv1dParams& params() const { return params_; }
  Tensor weight() const { return Parameter("weight"); }
  Tensor bias() const { return HasParameter("bias") ? Parameter("bias") : Tensor(); }

 private:
  int64_t in_channels_, out_channels_, kernel_;
  Conv1dParams params_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_CONV1D_H_
