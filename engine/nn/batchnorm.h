// engine/nn/batchnorm.h: BatchNorm1d and BatchNorm2d (torch.nn.BatchNorm1d/2d).
//
// Parameters "weight" (1) and "bias" (0) when affine; buffers "running_mean" (0), "running_var" (1)
// and "num_batches_tracked" (int64 scalar) when track_running_stats, in torch's order. In training
// the batch statistics normalise and the running ones are updated in place (momentum, or the
// cumulative average when momentum is unset); in eval the running statistics are used (or, without
// them, the batch statistics).
#ifndef NB360_ENGINE_NN_BATCHNORM_H_
#define NB360_ENGINE_NN_BATCHNORM_H_

#include <cstdint>
#include <optional>

#include "engine/nn/module.h"

namespace nb360 {
namespace nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;  // nullopt: cumulative moving average (torch momentum=None)
  bool affine = true;
  bool track_running_stats = true;
};

class BatchNormBase : public Module {
 public:
  Tensor Forward(const Tensor& x) override;
  // Relu(Forward(x)) as one fused op (ops/norm.h BatchNormRelu).
  Tensor ForwardRelu(const Tensor& x);
  std::string ExtraRepr() const override;
  // Running statistics back to mean 0, variance 1, count 0.
  void ResetRunningStats();

  int64_t num_features() const { return num_features_; }
  const BatchNormOptions& options() const { return options_; }

 protected:
  BatchNormBase(std::string type_name, int64_t num_features, const BatchNormOptions& options);
  virtual void CheckInput(const Tensor& x) const = 0;

 private:
  Tensor Run(const Tensor& x, bool relu);

  int64_t num_features_;
  BatchNormOptions options_;
};

// Input (N, C) or (N, C, L).
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, const BatchNormOptions& options = {})
      : BatchNormBase("BatchNorm1d", num_features, options) {}

 protected:
  void CheckInput(const Tensor& x) const override;
};

// Input (N, C, H, W).
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNormOptions& options = {})
      : BatchNormBase("BatchNorm2d", num_features, options) {}

 protected:
  void CheckInput(const Tensor& x) const override;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_BATCHNORM_H_
