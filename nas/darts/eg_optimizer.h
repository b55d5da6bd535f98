// nas/darts/eg_optimizer.h: GAEA's exponentiated-gradient (mirror descent) optimizer for the
// architecture tensors (spec nas_darts_densenas.md §A.5).
//
// For each parameter p with a gradient g (tensors without a .grad are skipped, as in torch):
//   p <- p * exp(-lr * g)
//   p <- p / sum of p over the last dimension
// so every row of an alpha (14, 8) and the whole of a beta (14) become distributions (all entries
// > 0 as long as the inputs are). No momentum, weight decay or clipping; lr 0.1 in every search
// YAML. The first step from all-ones tensors gives uniform rows (1/8) and a uniform beta (1/14) up
// to the gradient's effect.
//
// The class is an optim::Optimizer, so Step(), ZeroGrad(), SetLearningRate() and the checkpoint
// format (StateDict()/LoadStateDict(), optim::StateToTensors) are the engine's: the state is the
// group lr/weight_decay, the parameter count and step_count (EG keeps no per-parameter buffers and
// has no hyperparameters besides lr). CPU parameters use a fused loop (exp and the row sum in the
// parameter's dtype, rows summed left to right); device parameters use the tensor ops.
//
// Example:
//   EG arch_opt(net.ArchParameters());            // lr 0.1
//   net.ZeroArchGrad(); loss.Backward(); arch_opt.Step();
#ifndef NB360_NAS_DARTS_EG_OPTIMIZER_H_
#define NB360_NAS_DARTS_EG_OPTIMIZER_H_

#include <string>
#include <utility>
#include <vector>

#include "engine/optim/optimizer.h"
#include "engine/tensor.h"

namespace nb360::nas::darts {

class EG : public optim::Optimizer {
 public:
  // Parameters must be floating CPU leaves with at least one dimension (the optimizer base checks
  // the rest); lr >= 0. Weight decay is refused (EG has none).
  explicit EG(const std::vector<Tensor>& params, double lr = 0.1);
  EG(const std::vector<optim::ParamGroupSpec>& groups, double lr = 0.1);

 protected:
  void Update(const optim::ParamGroup& group, const Tensor& param, const Tensor& grad,
              ParamState& state) override;
  void UpdateOnDevice(const optim::ParamGroup& group, const std::vector<DeviceParam>& params) override;
  std::vector<std::pair<std::string, double>> Hyperparameters() const override { return {}; }
  bool SetHyperparameter(const std::string&, double) override { return false; }
  std::vector<std::string> BufferNames() const override { return {}; }

 private:
  void Validate() const;
};

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_EG_OPTIMIZER_H_
