// nas/darts/search_network.cc: see search_network.h.
#include "nas/darts/search_network.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/check.h"
#include "nas/darts/discretize.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"
#include "ops/weighted_sum.h"

namespace nb360::nas::darts {
namespace {

// The bypass pool of a stride-2 edge: kernel 2, stride 2, ceil mode (see the header).
Tensor BypassPool(OpDims dims, const Tensor& x) {
  Pool2dParams p;
  p.mode = PoolMode::kMax;
  p.kernel_w = p.stride_w = 2;
  p.ceil_mode = true;
  if (dims == OpDims::k1d) return Pool2d(x.Unsqueeze(2), p).Squeeze(2);  // (N, C, L) as (N, C, 1, L)
  p.kernel_h = p.stride_h = 2;
  return Pool2d(x, p);
}

bool IsReductionCell(const SearchNetworkConfig& config, int i) {
  if (config.kind == SearchNetworkConfig::kDense) return false;
  return i == config.layers / 3 || i == 2 * config.layers / 3;
}

bool HasReduction(const SearchNetworkConfig& config) {
  for (int i = 0; i < config.layers; ++i) {
    if (IsReductionCell(config, i)) return true;
  }
  return false;
}

}  // namespace

OpConfig SearchOpConfig(OpDims dims) {
  OpConfig cfg;
  cfg.dims = dims;
  cfg.bn.affine = false;
  return cfg;
}

Tensor SegmentSoftmax(const Tensor& beta) {
  NB_CHECK(beta.dim() == 1 && beta.shape()[0] == kNumEdges, "SegmentSoftmax: expected (14), got ",
           beta.Describe());
  std::vector<Tensor> parts;
  parts.reserve(kNumNodes);
  for (int node = 0; node < kNumNodes; ++node) {
    parts.push_back(Softmax(beta.Narrow(0, NodeEdgeOffset(node), node + 2), 0));
  }
  return Cat(parts, 0);
}

// --- MixedOp ---

MixedOp::MixedOp(OpDims dims, int64_t c, int64_t stride, int64_t k, Generator& gen)
    : Module("MixedOp"), dims_(dims), c_(c), stride_(stride), k_(k) {
  NB_CHECK(k >= 1 && c % k == 0, "MixedOp: ", c, " channels are not divisible by K = ", k);
  const int64_t part = c / k;
  const OpConfig cfg = SearchOpConfig(dims);
  auto list = RegisterModule("_ops", std::make_shared<nn::Sequential>());
  for (int p = 0; p < kNumPrimitives; ++p) {
    const Primitive prim = static_cast<Primitive>(p);
    nn::ModulePtr op = MakeOp(prim, cfg, part, stride, gen);
    if (prim == Primitive::kMaxPool3x3 || prim == Primitive::kAvgPool3x3) {
      op = std::make_shared<nn::Sequential>(
          std::vector<nn::ModulePtr>{op, MakeDartsBn(dims, part, cfg.bn)});
    }
    ops_.push_back(list->Add(op));
  }
}

Tensor MixedOp::Forward(const Tensor& x, const Tensor& weights) {
  NB_CHECK(x.dim() >= 3 && x.shape()[1] == c_, "MixedOp: expected ", c_, " channels, got ", x.Describe());
  NB_CHECK(weights.dim() == 1 && weights.shape()[0] == kNumPrimitives, "MixedOp: expected 8 weights, got ",
           weights.Describe());
  const int64_t part = c_ / k_;
  const Tensor x1 = x.Narrow(1, 0, part);
  // none (o = 0) contributes 0 * w_none: no value and no gradient for w_none, so it is skipped.
  // The weighted sum of the other seven is one fused op (ops/weighted_sum.h).
  std::vector<Tensor> outs;
  outs.reserve(kNumPrimitives - 1);
  for (int o = 1; o < kNumPrimitives; ++o) outs.push_back(ops_[o]->Forward(x1));
  const Tensor y1 = WeightedSum(outs, weights.Narrow(0, 1, kNumPrimitives - 1));
  if (part == c_) return ChannelShuffle(y1, k_);
  Tensor x2 = x.Narrow(1, part, c_ - part);
  if (y1.shape()[2] != x.shape()[2]) x2 = BypassPool(dims_, x2);
  return ChannelShuffle(Cat({y1, x2}, 1), k_);
}

// --- SearchCell ---

SearchCell::SearchCell(OpDims dims, int64_t k, int64_t c_prev_prev, int64_t c_prev, int64_t c,
                       bool reduction, bool reduction_prev, Generator& gen)
    : Module("Cell"), c_(c), reduction_(reduction) {
  const OpConfig cfg = SearchOpConfig(dims);
  if (reduction_prev) {
    preprocess0_ = std::make_shared<FactorizedReduce>(cfg, c_prev_prev, c, gen);
  } else {
    preprocess0_ = std::make_shared<ReLUConvBN>(cfg, c_prev_prev, c, 1, 1, 0, gen);
  }
  RegisterModule("preprocess0", preprocess0_);
  preprocess1_ = RegisterModule("preprocess1", std::make_shared<ReLUConvBN>(cfg, c_prev, c, 1, 1, 0, gen));
  auto list = RegisterModule("_ops", std::make_shared<nn::Sequential>());
  for (int node = 0; node < kNumNodes; ++node) {
    for (int j = 0; j < node + 2; ++j) {
      const int64_t stride = reduction && j < 2 ? 2 : 1;
      edges_.push_back(list->Add(std::make_shared<MixedOp>(dims, c, stride, k, gen)));
    }
  }
}

Tensor SearchCell::Forward(const Tensor& s0, const Tensor& s1, const Tensor& weights,
                           const Tensor& edge_weights) {
  NB_CHECK(weights.dim() == 2 && weights.shape()[0] == kNumEdges && weights.shape()[1] == kNumPrimitives,
           "SearchCell: expected (14, 8) op weights, got ", weights.Describe());
  NB_CHECK(edge_weights.dim() == 1 && edge_weights.shape()[0] == kNumEdges,
           "SearchCell: expected (14) edge weights, got ", edge_weights.Describe());
  std::vector<Tensor> states = {preprocess0_->Forward(s0), preprocess1_->Forward(s1)};
  int edge = 0;
  for (int node = 0; node < kNumNodes; ++node) {
    std::vector<Tensor> inputs;
    const int first = edge;
    for (int j = 0; j < node + 2; ++j, ++edge) {
      inputs.push_back(edges_[edge]->Forward(states[j], weights.Select(0, edge)));
    }
    states.push_back(WeightedSum(inputs, edge_weights.Narrow(0, first, node + 2)));
  }
  return Cat({states[2], states[3], states[4], states[5]}, 1);
}

// --- SearchNetwork ---

SearchNetwork::SearchNetwork(const SearchNetworkConfig& config, Generator& gen)
    : Module("Network"), config_(config) {
  NB_CHECK(config.in_channels >= 1 && config.num_classes >= 1 && config.C >= 1 && config.layers >= 1 &&
               config.K >= 1,
           "SearchNetwork: bad in_channels/num_classes/C/layers/K");
  NB_CHECK(config.C % config.K == 0, "SearchNetwork: C = ", config.C, " is not divisible by K = ", config.K);
  NB_CHECK(!HasReduction(config) || (config.C / config.K) % 2 == 0, "SearchNetwork: C/K = ",
           config.C / config.K, " must be even for the stride-2 skip_connect (FactorizedReduce)");
  const OpDims dims = config.kind == SearchNetworkConfig::k1d ? OpDims::k1d : OpDims::k2d;

  int64_t c_cur = 3 * config.C;
  stem_conv_ = MakeDartsConv(dims, config.in_channels, c_cur, 3, 1, 1, 1, 1, gen);
  stem_bn_ = MakeDartsBn(dims, c_cur, nn::BatchNormOptions{});
  RegisterModule("stem", std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{stem_conv_, stem_bn_}));

  int64_t c_prev_prev = c_cur, c_prev = c_cur;
  c_cur = config.C;
  bool reduction_prev = false;
  auto cells = RegisterModule("cells", std::make_shared<nn::Sequential>());
  for (int i = 0; i < config.layers; ++i) {
    const bool reduction = IsReductionCell(config, i);
    if (reduction) c_cur *= 2;
    auto cell = cells->Add(std::make_shared<SearchCell>(dims, config.K, c_prev_prev, c_prev, c_cur, reduction,
                                                        reduction_prev, gen));
    cells_.push_back(cell);
    reduction_prev = reduction;
    c_prev_prev = c_prev;
    c_prev = cell->out_channels();
  }
  classifier_ = RegisterModule("classifier", std::make_shared<nn::Linear>(c_prev, config.num_classes, gen));

  // Architecture tensors: buffers (saved, moved, not weights) that track gradients.
  auto arch = [&](const std::string& name, const Shape& shape) {
    Tensor t = RegisterBuffer(name, Tensor::Ones(shape));
    t.set_requires_grad(true);
    return t;
  };
  alpha_normal_ = arch("alphas_normal", {kNumEdges, kNumPrimitives});
  alpha_reduce_ = arch("alphas_reduce", {kNumEdges, kNumPrimitives});
  beta_normal_ = arch("betas_normal", {kNumEdges});
  beta_reduce_ = arch("betas_reduce", {kNumEdges});
}

std::vector<Tensor> SearchNetwork::ArchParameters() const {
  return {alpha_normal_, alpha_reduce_, beta_normal_, beta_reduce_};
}

int64_t SearchNetwork::NumArchParameters() const {
  int64_t n = 0;
  for (const Tensor& t : ArchParameters()) n += t.numel();
  return n;
}

void SearchNetwork::SetArchRequiresGrad(bool on) {
  for (Tensor t : ArchParameters()) t.set_requires_grad(on);
}

void SearchNetwork::ZeroArchGrad() {
  for (const Tensor& t : ArchParameters()) t.ZeroGrad();
}

Tensor SearchNetwork::OpWeights(bool reduce) const {
  return Softmax(reduce ? alpha_reduce_ : alpha_normal_, 1);
}

Tensor SearchNetwork::EdgeWeights(bool reduce) const {
  return SegmentSoftmax(reduce ? beta_reduce_ : beta_normal_);
}

Tensor SearchNetwork::Features(const Tensor& x, std::vector<Shape>* cell_shapes) {
  const int want_dim = config_.kind == SearchNetworkConfig::k1d ? 3 : 4;
  NB_CHECK(x.dim() == want_dim && x.shape()[1] == config_.in_channels, "SearchNetwork: expected (N, ",
           config_.in_channels, want_dim == 3 ? ", L)" : ", H, W)", " input, got ", x.Describe());
  const Tensor w_normal = OpWeights(false), e_normal = EdgeWeights(false);
  Tensor w_reduce, e_reduce;  // only built when a cell reduces (dense: alpha/beta_reduce get no gradient)
  if (HasReduction(config_)) {
    w_reduce = OpWeights(true);
    e_reduce = EdgeWeights(true);
  }
  Tensor s0 = stem_bn_->Forward(stem_conv_->Forward(x));
  Tensor s1 = s0;
  for (const auto& cell : cells_) {
    Tensor next = cell->reduction() ? cell->Forward(s0, s1, w_reduce, e_reduce)
                                    : cell->Forward(s0, s1, w_normal, e_normal);
    s0 = std::move(s1);
    s1 = std::move(next);
    if (cell_shapes) cell_shapes->push_back(s1.shape());
  }
  return s1;
}

Tensor SearchNetwork::Forward(const Tensor& x) {
  return ClassifierHead(*classifier_, Features(x), config_.kind == SearchNetworkConfig::kDense);
}

Genotype SearchNetwork::genotype() const {
  return Discretize(alpha_normal_, beta_normal_, alpha_reduce_, beta_reduce_);
}

std::string SearchNetwork::ExtraRepr() const {
  const char* kind = config_.kind == SearchNetworkConfig::kPoint2d ? "point2d"
                     : config_.kind == SearchNetworkConfig::k1d    ? "1d"
                                                                   : "dense";
  return absl::StrCat("in=", config_.in_channels, ", classes=", config_.num_classes, ", C=", config_.C,
                      ", layers=", config_.layers, ", K=", config_.K, ", kind=", kind);
}

}  // namespace nb360::nas::darts
