// engine/nn/conv_transpose2d.h: ConvTranspose2d (torch.nn.ConvTranspose2d, zero padding).
#ifndef NB360_ENGINE_NN_CONV_TRANSPOSE2D_H_
#define NB360_ENGINE_NN_CONV_TRANSPOSE2D_H_

#include <cstdint>

#include "engine/nn/module.h"
#include "engine/rng.h"
#include "ops/conv.h"

namespace nb360 {
namespace nn {

class ConvTranspose2d : public Module {
 public:
  // Parameters "weight" (in, out/groups, kernel_h, kernel_w) (PyTorch's layout) and, with `bias`,
  // "bias" (out); initialised by init::DefaultConv from `gen` (fan_in = out/groups * kh * kw).
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
                  Generator& gen, const ConvTranspose2dParams& params = {}, bool bias = true);
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
                  const ConvTranspose2dParams& params = {}, bool bias = true)
      : ConvTranspose2d(in_channels, out_channels, kernel, kernel, gen, params, bias) {}

  // x (N, in, H, W) -> (N, out, OH, OW).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;
  void ResetParameters(Generator& gen);

  const ConvTranspose2dParams& params() const { return params_; }
  Tensor weight() const { return Parameter("weight"); }
  Tensor bias() const { return HasParameter("bias") ? Parameter("bias") : Tensor(); }

 private:
  int64_t in_channels_, out_channels_, kernel_h_, kernel_w_;
  ConvTranspose2dParams params_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_CONV_TRANSPOSE2D_H_
