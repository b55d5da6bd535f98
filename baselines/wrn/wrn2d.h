// baselines/wrn/wrn2d.h: the 2-D Wide ResNet baselines of NAS-Bench-360 (spec baselines.md §1).
//
// WideBasicBlock: the pre-activation block of §1.1 (BN, ReLU, conv3x3, BN, ReLU, dropout, conv3x3;
// the 1x1 projection, present only when in != out, acts on the pre-activated tensor). WideGroup:
// n blocks ("NetworkBlock"). WideResNet2d: stem conv3x3 -> 3 groups -> BN + ReLU -> head, with
// three heads: kPoint (Backbone_Pt's pooling chosen from the final map: 2x8 -> avg (2,8);
// 4x13 -> avg (4,13); height 6 -> adaptive 1x1; otherwise avg_pool2d(8, 8), which for a map
// larger than 8x8 averages only the top-left 8x8 window (spec §8.1)), kAudio (Backbone_Audio:
// adaptive average pooling to 1x1) and kDense (backbone_grid_wrn's Backbone: every group at
// stride 1 and Linear(64k -> K) at each pixel, output (N, K, H, W); its unused in_layer BN(in_c)
// and out_conv conv3x3(64k -> K) are built so that state dicts and parameter totals match).
// State-dict names follow the PyTorch modules: conv1, block1.layer.0.bn1, ..., bn1, fc
// (dense: also in_layer.0.*, in_layer.2.weight (= conv1.weight, shared) and out_conv.*).
// Left out: the dense model's channels-last input permutation (inputs here are always NCHW) and
// forward_window tiling (tasks/common/tiling.h does that).
#ifndef NB360_BASELINES_WRN_WRN2D_H_
#define NB360_BASELINES_WRN_WRN2D_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "engine/tensor.h"

namespace nb360::baselines {

class WideBasicBlock : public nn::Module {
 public:
  WideBasicBlock(int64_t in, int64_t out, int64_t stride, double dropout, Generator& gen);
  // x (N, in, H, W) -> (N, out, H / stride, W / stride) (rounded up).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;

 private:
  int64_t in_, out_, stride_;
  double dropout_;
  Generator dropout_gen_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, shortcut_;  // shortcut_ null when in == out
};

// "NetworkBlock": child "layer", a Sequential of `blocks` WideBasicBlocks.
class WideGroup : public nn::Module {
 public:
  WideGroup(int64_t blocks, int64_t in, int64_t out, int64_t stride, double dropout, Generator& gen);
  Tensor Forward(const Tensor& x) override { return layer_->Forward(x); }

 private:
  std::shared_ptr<nn::Sequential> layer_;
};

enum class WrnHead { kPoint, kAudio, kDense };

struct Wrn2dConfig {
  int64_t depth = 16;   // 6n + 4
  int64_t widen = 4;
  int64_t in_channels = 3;
  int64_t num_classes = 100;
  double dropout = 0.0;
  WrnHead head = WrnHead::kPoint;
};

class WideResNet2d : public nn::Module {
 public:
  // Initialised as §1.2: convs Kaiming-normal (fan_out, ReLU), BN 1/0, Linear bias 0 (weight at
  // the Linear default).
  WideResNet2d(const Wrn2dConfig& config, Generator& gen);
  // x (N, in_channels, H, W) -> point/audio (N, num_classes) logits; dense (N, num_classes, H, W).
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;
  const Wrn2dConfig& config() const { return config_; }
  // Parameters that never take part in Forward (dense head's in_layer BN and out_conv), else 0.
  int64_t NumUnusedParameters() const;

 private:
  Tensor PointPool(const Tensor& h) const;  // (N, C, H, W) -> (N, C, 1, 1)

  Wrn2dConfig config_;
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::Sequential> in_layer_;  // dense only (unused in Forward)
  std::shared_ptr<WideGroup> block1_, block2_, block3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::Linear> fc_;
  std::shared_ptr<nn::Conv2d> out_conv_;  // dense only (unused in Forward)
};

}  // namespace nb360::baselines

#endif  // NB360_BASELINES_WRN_WRN2D_H_
