// engine/optim/optimizer.h: the Optimizer base class (param groups, per-parameter state, state
// dicts), and ClipGradNorm.
//
// Parameters come in groups, each with its own lr and weight_decay (torch's param_groups); the other
// hyperparameters (momentum, betas, ...) belong to the optimizer. Step() runs under NoGradGuard and
// updates every parameter that has a .grad in place with one fused loop per parameter (ParallelFor
// over elements), in exactly torch's operation order, so trajectories match torch.optim to float
// rounding. Parameters without a .grad are skipped (their state is not created), as in torch.
//
// StateDict() is named tensors plus named scalars, enough to resume bit-exactly:
//   tensors: "state.<i>.<buffer>"         e.g. "state.0.momentum_buffer", "state.3.exp_avg"
//   scalars: "state.<i>.step"             (optimizers that count steps per parameter)
//            "param_groups.<g>.lr", "param_groups.<g>.weight_decay", "param_groups.<g>.initial_lr",
//            "param_groups.<g>.num_params", "hyper.<name>" (momentum, beta1, ...), "step_count"
// where <i> is the parameter's position over all groups in order (torch's numbering).
//
// Example:
//   optim::SGDOptions o;
//   o.lr = 0.1;
//   o.momentum = 0.9;
//   optim::SGD opt(model.Parameters(), o);
//   loss.Backward(); opt.Step(); opt.ZeroGrad();
#ifndef NB360_ENGINE_OPTIM_OPTIMIZER_H_
#define NB360_ENGINE_OPTIM_OPTIMIZER_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/tensor.h"

namespace nb360 {
namespace optim {

// A group as stored by an optimizer.
struct ParamGroup {
  std::vector<Tensor> params;
  double lr = 0.0;
  double weight_decay = 0.0;
  // The lr the group was created with; LR schedules scale from it (torch's "initial_lr").
  double initial_lr = 0.0;
};

// A group as passed to a constructor: unset fields take the optimizer's defaults.
struct ParamGroupSpec {
  std::vector<Tensor> params;
  std::optional<double> lr;
  std::optional<double> weight_decay;
};

struct OptimizerState {
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::vector<std::pair<std::string, double>> scalars;
};

// The state as named tensors only (each scalar becomes a float64 0-d tensor under its name), for
// checkpoint formats that store tensors; and back.
std::vector<std::pair<std::string, Tensor>> StateToTensors(const OptimizerState& state);
OptimizerState StateFromTensors(const std::vector<std::pair<std::string, Tensor>>& tensors);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter with a gradient.
  void Step();
  // Drops every parameter's .grad (torch's zero_grad(set_to_none=True)).
  void ZeroGrad();

  void AddParamGroup(const ParamGroupSpec& group);
  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Sets every group's lr.
  void SetLearningRate(double lr);
  // Number of Step() calls so far (also restored by LoadStateDict).
  int64_t step_count() const { return step_count_; }
  const std::string& name() const { return name_; }

  // A snapshot (tensors are copies) of everything Step() depends on.
  OptimizerState StateDict() const;
  // Restores a StateDict() of an optimizer of the same kind over parameters of the same shapes,
  // in the same groups. Unknown or missing keys, shape mismatches and a different group layout are
  // errors, named in one message; nothing changes unless the whole load succeeds.
  absl::Status LoadStateDict(const OptimizerState& state);

 protected:
  Optimizer(std::string name, double default_lr, double default_weight_decay);

  // Per-parameter state: named buffers (created lazily by the update) and a step counter.
  struct ParamState {
    std::map<std::string, Tensor> buffers;  // references stay valid as entries are added
    double step = 0.0;
    Tensor& Get(const std::string& name) { return buffers[name]; }  // undefined until set
  };

  // Adds the groups given to the constructor (call from the derived constructor).
  void Init(const std::vector<ParamGroupSpec>& groups);
  // Updates `param` (contiguous CPU floating) in place from `grad` (contiguous, same dtype/shape).
  virtual void Update(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state) = 0;
  // A parameter of a group that lives on a device (not the CPU), with its contiguous gradient.
  struct DeviceParam {
    Tensor param, grad;
    ParamState* state;
  };
  // Updates a group's device parameters together (fused kernels, engine/optim/fused.h). The default
  // refuses with a message naming the optimizer.
  virtual void UpdateOnDevice(const ParamGroup& group, const std::vector<DeviceParam>& params);
  // The optimizer-wide hyperparameters, saved as "hyper.<name>" and restored by SetHyperparameter.
  virtual std::vector<std::pair<std::string, double>> Hyperparameters() const = 0;
  virtual bool SetHyperparameter(const std::string& name, double value) = 0;
  // Names of the buffers this optimizer may create per parameter, and whether it counts steps.
  virtual std::vector<std::string> BufferNames() const = 0;
  virtual bool CountsSteps() const { return false; }

 private:
  std::string name_;
  double default_lr_;
  double default_weight_decay_;
  std::vector<ParamGroup> groups_;
  std::vector<ParamState> state_;  // one per parameter, over all groups in order
  int64_t step_count_ = 0;
};

// torch.nn.utils.clip_grad_norm_: the norm of all gradients together (norm_type may be
// std::numeric_limits<double>::infinity()); every gradient is scaled in place by
// min(1, max_norm / (total + 1e-6)). Parameters without .grad are ignored; returns the total norm
// (0 if there are no gradients).
double ClipGradNorm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

}  // namespace optim
}  // namespace nb360

#endif  // NB360_ENGINE_OPTIM_OPTIMIZER_H_
