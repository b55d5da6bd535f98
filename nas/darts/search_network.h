// nas/darts/search_network.h: the GAEA PC-DARTS search supernet (spec nas_darts_densenas.md §A.1-§A.5)
// for 2-D point, 1-D and dense tasks.
//
// MixedOp (one edge, PC-DARTS partial channels, K = 4): of x (N, C, ...) the first C/K channels go
// through all 8 candidate ops (none included) built for C/K channels and are summed with the op
// weights w; the other C - C/K channels bypass (max-pooled 2x2 / stride 2 on stride-2 edges); the
// two parts are concatenated and channel-shuffled with K groups (input channel g*(C/K)+j goes to
// position j*K+g). Both pools are followed by a BN(C/K, affine=False). Every op and preprocessing BN
// is affine=False (PyTorch defaults otherwise); the stem BN is a default, affine BN.
// The bypass pool uses ceil mode in 1-D (as the original) and also in 2-D: at even sizes this is
// the original's floor pool, at odd sizes it keeps the bypass as large as the ops' ceil(H/2) output,
// where the original fails (spec §C.6).
//
// SearchCell: s0 preprocessed by FactorizedReduce after a reduction cell, else ReLUConvBN 1x1; s1 by
// ReLUConvBN 1x1; 14 mixed edges in the §A.2 row order (node 0 {0,1}, node 1 {0,1,2}, ...; stride 2
// on edges from s0/s1 in a reduction cell); node i = sum_j edge_w[j] * MixedOp_j(state_j; w[j]);
// the output concatenates the 4 nodes (4C channels).
//
// SearchNetwork: stem (conv 3, padding 1, in -> 3C, BN), `layers` cells (point/1-D reduce at cells
// layers/3 and 2*layers/3, C doubling; dense never reduces), head: global average pool + Linear
// (point (N, classes), 1-D (N, classes)) or that Linear at every pixel (dense, (N, classes, H, W)).
// Architecture parameters alphas_normal / alphas_reduce (14, 8) and betas_normal / betas_reduce (14),
// all ones at construction, are registered as buffers (saved in StateDict(), moved by To(), never in
// Parameters()) with requires_grad set, so the weight optimizer and NumParameters() see the weights
// only. The forward pass uses w = softmax(alpha) per row and edge_w = softmax of beta within each
// node's segment [0:2], [2:5], [5:9], [9:14], applied on top of whatever values the EG optimizer
// left there (the GAEA quirk of §A.5 / §C.1, reproduced).
//
// Example:
//   SearchNetworkConfig cfg;  // CIFAR-100: in 3, classes 100, C 16, layers 8
//   cfg.num_classes = 100;
//   SearchNetwork net(cfg, gen);
//   optim::SGD w_opt(net.WeightParameters(), ...);
//   EG a_opt(net.ArchParameters(), 0.1);          // nas/darts/eg_optimizer.h
//   Genotype g = net.genotype();
#ifndef NB360_NAS_DARTS_SEARCH_NETWORK_H_
#define NB360_NAS_DARTS_SEARCH_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "nas/darts/genotype.h"
#include "nas/darts/ops.h"

namespace nb360::nas::darts {

struct SearchNetworkConfig {
  enum Kind { kPoint2d, k1d, kDense };
  int in_channels = 3;
  int num_classes = 10;
  int C = 16;
  int layers = 8;
  int K = 4;  // PC-DARTS channel proportion (the YAMLs' shuffle_factor)
  Kind kind = kPoint2d;
};

// Search-time op BN: affine=False, PyTorch defaults (momentum 0.1, eps 1e-5).
OpConfig SearchOpConfig(OpDims dims);

// softmax of beta (14) within each node's segment -> (14), differentiable.
Tensor SegmentSoftmax(const Tensor& beta);

// One partial-channel mixed edge on C channels (C divisible by K, C/K even on stride-2 edges).
class MixedOp : public nn::Module {
 public:
  MixedOp(OpDims dims, int64_t c, int64_t stride, int64_t k, Generator& gen);
  // x (N, C, H, W) / (N, C, L), weights (8) in genotype.h order -> (N, C, ceil(H/s), ceil(W/s)).
  Tensor Forward(const Tensor& x, const Tensor& weights);

 private:
  OpDims dims_;
  int64_t c_, stride_, k_;
  std::vector<nn::ModulePtr> ops_;  // ops_[0] is `none` (its contribution is zero and skipped)
};

class SearchCell : public nn::Module {
 public:
  SearchCell(OpDims dims, int64_t k, int64_t c_prev_prev, int64_t c_prev, int64_t c, bool reduction,
             bool reduction_prev, Generator& gen);
  // s0 (N, C_pp, ...), s1 (N, C_p, ...), weights (14, 8) = softmax(alpha), edge_weights (14) =
  // SegmentSoftmax(beta) -> (N, 4C, ...), halved when reducing.
  Tensor Forward(const Tensor& s0, const Tensor& s1, const Tensor& weights, const Tensor& edge_weights);
  int64_t out_channels() const { return 4 * c_; }
  bool reduction() const { return reduction_; }

 private:
  int64_t c_;
  bool reduction_;
  nn::ModulePtr preprocess0_, preprocess1_;
  std::vector<std::shared_ptr<MixedOp>> edges_;
};

class SearchNetwork : public nn::Module {
 public:
  // C must be divisible by K, and C/K even when the network reduces (stride-2 skip_connect).
  SearchNetwork(const SearchNetworkConfig& config, Generator& gen);

  // x (N, in, H, W) for point/dense, (N, in, L) for 1-D -> (N, classes) or, dense, (N, classes, H, W).
  Tensor Forward(const Tensor& x) override;
  // The last cell's output; `cell_shapes`, when given, receives every cell's output shape.
  Tensor Features(const Tensor& x, std::vector<Shape>* cell_shapes = nullptr);

  // The live architecture tensors (14, 8), (14).
  const Tensor& alpha_normal() const { return alpha_normal_; }
  const Tensor& alpha_reduce() const { return alpha_reduce_; }
  const Tensor& beta_normal() const { return beta_normal_; }
  const Tensor& beta_reduce() const { return beta_reduce_; }
  // {alpha_normal, alpha_reduce, beta_normal, beta_reduce} (the EG optimizer's parameters).
  std::vector<Tensor> ArchParameters() const;
  // Every trainable weight (= Parameters(); the architecture tensors are not among them).
  std::vector<Tensor> WeightParameters() const { return Parameters(); }
  int64_t NumWeightParameters() const { return NumParameters(); }
  int64_t NumArchParameters() const;
  // Turns gradient tracking of the architecture tensors on or off (freeze them for weight steps).
  void SetArchRequiresGrad(bool on);
  // Drops the architecture tensors' gradients.
  void ZeroArchGrad();

  // The mixing weights the forward pass uses: softmax(alpha) (14, 8) and SegmentSoftmax(beta) (14).
  Tensor OpWeights(bool reduce) const;
  Tensor EdgeWeights(bool reduce) const;

  // Discretize(alpha_normal, beta_normal, alpha_reduce, beta_reduce) (§A.7).
  Genotype genotype() const;

  const SearchNetworkConfig& config() const { return config_; }
  std::string ExtraRepr() const override;

 private:
  SearchNetworkConfig config_;
  nn::ModulePtr stem_conv_;
  std::shared_ptr<nn::BatchNormBase> stem_bn_;
  std::vector<std::shared_ptr<SearchCell>> cells_;
  std::shared_ptr<nn::Linear> classifier_;
  Tensor alpha_normal_, alpha_reduce_, beta_normal_, beta_reduce_;
};

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_SEARCH_NETWORK_H_
