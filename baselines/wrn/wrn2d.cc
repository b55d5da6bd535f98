// baselines/wrn/wrn2d.cc: see wrn2d.h.
#include "baselines/wrn/wrn2d.h"

#include "absl/strings/str_cat.h"
#include "engine/check.h"
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/pool.h"

namespace nb360::baselines {

namespace {

std::shared_ptr<nn::Conv2d> NoBiasConv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
                                       Generator& gen) {
  return std::make_shared<nn::Conv2d>(in, out, k, gen, nn::Conv2dOptions(stride, pad), /*bias=*/false);
}

// §1.2: every Conv2d Kaiming-normal (fan_out, ReLU), BatchNorm weight 1 / bias 0, Linear bias 0.
void InitWrn(nn::Module& model, Generator& gen) {
  for (auto& [name, m] : model.NamedModules()) {
    if (m->type_name() == "Conv2d") {
      nn::init::KaimingNormal(m->Parameter("weight"), gen, 0.0, nn::init::FanMode::kFanOut,
                              nn::init::Nonlinearity::kRelu);
    } else if (m->type_name() == "BatchNorm2d") {
      nn::init::Ones(m->Parameter("weight"));
      nn::init::Zeros(m->Parameter("bias"));
    } else if (m->type_name() == "Linear") {
      nn::init::Zeros(m->Parameter("bias"));
    }
  }
}

int64_t NumElements(const nn::Module& m) { return m.NumParameters(); }

}  // namespace

WideBasicBlock::WideBasicBlock(int64_t in, int64_t out, int64_t stride, double dropout, Generator& gen)
    : Module("WideBasicBlock"),
      in_(in),
      out_(out),
      stride_(stride),
      dropout_(dropout),
      dropout_gen_(Generator(gen.NextUint64()).Fork("wrn_block_dropout")) {
  bn1_ = RegisterModule("bn1", std::make_shared<nn::BatchNorm2d>(in));
  conv1_ = RegisterModule("conv1", NoBiasConv(in, out, 3, stride, 1, gen));
  bn2_ = RegisterModule("bn2", std::make_shared<nn::BatchNorm2d>(out));
  conv2_ = RegisterModule("conv2", NoBiasConv(out, out, 3, 1, 1, gen));
  if (in != out) shortcut_ = RegisterModule("convShortcut", NoBiasConv(in, out, 1, stride, 0, gen));
}

Tensor WideBasicBlock::Forward(const Tensor& x) {
  Tensor a = bn1_->ForwardRelu(x);
  Tensor h = bn2_->ForwardRelu(conv1_->Forward(a));
  if (dropout_ > 0) h = Dropout(h, dropout_, is_training(), dropout_gen_);
  h = conv2_->Forward(h);
  return Add(shortcut_ ? shortcut_->Forward(a) : x, h);
}

std::string WideBasicBlock::ExtraRepr() const {
  return absl::StrCat("in=", in_, ", out=", out_, ", stride=", stride_, ", dropout=", dropout_);
}

WideGroup::WideGroup(int64_t blocks, int64_t in, int64_t out, int64_t stride, double dropout,
                     Generator& gen)
    : Module("WideGroup") {
  layer_ = RegisterModule("layer", std::make_shared<nn::Sequential>());
  for (int64_t i = 0; i < blocks; ++i) {
    layer_->Add(std::make_shared<WideBasicBlock>(i == 0 ? in : out, out, i == 0 ? stride : 1,
                                                 dropout, gen));
  }
}

WideResNet2d::WideResNet2d(const Wrn2dConfig& config, Generator& gen)
    : Module("WideResNet2d"), config_(config) {
  NB_CHECK(config.depth >= 10 && (config.depth - 4) % 6 == 0, "WRN depth must be 6n + 4, got ",
           config.depth);
  NB_CHECK(config.widen >= 1 && config.in_channels >= 1 && config.num_classes >= 1,
           "WRN: bad widen/in_channels/num_classes");
  const int64_t n = (config.depth - 4) / 6;
  const int64_t c0 = 16, c1 = 16 * config.widen, c2 = 32 * config.widen, c3 = 64 * config.widen;
  const bool dense = config.head == WrnHead::kDense;
  const int64_t down = dense ? 1 : 2;
  conv1_ = RegisterModule("conv1", NoBiasConv(config.in_channels, c0, 3, 1, 1, gen));
  if (dense) {
    in_layer_ = RegisterModule("in_layer", std::make_shared<nn::Sequential>());
    in_layer_->Add(std::make_shared<nn::BatchNorm2d>(config.in_channels));
    in_layer_->Add(std::make_shared<nn::ReLU>());
    in_layer_->Add(conv1_);  // shared with "conv1", as the original's Sequential wrapping it
  }
  block1_ = RegisterModule("block1", std::make_shared<WideGroup>(n, c0, c1, 1, config.dropout, gen));
  block2_ = RegisterModule("block2", std::make_shared<WideGroup>(n, c1, c2, down, config.dropout, gen));
  block3_ = RegisterModule("block3", std::make_shared<WideGroup>(n, c2, c3, down, config.dropout, gen));
  bn1_ = RegisterModule("bn1", std::make_shared<nn::BatchNorm2d>(c3));
  fc_ = RegisterModule("fc", std::make_shared<nn::Linear>(c3, config.num_classes, gen));
  if (dense) {
    out_conv_ = RegisterModule(
        "out_conv", std::make_shared<nn::Conv2d>(c3, config.num_classes, 3, gen, nn::Conv2dOptions(1, 1)));
  }
  InitWrn(*this, gen);
}

Tensor WideResNet2d::PointPool(const Tensor& h) const {
  const int64_t hh = h.shape()[2], ww = h.shape()[3];
  if (config_.head == WrnHead::kAudio || hh == 6) return AdaptiveAvgPool2d(h, 1, 1);
  Pool2dParams p;
  p.mode = PoolMode::kAvg;
  if ((hh == 2 && ww == 8) || (hh == 4 && ww == 13)) {
    p.kernel_h = p.stride_h = hh;
    p.kernel_w = p.stride_w = ww;
  } else {
    NB_CHECK(hh >= 8 && ww >= 8, "WRN point head: final map ", hh, "x", ww,
             " is smaller than the 8x8 average pool");
    p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 8;
    // avg_pool2d(8) of a map up to 15x15 gives 1x1 from the top-left window; a larger map would give
    // more outputs, which the flatten + Linear(64k) of the original rejects.
    NB_CHECK(hh < 16 && ww < 16, "WRN point head: final map ", hh, "x", ww,
             " gives more than one 8x8 window");
  }
  return Pool2d(h, p);
}

Tensor WideResNet2d::Forward(const Tensor& x) {
  NB_CHECK(x.dim() == 4 && x.shape()[1] == config_.in_channels, "WideResNet2d: expected (N, ",
           config_.in_channels, ", H, W) input");
  Tensor h = conv1_->Forward(x);
  h = block3_->Forward(block2_->Forward(block1_->Forward(h)));
  h = bn1_->ForwardRelu(h);
  if (config_.head == WrnHead::kDense) {
    // Linear over channels at every pixel == 1x1 convolution with the Linear's weight.
    const Tensor w = fc_->weight().Reshape({config_.num_classes, h.shape()[1], 1, 1});
    return nb360::Conv2d(h, w, fc_->bias(), Conv2dParams{});
  }
  return fc_->Forward(PointPool(h).Flatten(1, -1));
}

int64_t WideResNet2d::NumUnusedParameters() const {
  if (config_.head != WrnHead::kDense) return 0;
  return NumElements(*in_layer_) - NumElements(*conv1_) + NumElements(*out_conv_);
}

std::string WideResNet2d::ExtraRepr() const {
  const char* head = config_.head == WrnHead::kPoint ? "point"
                     : config_.head == WrnHead::kAudio ? "audio" : "dense";
  return absl::StrCat("depth=", config_.depth, ", widen=", config_.widen, ", in=", config_.in_channels,
                      ", classes=", config_.num_classes, ", dropout=", config_.dropout, ", head=", head);
}

}  // namespace nb360::baselines
