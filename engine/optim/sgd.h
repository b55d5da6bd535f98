// engine/optim/sgd.h: stochastic gradient descent, exactly torch.optim.SGD's update.
//
// Per parameter, in torch's order (d = grad, or -grad with maximize):
//   d = d + weight_decay * p                       (if weight_decay != 0)
//   buf = d on the first step, else momentum * buf + (1 - dampening) * d   (if momentum != 0)
//   d = nesterov ? d + momentum * buf : buf        (if momentum != 0)
//   p = p - lr * d
// State per parameter: "momentum_buffer" (when momentum != 0).
#ifndef NB360_ENGINE_OPTIM_SGD_H_
#define NB360_ENGINE_OPTIM_SGD_H_

#include <vector>

#include "engine/optim/optimizer.h"

namespace nb360 {
namespace optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening == 0
  bool maximize = false;
};

class SGD : public Optimizer {
 public:
  SGD(const std::vector<Tensor>& params, const SGDOptions& options);
  SGD(const std::vector<ParamGroupSpec>& groups, const SGDOptions& options);

  const SGDOptions& options() const { return options_; }

 protected:
  void Update(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state) override;
  void UpdateOnDevice(const ParamGroup& group, const std::vector<DeviceParam>& params) override;
  std::vector<std::pair<std::string, double>> Hyperparameters() const override;
  bool SetHyperparameter(const std::string& name, double value) override;
  std::vector<std::string> BufferNames() const override { return {"momentum_buffer"}; }

 private:
  void Validate() const;
  SGDOptions options_;
};

}  // namespace optim
}  // namespace nb360

#endif  // NB360_ENGINE_OPTIM_SGD_H_
