#include "engine/nn/batchnorm.h"

#include "engine/autograd.h"
#include "engine/nn/init.h"
#include "ops/elementwise.h"
#include "ops/norm.h"

namespace nb360 {
namespace nn {

BatchNormBase::BatchNormBase(std::string type_name, int64_t num_features, const BatchNormOptions& options)
    : Module(std::move(type_name)), num_features_(num_features), options_(options) {
  NB_CHECK(num_features > 0, this->type_name(), ": num_features must be positive, got ", num_features);
  if (options.affine) {
    RegisterParameter("weight", Tensor::Empty({num_features}));
    RegisterParameter("bias", Tensor::Empty({num_features}));
    init::DefaultNorm(Parameter("weight"), Parameter("bias"));
  }
  if (options.track_running_stats) {
    RegisterBuffer("running_mean", Tensor::Zeros({num_features}));
    RegisterBuffer("running_var", Tensor::Ones({num_features}));
    RegisterBuffer("num_batches_tracked", Tensor::Zeros({}, DType::kInt64));
  }
}

void BatchNormBase::ResetRunningStats() {
  if (!options_.track_running_stats) return;
  Buffer("running_mean").Fill(0.0);
  Buffer("running_var").Fill(1.0);
  Buffer("num_batches_tracked").Fill(0.0);
}

Tensor BatchNormBase::Forward(const Tensor& x) { return Run(x, false); }

Tensor BatchNormBase::ForwardRelu(const Tensor& x) { return Run(x, true); }

Tensor BatchNormBase::Run(const Tensor& x, bool relu) {
  CheckInput(x);
  NB_CHECK(x.size(1) == num_features_, type_name(), ": expected ", num_features_, " channels, got input ",
           x.Describe());
  const bool track = options_.track_running_stats;
  double factor = options_.momentum.value_or(0.0);
  if (is_training() && track) {
    Tensor count = Buffer("num_batches_tracked");
    if (count.device().is_cpu()) {
      int64_t* c = count.data<int64_t>();
      *c += 1;
      if (!options_.momentum.has_value()) factor = 1.0 / static_cast<double>(*c);
    } else {
      // On a device: incremented there (no host round trip, and a captured CUDA graph replays it);
      // only the cumulative average (momentum None) reads the count back.
      NoGradGuard no_grad;
      count.CopyFrom(Add(count, Tensor::Ones({}, DType::kInt64, count.device())));
      if (!options_.momentum.has_value()) factor = 1.0 / count.item();
    }
  }
  const Tensor weight = options_.affine ? Parameter("weight") : Tensor();
  const Tensor bias = options_.affine ? Parameter("bias") : Tensor();
  const Tensor running_mean = track ? Buffer("running_mean") : Tensor();
  const Tensor running_var = track ? Buffer("running_var") : Tensor();
  const bool use_batch_stats = is_training() || !track;
  return relu ? BatchNormRelu(x, weight, bias, running_mean, running_var, use_batch_stats, factor, options_.eps)
              : BatchNorm(x, weight, bias, running_mean, running_var, use_batch_stats, factor, options_.eps);
}

std::string BatchNormBase::ExtraRepr() const {
  return StrCat(num_features_, ", eps=", options_.eps, ", momentum=",
                options_.momentum.has_value() ? StrCat(*options_.momentum) : std::string("None"),
                ", affine=", options_.affine ? "true" : "false",
                ", track_running_stats=", options_.track_running_stats ? "true" : "false");
}

void BatchNorm1d::CheckInput(const Tensor& x) const {
  NB_CHECK(x.dim() == 2 || x.dim() == 3, "BatchNorm1d: expected 2-d or 3-d input, got ", x.Describe());
}

void BatchNorm2d::CheckInput(const Tensor& x) const {
  NB_CHECK(x.dim() == 4, "BatchNorm2d: expected 4-d input, got ", x.Describe());
}

}  // namespace nn
}  // namespace nb360
