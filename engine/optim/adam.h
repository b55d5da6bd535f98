// engine/optim/adam.h: Adam (L2 weight decay coupled into the gradient, torch.optim.Adam) and
// AdamW (decoupled weight decay, torch.optim.AdamW), with optional AMSGrad.
//
// Per parameter, in torch's order (g = grad, or -grad with maximize; t = this parameter's step):
//   AdamW: p = p * (1 - lr * weight_decay)         Adam: g = g + weight_decay * p
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   vmax = max(vmax, v)                            (amsgrad; then used in place of v)
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// State per parameter: "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad) and the step count.
#ifndef NB360_ENGINE_OPTIM_ADAM_H_
#define NB360_ENGINE_OPTIM_ADAM_H_

#include <vector>

#include "engine/optim/optimizer.h"

namespace nb360 {
namespace optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  bool maximize = false;
};

// The same fields; torch.optim.AdamW's default weight_decay is 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

class Adam : public Optimizer {
 public:
  Adam(const std::vector<Tensor>& params, const AdamOptions& options);
  Adam(const std::vector<ParamGroupSpec>& groups, const AdamOptions& options);

  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, const std::vector<ParamGroupSpec>& groups, const AdamOptions& options, bool decoupled);
  void Update(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state) override;
  void UpdateOnDevice(const ParamGroup& group, const std::vector<DeviceParam>& params) override;
  std::vector<std::pair<std::string, double>> Hyperparameters() const override;
  bool SetHyperparameter(const std::string& name, double value) override;
  std::vector<std::string> BufferNames() const override { return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
  bool CountsSteps() const override { return true; }

 private:
  AdamOptions options_;
  bool decoupled_;
};

class AdamW : public Adam {
 public:
  AdamW(const std::vector<Tensor>& params, const AdamWOptions& options);
  AdamW(const std::vector<ParamGroupSpec>& groups, const AdamWOptions& options);
};

}  // namespace optim
}  // namespace nb360

#endif  // NB360_ENGINE_OPTIM_ADAM_H_
