// nas/darts/eg_optimizer.cc: see eg_optimizer.h.
#include "nas/darts/eg_optimizer.h"

#include <cmath>

#include "engine/check.h"
#include "engine/dtype.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace nb360::nas::darts {
namespace {

// p (rows x n, contiguous) <- p * exp(-lr * g), then each row divided by its sum.
template <class T>
void EgKernel(T* p, const T* g, int64_t rows, int64_t n, double lr) {
  const T neg_lr = static_cast<T>(-lr);
  for (int64_t r = 0; r < rows; ++r) {
    T* pr = p + r * n;
    const T* gr = g + r * n;
    T sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      pr[i] = pr[i] * std::exp(neg_lr * gr[i]);
      sum += pr[i];
    }
    for (int64_t i = 0; i < n; ++i) pr[i] = pr[i] / sum;
  }
}

}  // namespace

EG::EG(const std::vector<Tensor>& params, double lr)
    : EG(std::vector<optim::ParamGroupSpec>{optim::ParamGroupSpec{params, std::nullopt, std::nullopt}}, lr) {}

EG::EG(const std::vector<optim::ParamGroupSpec>& groups, double lr) : Optimizer("EG", lr, 0.0) {
  Init(groups);
  Validate();
}

void EG::Validate() const {
  for (const optim::ParamGroup& g : param_groups()) {
    NB_CHECK(g.weight_decay == 0.0, "EG: weight decay is not part of the update, got ", g.weight_decay);
    for (const Tensor& p : g.params) {
      NB_CHECK(p.dim() >= 1 && p.numel() > 0, "EG: parameters need a last dimension, got ", p.Describe());
    }
  }
}

void EG::Update(const optim::ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState&) {
  const int64_t n = param.shape().back();
  const int64_t rows = param.numel() / n;
  DispatchFloating(param.dtype(), "EG", [&](auto tag) {
    using T = decltype(tag);
    EgKernel<T>(param.data<T>(), grad.data<T>(), rows, n, group.lr);
  });
}

void EG::UpdateOnDevice(const optim::ParamGroup& group, const std::vector<DeviceParam>& params) {
  // Runs under the base's NoGradGuard; the tensors are tiny (14 x 8), so plain ops suffice.
  for (const DeviceParam& d : params) {
    const Tensor q = Mul(d.param, Exp(Mul(d.grad, -group.lr)));
    d.param.CopyFrom(Div(q, Sum(q, {-1}, /*keepdim=*/true)));
  }
}

}  // namespace nb360::nas::darts
