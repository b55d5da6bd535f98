// baselines/wrn/resnet1d.h: the "Wide ResNet 1D" baseline, i.e. the time-series ResNet of Wang et al.
// (spec baselines.md §2).
//
// ConvBlock1d: Conv1d (stride 1, bias) with TensorFlow-style "same" padding (k - 1 zeros in total,
// the odd one on the right: k=8 -> 3 left / 4 right) -> BN1d -> ReLU. ResNetBlock1d: three
// ConvBlocks, kernels 8, 5, 3, channels in -> out -> out -> out, plus a Conv1d 1x1 + BN1d shortcut
// only when in != out (no skip at all otherwise; no ReLU after the sum). ResNet1D: blocks
// (in -> 64), (64 -> 128), (128 -> 128), mean over length, Linear(128 -> K). Framework-default init.
// State-dict names follow the PyTorch modules: layers.0.layers.0.layers.0.weight (conv),
// layers.0.layers.0.layers.1.* (BN), layers.0.residual.{0,1}.*, final.*.
// Left out: strides and dilations other than 1 (never used).
#ifndef NB360_BASELINES_WRN_RESNET1D_H_
#define NB360_BASELINES_WRN_RESNET1D_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "engine/tensor.h"

namespace nb360::baselines {

// Conv1d whose Forward pads "same" (stride 1): x (N, in, L) -> (N, out, L).
class SamePadConv1d : public nn::Conv1d {
 public:
  SamePadConv1d(int64_t in, int64_t out, int64_t kernel, Generator& gen)
      : nn::Conv1d(in, out, kernel, gen), kernel_(kernel) {}
  Tensor Forward(const Tensor& x) override;

 private:
  int64_t kernel_;
};

// Child "layers": Sequential(SamePadConv1d, BatchNorm1d, ReLU), run with the BatchNorm and ReLU
// fused (nn::BatchNormBase::ForwardRelu).
class ConvBlock1d : public nn::Module {
 public:
  ConvBlock1d(int64_t in, int64_t out, int64_t kernel, Generator& gen);
  Tensor Forward(const Tensor& x) override { return bn_->ForwardRelu(conv_->Forward(x)); }

 private:
  std::shared_ptr<nn::Sequential> layers_;
  std::shared_ptr<SamePadConv1d> conv_;
  std::shared_ptr<nn::BatchNorm1d> bn_;
};

class ResNetBlock1d : public nn::Module {
 public:
  ResNetBlock1d(int64_t in, int64_t out, Generator& gen);
  // x (N, in, L) -> (N, out, L).
  Tensor Forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> layers_;
  std::shared_ptr<nn::Sequential> residual_;  // null when in == out
};

class ResNet1D : public nn::Module {
 public:
  ResNet1D(int64_t in_channels, int64_t num_classes, Generator& gen, int64_t mid_channels = 64);
  // x (N, in_channels, L) -> (N, num_classes).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;

 private:
  int64_t in_channels_, num_classes_, mid_channels_;
  std::shared_ptr<nn::Sequential> layers_;
  std::shared_ptr<nn::Linear> final_;
};

}  // namespace nb360::baselines

#endif  // NB360_BASELINES_WRN_RESNET1D_H_
