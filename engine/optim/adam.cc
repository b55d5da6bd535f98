#include "engine/optim/adam.h"

#include <algorithm>
#include <cmath>

#include "engine/optim/fused.h"
#include "engine/parallel.h"

namespace nb360 {
namespace optim {

namespace {

AdamOptions FromAdamW(const AdamWOptions& o) {
  AdamOptions a;
  a.lr = o.lr;
  a.beta1 = o.beta1;
  a.beta2 = o.beta2;
  a.eps = o.eps;
  a.weight_decay = o.weight_decay;
  a.amsgrad = o.amsgrad;
  a.maximize = o.maximize;
  return a;
}

std::vector<ParamGroupSpec> OneGroup(const std::vector<Tensor>& params) {
  return {ParamGroupSpec{params, std::nullopt, std::nullopt}};
}

// One fused pass over a parameter, ordered as torch's single-tensor Adam/AdamW on the CPU:
// add-with-alpha is an FMA, addcmul(v, t1, t2, s) is fma(s * t1, t2, v), addcdiv(p, t1, t2, s) is
// p + (s * t1) / t2, and mul/div/sqrt round on their own (checked bit for bit against torch 1.13).
template <class T>
void AdamKernel(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, double lr, double weight_decay, double beta1,
                double beta2, double eps, double step, bool decoupled, bool maximize) {
  const T b1 = static_cast<T>(beta1);
  const T one_minus_b1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(beta2);
  const T one_minus_b2 = static_cast<T>(1.0 - beta2);
  const T e = static_cast<T>(eps);
  const double bias_correction1 = 1.0 - std::pow(beta1, step);
  const double bias_correction2 = 1.0 - std::pow(beta2, step);
  const T neg_step_size = static_cast<T>(-(lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const bool coupled_wd = !decoupled && weight_decay != 0.0;
  const T wd = static_cast<T>(weight_decay);
  const T decay = static_cast<T>(1.0 - lr * weight_decay);
  ParallelFor(0, n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T gi = maximize ? -g[i] : g[i];
      T pi = p[i];
      if (decoupled) pi = pi * decay;
      if (coupled_wd) gi = std::fma(pi, wd, gi);
      const T mi = std::fma(gi, one_minus_b1, m[i] * b1);
      const T vi = std::fma(one_minus_b2 * gi, gi, v[i] * b2);
      m[i] = mi;
      v[i] = vi;
      T vv = vi;
      if (vmax != nullptr) {
        vv = std::max(vmax[i], vi);
        vmax[i] = vv;
      }
      const T denom = std::sqrt(vv) / bc2_sqrt + e;
      p[i] = pi + (neg_step_size * mi) / denom;
    }
  });
}

}  // namespace

void HostFusedAdam(DType dtype, const std::vector<FusedSlot>& slots, const AdamHyper& h) {
  for (const FusedSlot& s : slots) {
    DispatchFloating(dtype, "Adam (host fused)", [&](auto tag) {
      using T = decltype(tag);
      AdamKernel<T>(static_cast<T*>(s.param), static_cast<const T*>(s.grad), static_cast<T*>(s.buf0),
                    static_cast<T*>(s.buf1), static_cast<T*>(s.buf2), s.n, h.lr, h.weight_decay, h.beta1, h.beta2,
                    h.eps, s.step, h.decoupled, h.maximize);
    });
  }
}

Adam::Adam(const std::vector<Tensor>& params, const AdamOptions& options) : Adam(OneGroup(params), options) {}

Adam::Adam(const std::vector<ParamGroupSpec>& groups, const AdamOptions& options)
    : Adam("Adam", groups, options, /*decoupled=*/false) {}

Adam::Adam(std::string name, const std::vector<ParamGroupSpec>& groups, const AdamOptions& options, bool decoupled)
    : Optimizer(std::move(name), options.lr, options.weight_decay), options_(options), decoupled_(decoupled) {
  NB_CHECK(options.eps >= 0.0, this->name(), ": invalid eps ", options.eps);
  NB_CHECK(options.beta1 >= 0.0 && options.beta1 < 1.0, this->name(), ": invalid beta1 ", options.beta1);
  NB_CHECK(options.beta2 >= 0.0 && options.beta2 < 1.0, this->name(), ": invalid beta2 ", options.beta2);
  Init(groups);
}

AdamW::AdamW(const std::vector<Tensor>& params, const AdamWOptions& options)
    : Adam("AdamW", OneGroup(params), FromAdamW(options), /*decoupled=*/true) {}

AdamW::AdamW(const std::vector<ParamGroupSpec>& groups, const AdamWOptions& options)
    : Adam("AdamW", groups, FromAdamW(options), /*decoupled=*/true) {}

void Adam::Update(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state) {
  Tensor& m = state.Get("exp_avg");
  Tensor& v = state.Get("exp_avg_sq");
  if (!m.defined()) m = Tensor::Zeros(param.shape(), param.dtype(), param.device());
  if (!v.defined()) v = Tensor::Zeros(param.shape(), param.dtype(), param.device());
  Tensor* vmax = nullptr;
  if (options_.amsgrad) {
    vmax = &state.Get("max_exp_avg_sq");
    if (!vmax->defined()) *vmax = Tensor::Zeros(param.shape(), param.dtype(), param.device());
  }
  state.step += 1.0;
  DispatchFloating(param.dtype(), name().c_str(), [&](auto tag) {
    using T = decltype(tag);
    AdamKernel<T>(param.data<T>(), grad.data<T>(), m.data<T>(), v.data<T>(),
                  vmax != nullptr ? vmax->data<T>() : nullptr, param.numel(), group.lr, group.weight_decay,
                  options_.beta1, options_.beta2, options_.eps, state.step, decoupled_, options_.maximize);
  });
}

void Adam::UpdateOnDevice(const ParamGroup& group, const std::vector<DeviceParam>& params) {
  const AdamHyper h{group.lr, group.weight_decay, options_.beta1, options_.beta2,
                    options_.eps, decoupled_,     options_.maximize};
  std::vector<FusedSlot> slots[2];  // float32, float64
  for (const DeviceParam& d : params) {
    const Tensor& p = d.param;
    NB_CHECK(IsFloating(p.dtype()), name(), ": parameter ", p.Describe(), " is not floating");
    Tensor& m = d.state->Get("exp_avg");
    Tensor& v = d.state->Get("exp_avg_sq");
    // Buffers restored from a checkpoint arrive on the CPU.
    if (m.defined() && m.device() != p.device()) m = m.To(p.device());
    if (v.defined() && v.device() != p.device()) v = v.To(p.device());
    if (!m.defined()) m = Tensor::Zeros(p.shape(), p.dtype(), p.device());
    if (!v.defined()) v = Tensor::Zeros(p.shape(), p.dtype(), p.device());
    FusedSlot s;
    if (options_.amsgrad) {
      Tensor& vmax = d.state->Get("max_exp_avg_sq");
      if (vmax.defined() && vmax.device() != p.device()) vmax = vmax.To(p.device());
      if (!vmax.defined()) vmax = Tensor::Zeros(p.shape(), p.dtype(), p.device());
      s.buf2 = vmax.raw_data();
    }
    d.state->step += 1.0;
    s.param = p.raw_data();
    s.grad = d.grad.raw_data();
    s.buf0 = m.raw_data();
    s.buf1 = v.raw_data();
    s.n = p.numel();
    s.step = d.state->step;
    slots[p.dtype() == DType::kFloat32 ? 0 : 1].push_back(s);
  }
  const FusedOptimizerKernels& k = GetFusedOptimizerKernels(params.front().param.device(), name().c_str());
  if (!slots[0].empty()) k.adam(DType::kFloat32, slots[0], h);
  if (!slots[1].empty()) k.adam(DType::kFloat64, slots[1], h);
}

std::vector<std::pair<std::string, double>> Adam::Hyperparameters() const {
  return {{"beta1", options_.beta1},
          {"beta2", options_.beta2},
          {"eps", options_.eps},
          {"amsgrad", options_.amsgrad ? 1.0 : 0.0},
          {"maximize", options_.maximize ? 1.0 : 0.0}};
}

bool Adam::SetHyperparameter(const std::string& name, double value) {
  if (name == "beta1") {
    options_.beta1 = value;
  } else if (name == "beta2") {
    options_.beta2 = value;
  } else if (name == "eps") {
    options_.eps = value;
  } else if (name == "amsgrad") {
    options_.amsgrad = value != 0.0;
  } else if (name == "maximize") {
    options_.maximize = value != 0.0;
  } else {
    return false;
  }
  return true;
}

}  // namespace optim
}  // namespace nb360
