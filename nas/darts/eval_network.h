// nas/darts/eval_network.h: the evaluation (retrain) network of GAEA PC-DARTS built from a genotype
// (spec nas_darts_densenas.md §A.2, §A.3, §A.8), for 2-D point, 1-D and dense tasks.
//
// Stem: conv 3 (padding 1, no bias) in -> 3C, BN (defaults). Then `layers` discrete cells; point and
// 1-D networks reduce at cells layers/3 and 2*layers/3 (C doubles, stride 2 on the edges from the
// cell inputs), dense networks never reduce and ignore the genotype's reduce half. A cell
// preprocesses s0 with FactorizedReduce after a reduction cell, else ReLUConvBN 1x1, and s1 with
// ReLUConvBN 1x1 (BN momentum 0.999, eps 1e-3); node i = op(h_a) + op(h_b), drop path on each
// non-identity op's output in training; the output concatenates the concat states (4C channels).
// Head: global average pool + Linear(C_prev -> classes) (point (N, classes), 1-D (N, classes)), or,
// dense, that Linear at every pixel (N, classes, H, W). Op BNs: retrain BN (point, 1-D) or defaults
// (dense). The optional auxiliary head (2-D point only) sits on the output of cell 2*layers/3:
// ReLU, avgpool 5/3 (padding counted), conv1x1 -> 128, BN, ReLU, conv2x2 -> 768, BN, ReLU,
// Linear(768 -> classes); its map must reach 1x1 (32x32 inputs).
// State-dict names follow the original: stem.0/1, cells.N.preprocess0/1, cells.N._ops.M,
// classifier, auxiliary_head.features.*, auxiliary_head.classifier. Initialisation: PyTorch's
// defaults.
#ifndef NB360_NAS_DARTS_EVAL_NETWORK_H_
#define NB360_NAS_DARTS_EVAL_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "nas/darts/genotype.h"
#include "nas/darts/ops.h"

namespace nb360::nas::darts {

struct EvalNetworkConfig {
  enum Kind { kPoint2d, k1d, kDense };
  int in_channels = 3;
  int num_classes = 10;
  int C = 36;
  int layers = 20;
  bool auxiliary = false;
  Kind kind = kPoint2d;
};

// One discrete cell. Multi-input: call Forward(s0, s1, drop_prob, gen).
class EvalCell : public nn::Module {
 public:
  // `half` holds 2 (op, input) pairs per node; `concat` the states of the output.
  EvalCell(const std::vector<GenotypeEdge>& half, const std::vector<int>& concat, const OpConfig& ops,
           const OpConfig& preprocess, int64_t c_prev_prev, int64_t c_prev, int64_t c, bool reduction,
           bool reduction_prev, Generator& gen);
  // s0 (N, C_pp, ...), s1 (N, C_p, ...) -> (N, concat.size() * C, ...), halved when reducing.
  // Drop path (probability drop_prob, training only) draws its masks from `gen`.
  Tensor Forward(const Tensor& s0, const Tensor& s1, double drop_prob, Generator& gen);
  int64_t out_channels() const { return out_channels_; }
  bool reduction() const { return reduction_; }

 private:
  nn::ModulePtr preprocess0_, preprocess1_;
  std::vector<nn::ModulePtr> ops_;
  std::vector<bool> drop_;  // drop path applies (op is not an identity)
  std::vector<int> inputs_, concat_;
  int64_t out_channels_;
  bool reduction_;
};

class EvalNetwork : public nn::Module {
 public:
  // The genotype must be valid (genotype_check.h ValidateGenotype); MakeEvalNetwork checks first.
  EvalNetwork(const Genotype& genotype, const EvalNetworkConfig& config, Generator& gen);

  struct Outputs {
    Tensor logits;
    Tensor aux_logits;  // (N, classes); defined only with the auxiliary head in training mode
  };
  // x (N, in, H, W) for point/dense, (N, in, L) for 1-D -> logits (N, classes) or, dense,
  // (N, classes, H, W).
  Tensor Forward(const Tensor& x) override;
  // Forward plus, with the auxiliary head in training mode, its logits.
  Outputs ForwardWithAux(const Tensor& x);
  // The last cell's output (N, 4C_last, ...); `cell_shapes`, when given, receives every cell's
  // output shape.
  Tensor Features(const Tensor& x, std::vector<Shape>* cell_shapes = nullptr);

  // Drop-path probability for the following training forwards (§A.8 sets it per epoch).
  void set_drop_path_prob(double p);
  double drop_path_prob() const { return drop_path_prob_; }
  Generator& drop_path_generator() { return drop_gen_; }

  const EvalNetworkConfig& config() const { return config_; }
  // Parameters of the auxiliary head (0 without one).
  int64_t NumAuxParameters() const;
  std::string ExtraRepr() const override;

 private:
  // Stem and cells; *aux_input (when given) gets the output of cell 2*layers/3.
  Tensor Run(const Tensor& x, std::vector<Shape>* cell_shapes, Tensor* aux_input);
  Tensor Head(const Tensor& h);

  EvalNetworkConfig config_;
  double drop_path_prob_ = 0.0;
  Generator drop_gen_;
  nn::ModulePtr stem_conv_;
  std::shared_ptr<nn::BatchNormBase> stem_bn_;
  std::vector<std::shared_ptr<EvalCell>> cells_;
  int aux_cell_ = -1;
  std::shared_ptr<nn::Module> aux_head_;
  std::shared_ptr<nn::Linear> classifier_;
};

// Validates the genotype (and the config) and builds the network.
absl::StatusOr<std::shared_ptr<EvalNetwork>> MakeEvalNetwork(const Genotype& genotype,
                                                             const EvalNetworkConfig& config,
                                                             Generator& gen);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_EVAL_NETWORK_H_
