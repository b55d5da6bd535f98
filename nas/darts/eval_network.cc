// nas/darts/eval_network.cc: see eval_network.h.
#include "nas/darts/eval_network.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/check.h"
#include "nas/darts/genotype_check.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "ops/shape_ops.h"

namespace nb360::nas::darts {
namespace {

// avg_pool 5, stride 3, no padding (the auxiliary head's).
class AuxPool : public nn::Module {
 public:
  AuxPool() : Module("AvgPool2d") {}
  Tensor Forward(const Tensor& x) override { return AvgPool2d(x, 5, 3, 0); }
  std::string ExtraRepr() const override { return "kernel=5, stride=3, padding=0"; }
};

// features (ReLU, pool, conv1x1 C -> 128, BN, ReLU, conv2x2 128 -> 768, BN, ReLU) + classifier.
class AuxiliaryHead : public nn::Module {
 public:
  AuxiliaryHead(int64_t c, int64_t classes, Generator& gen) : Module("AuxiliaryHead") {
    features_ = RegisterModule("features", std::make_shared<nn::Sequential>());
    features_->Add(std::make_shared<nn::ReLU>());
    features_->Add(std::make_shared<AuxPool>());
    features_->Add(MakeDartsConv(OpDims::k2d, c, 128, 1, 1, 0, 1, 1, gen));
    features_->Add(std::make_shared<nn::BatchNorm2d>(128));
    features_->Add(std::make_shared<nn::ReLU>());
    features_->Add(MakeDartsConv(OpDims::k2d, 128, 768, 2, 1, 0, 1, 1, gen));
    features_->Add(std::make_shared<nn::BatchNorm2d>(768));
    features_->Add(std::make_shared<nn::ReLU>());
    classifier_ = RegisterModule("classifier", std::make_shared<nn::Linear>(768, classes, gen));
  }
  // x (N, C, H, W) with the map reaching 1x1 -> (N, classes).
  Tensor Forward(const Tensor& x) override {
    const Tensor h = features_->Forward(x);
    NB_CHECK(h.shape()[2] == 1 && h.shape()[3] == 1, "auxiliary head: the ", x.shape()[2], "x",
             x.shape()[3], " map gives ", h.shape()[2], "x", h.shape()[3],
             " after the head's convolutions; the Linear(768) needs 1x1 (32x32 inputs)");
    return classifier_->Forward(h.Flatten(1, -1));
  }

 private:
  std::shared_ptr<nn::Sequential> features_;
  std::shared_ptr<nn::Linear> classifier_;
};

bool IsReductionCell(const EvalNetworkConfig& config, int i) {
  if (config.kind == EvalNetworkConfig::kDense) return false;
  return i == config.layers / 3 || i == 2 * config.layers / 3;
}

}  // namespace

// --- EvalCell ---

EvalCell::EvalCell(const std::vector<GenotypeEdge>& half, const std::vector<int>& concat,
                   const OpConfig& ops, const OpConfig& preprocess, int64_t c_prev_prev,
                   int64_t c_prev, int64_t c, bool reduction, bool reduction_prev, Generator& gen)
    : Module("Cell"), concat_(concat), reduction_(reduction) {
  NB_CHECK(half.size() % 2 == 0 && !half.empty(), "EvalCell: needs 2 pairs per node, got ",
           half.size());
  if (reduction_prev) {
    preprocess0_ = std::make_shared<FactorizedReduce>(preprocess, c_prev_prev, c, gen);
  } else {
    preprocess0_ = std::make_shared<ReLUConvBN>(preprocess, c_prev_prev, c, 1, 1, 0, gen);
  }
  RegisterModule("preprocess0", preprocess0_);
  preprocess1_ = RegisterModule("preprocess1",
                                std::make_shared<ReLUConvBN>(preprocess, c_prev, c, 1, 1, 0, gen));
  auto op_list = RegisterModule("_ops", std::make_shared<nn::Sequential>());
  for (size_t j = 0; j < half.size(); ++j) {
    const int node = static_cast<int>(j / 2);
    NB_CHECK(half[j].input >= 0 && half[j].input < node + 2, "EvalCell: pair ", j, " input ",
             half[j].input, " is not an earlier state");
    const int64_t stride = reduction && half[j].input < 2 ? 2 : 1;
    nn::ModulePtr op = op_list->Add(MakeOp(half[j].op, ops, c, stride, gen));
    ops_.push_back(op);
    drop_.push_back(!IsIdentityOp(*op));
    inputs_.push_back(half[j].input);
  }
  const int num_states = static_cast<int>(half.size() / 2) + 2;
  for (int s : concat_) {
    NB_CHECK(s >= 0 && s < num_states, "EvalCell: concat state ", s, " out of range");
  }
  out_channels_ = static_cast<int64_t>(concat_.size()) * c;
}

Tensor EvalCell::Forward(const Tensor& s0, const Tensor& s1, double drop_prob, Generator& gen) {
  std::vector<Tensor> states = {preprocess0_->Forward(s0), preprocess1_->Forward(s1)};
  const bool drop = is_training() && drop_prob > 0.0;
  auto apply = [&](size_t j) {
    Tensor h = ops_[j]->Forward(states[inputs_[j]]);
    if (drop && drop_[j]) h = DropPath(h, drop_prob, gen);
    return h;
  };
  for (size_t j = 0; j < ops_.size(); j += 2) {
    const Tensor a = apply(j);
    const Tensor b = apply(j + 1);
    states.push_back(Add(a, b));
  }
  std::vector<Tensor> out;
  out.reserve(concat_.size());
  for (int s : concat_) out.push_back(states[s]);
  return out.size() == 1 ? out[0] : Cat(out, 1);
}

// --- EvalNetwork ---

EvalNetwork::EvalNetwork(const Genotype& genotype, const EvalNetworkConfig& config, Generator& gen)
    : Module("NetworkEval"),
      config_(config),
      drop_gen_(Generator(gen.NextUint64()).Fork("darts_drop_path")) {
  NB_CHECK(config.in_channels >= 1 && config.num_classes >= 1 && config.C >= 1 && config.layers >= 1,
           "EvalNetwork: bad in_channels/num_classes/C/layers");
  NB_CHECK(!config.auxiliary || config.kind == EvalNetworkConfig::kPoint2d,
           "EvalNetwork: the auxiliary head exists for 2-D point networks only");
  const bool dense = config.kind == EvalNetworkConfig::kDense;
  const OpDims dims = config.kind == EvalNetworkConfig::k1d ? OpDims::k1d : OpDims::k2d;
  OpConfig ops{dims, dense ? nn::BatchNormOptions{} : RetrainOpBn()};
  OpConfig preprocess{dims, RetrainOpBn()};

  int64_t c_cur = 3 * config.C;
  stem_conv_ = MakeDartsConv(dims, config.in_channels, c_cur, 3, 1, 1, 1, 1, gen);
  stem_bn_ = MakeDartsBn(dims, c_cur, nn::BatchNormOptions{});
  RegisterModule("stem", std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{stem_conv_, stem_bn_}));

  int64_t c_prev_prev = c_cur, c_prev = c_cur;
  c_cur = config.C;
  bool reduction_prev = false;
  auto cells = RegisterModule("cells", std::make_shared<nn::Sequential>());
  int64_t c_aux = 0;
  for (int i = 0; i < config.layers; ++i) {
    const bool reduction = IsReductionCell(config, i);
    if (reduction) c_cur *= 2;
    auto cell = cells->Add(std::make_shared<EvalCell>(
        reduction ? genotype.reduce : genotype.normal,
        reduction ? genotype.reduce_concat : genotype.normal_concat, ops, preprocess, c_prev_prev,
        c_prev, c_cur, reduction, reduction_prev, gen));
    cells_.push_back(cell);
    reduction_prev = reduction;
    c_prev_prev = c_prev;
    c_prev = cell->out_channels();
    if (i == 2 * config.layers / 3) c_aux = c_prev;
  }
  if (config.auxiliary) {
    aux_cell_ = 2 * config.layers / 3;
    aux_head_ = RegisterModule("auxiliary_head",
                               std::make_shared<AuxiliaryHead>(c_aux, config.num_classes, gen));
  }
  classifier_ = RegisterModule("classifier", std::make_shared<nn::Linear>(c_prev, config.num_classes, gen));
}

void EvalNetwork::set_drop_path_prob(double p) {
  NB_CHECK(p >= 0.0 && p < 1.0, "EvalNetwork: drop path probability must be in [0, 1), got ", p);
  drop_path_prob_ = p;
}

Tensor EvalNetwork::Run(const Tensor& x, std::vector<Shape>* cell_shapes, Tensor* aux_input) {
  const int want_dim = config_.kind == EvalNetworkConfig::k1d ? 3 : 4;
  NB_CHECK(x.dim() == want_dim && x.shape()[1] == config_.in_channels, "EvalNetwork: expected (N, ",
           config_.in_channels, want_dim == 3 ? ", L)" : ", H, W)", " input, got ", x.Describe());
  const double p = is_training() ? drop_path_prob_ : 0.0;
  Tensor s0 = stem_bn_->Forward(stem_conv_->Forward(x));
  Tensor s1 = s0;
  for (size_t i = 0; i < cells_.size(); ++i) {
    Tensor next = cells_[i]->Forward(s0, s1, p, drop_gen_);
    s0 = std::move(s1);
    s1 = std::move(next);
    if (cell_shapes) cell_shapes->push_back(s1.shape());
    if (aux_input && static_cast<int>(i) == aux_cell_) *aux_input = s1;
  }
  return s1;
}

Tensor EvalNetwork::Features(const Tensor& x, std::vector<Shape>* cell_shapes) {
  return Run(x, cell_shapes, nullptr);
}

Tensor EvalNetwork::Head(const Tensor& h) {
  return ClassifierHead(*classifier_, h, config_.kind == EvalNetworkConfig::kDense);
}

Tensor EvalNetwork::Forward(const Tensor& x) { return Head(Run(x, nullptr, nullptr)); }

EvalNetwork::Outputs EvalNetwork::ForwardWithAux(const Tensor& x) {
  Outputs out;
  Tensor aux_input;
  const bool want_aux = aux_head_ && is_training();
  out.logits = Head(Run(x, nullptr, want_aux ? &aux_input : nullptr));
  if (want_aux) out.aux_logits = aux_head_->Forward(aux_input);
  return out;
}

int64_t EvalNetwork::NumAuxParameters() const {
  return aux_head_ ? aux_head_->NumParameters() : 0;
}

std::string EvalNetwork::ExtraRepr() const {
  const char* kind = config_.kind == EvalNetworkConfig::kPoint2d ? "point2d"
                     : config_.kind == EvalNetworkConfig::k1d    ? "1d"
                                                                 : "dense";
  return absl::StrCat("in=", config_.in_channels, ", classes=", config_.num_classes, ", C=", config_.C,
                      ", layers=", config_.layers, ", auxiliary=", config_.auxiliary, ", kind=", kind);
}

absl::StatusOr<std::shared_ptr<EvalNetwork>> MakeEvalNetwork(const Genotype& genotype,
                                                             const EvalNetworkConfig& config,
                                                             Generator& gen) {
  if (absl::Status s = ValidateGenotype(genotype); !s.ok()) return s;
  if (config.in_channels < 1 || config.num_classes < 1 || config.C < 1 || config.layers < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EvalNetwork: in_channels, num_classes, C and layers must be positive, got ", config.in_channels,
        ", ", config.num_classes, ", ", config.C, ", ", config.layers));
  }
  if (config.auxiliary && config.kind != EvalNetworkConfig::kPoint2d) {
    return absl::InvalidArgumentError("EvalNetwork: the auxiliary head exists for 2-D point networks only");
  }
  return std::make_shared<EvalNetwork>(genotype, config, gen);
}

}  // namespace nb360::nas::darts
