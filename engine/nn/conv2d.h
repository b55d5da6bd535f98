// engine/nn/conv2d.h: Conv2d (torch.nn.Conv2d, zero padding).
#ifndef NB360_ENGINE_NN_CONV2D_H_
#define NB360_ENGINE_NN_CONV2D_H_

#include <cstdint>

#include "engine/nn/module.h"
#include "engine/rng.h"
#include "ops/conv.h"

namespace nb360 {
namespace nn {

class Conv2d : public Module {
 public:
  // Parameters "weight" (out, in/groups, kernel_h, kernel_w) and, with `bias`, "bias" (out);
  // initialised by init::DefaultConv from `gen`.
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w, Generator& gen,
         const Conv2dParams& params = {}, bool bias = true);
  // Square kernel.
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
         const Conv2dParams& params = {}, bool bias = true)
      : Conv2d(in_channels, out_channels, kernel, kernel, gen, params, bias) {}

  // x (N, in, H, W) -> (N, out, OH, OW).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;
  void ResetParameters(Generator& gen);

  const Conv2dParams& params() const { return params_; }
  Tensor weight() const { return Parameter("weight"); }
  Tensor bias() const { return HasParameter("bias") ? Parameter("bias") : Tensor(); }

 private:
  int64_t in_channels_, out_channels_, kernel_h_, kernel_w_;
  Conv2dParams params_;
};

// Conv2dParams with symmetric padding/stride/dilation (a convenience for the common case).
Conv2dParams Conv2dOptions(int64_t stride, int64_t padding, int64_t dilation = 1, int64_t groups = 1);

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_CONV2D_H_
