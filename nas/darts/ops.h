// nas/darts/ops.h: the DARTS candidate operations at retrain time, 2-D and 1-D (spec
// nas_darts_densenas.md §A.1), and drop path (§A.8).
//
// Every op maps (N, C, H, W) -> (N, C, H/s, W/s) in 2-D and (N, C, L) -> (N, C, L/s) in 1-D, with
// sizes rounded up (a 3-wide window, padding 1, stride s). All convolutions are bias-free; BN is
// affine with the options given (retrain point/1D: momentum 0.999, eps 1e-3; dense ops: defaults).
// Children carry the original's names so state dicts read like PyTorch's: ReLUConvBN, DilConv and
// SepConv keep a Sequential "op" (op.1.weight is the first conv), FactorizedReduce has conv_1, conv_2
// and bn.
//
// FactorizedReduce at odd sizes (spec §C.6): the original's shifted half x[:, :, 1:, 1:] is one row
// and column shorter after the stride-2 1x1 conv, so its concatenation fails. Here the shifted input
// gets one zero row/column at the bottom/right when the size is odd: at even sizes nothing changes
// (the extra row would never be sampled), at odd sizes both halves have ceil(H/2) rows.
#ifndef NB360_NAS_DARTS_OPS_H_
#define NB360_NAS_DARTS_OPS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

enum class OpDims { k1d, k2d };

// What every op of one network shares: the dimensionality and the BN options of its BNs.
struct OpConfig {
  OpDims dims = OpDims::k2d;
  nn::BatchNormOptions bn;
};

// Retrain BN of §A.1 (PyTorch momentum 0.999, eps 1e-3, affine).
nn::BatchNormOptions RetrainOpBn();

// A bias-free conv of `dims` (kernel k, k x k in 2-D).
nn::ModulePtr MakeDartsConv(OpDims dims, int64_t in, int64_t out, int64_t k, int64_t stride,
                            int64_t pad, int64_t dilation, int64_t groups, Generator& gen);
std::shared_ptr<nn::BatchNormBase> MakeDartsBn(OpDims dims, int64_t channels,
                                               const nn::BatchNormOptions& options);

// `none`: zeros shaped like x subsampled by `stride` (every stride-th pixel from 0).
class Zero : public nn::Module {
 public:
  explicit Zero(int64_t stride) : Module("Zero"), stride_(stride) {}
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;

 private:
  int64_t stride_;
};

// max_pool_3x3 / avg_pool_3x3: kernel 3, stride s, padding 1; the average excludes padding.
class Pool3 : public nn::Module {
 public:
  Pool3(OpDims dims, bool max, int64_t stride)
      : Module(max ? "MaxPool" : "AvgPool"), dims_(dims), max_(max), stride_(stride) {}
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;

 private:
  OpDims dims_;
  bool max_;
  int64_t stride_;
};

// ReLU, conv k (stride, pad) in -> out, BN. Children op.1 (conv), op.2 (BN).
class ReLUConvBN : public nn::Module {
 public:
  ReLUConvBN(const OpConfig& cfg, int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
             Generator& gen);
  Tensor Forward(const Tensor& x) override;

 private:
  nn::ModulePtr conv_;
  std::shared_ptr<nn::BatchNormBase> bn_;
};

// ReLU, then two 1x1 stride-2 convs in -> out/2 (2-D: the second on x shifted by one pixel in H and
// W; 1-D: the same x), concatenated on channels, then BN. out must be even.
class FactorizedReduce : public nn::Module {
 public:
  FactorizedReduce(const OpConfig& cfg, int64_t in, int64_t out, Generator& gen);
  Tensor Forward(const Tensor& x) override;

 private:
  OpDims dims_;
  nn::ModulePtr conv_1_, conv_2_;
  std::shared_ptr<nn::BatchNormBase> bn_;
};

// dil_conv_kxk: ReLU, depthwise k conv (stride, pad, dilation), 1x1 conv, BN. Children op.1..op.3.
class DilConv : public nn::Module {
 public:
  DilConv(const OpConfig& cfg, int64_t c, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
          Generator& gen);
  Tensor Forward(const Tensor& x) override;

 private:
  nn::ModulePtr dw_, pw_;
  std::shared_ptr<nn::BatchNormBase> bn_;
};

// sep_conv_kxk: two DilConv-like blocks without dilation, the first with the stride. Children
// op.1, op.2, op.3 (BN), op.5, op.6, op.7 (BN).
class SepConv : public nn::Module {
 public:
  SepConv(const OpConfig& cfg, int64_t c, int64_t k, int64_t stride, int64_t pad, Generator& gen);
  Tensor Forward(const Tensor& x) override;

 private:
  nn::ModulePtr dw1_, pw1_, dw2_, pw2_;
  std::shared_ptr<nn::BatchNormBase> bn1_, bn2_;
};

// The module of primitive `p` on C channels with `stride` (1 or 2). skip_connect is nn::Identity at
// stride 1 and FactorizedReduce(C, C) at stride 2.
nn::ModulePtr MakeOp(Primitive p, const OpConfig& cfg, int64_t c, int64_t stride, Generator& gen);

// True for the modules drop path leaves alone (nn::Identity).
bool IsIdentityOp(const nn::Module& m);

// Drop path: each sample of x (N, ...) is zeroed with probability p and scaled by 1 / (1 - p)
// otherwise (mask (N, 1, ..., 1) drawn from `gen`). p in [0, 1). Returns x itself when p == 0.
Tensor DropPath(const Tensor& x, double p, Generator& gen);

// The DARTS networks' head on the last cell's output h: global average pool + `classifier`
// ((N, C, H, W) or (N, C, L) -> (N, classes)), or, `dense`, the Linear at every pixel as a 1x1
// convolution with its weight ((N, C, H, W) -> (N, classes, H, W)).
Tensor ClassifierHead(nn::Linear& classifier, const Tensor& h, bool dense);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_OPS_H_
