#include "engine/optim/sgd.h"

#include <cmath>

#include "engine/optim/fused.h"
#include "engine/parallel.h"

namespace nb360 {
namespace optim {

SGD::SGD(const std::vector<Tensor>& params, const SGDOptions& options)
    : SGD(std::vector<ParamGroupSpec>{ParamGroupSpec{params, std::nullopt, std::nullopt}}, options) {}

SGD::SGD(const std::vector<ParamGroupSpec>& groups, const SGDOptions& options)
    : Optimizer("SGD", options.lr, options.weight_decay), options_(options) {
  Validate();
  Init(groups);
}

void SGD::Validate() const {
  NB_CHECK(options_.momentum >= 0.0, "SGD: invalid momentum ", options_.momentum);
  NB_CHECK(!options_.nesterov || (options_.momentum > 0.0 && options_.dampening == 0.0),
           "SGD: nesterov momentum requires a momentum and zero dampening");
}

namespace {

// One fused pass over a parameter; the products and sums are ordered and fused (std::fma) as
// torch's CPU kernels do (add with alpha is an FMA; mul is rounded on its own).
template <class T>
void SgdKernel(T* p, const T* g, T* buf, bool first, int64_t n, double lr, double weight_decay, double momentum,
               double dampening, bool nesterov, bool maximize) {
  const T wd = static_cast<T>(weight_decay);
  const T mom = static_cast<T>(momentum);
  const T keep = static_cast<T>(1.0 - dampening);
  const T neg_lr = static_cast<T>(-lr);
  const bool has_wd = weight_decay != 0.0;
  ParallelFor(0, n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T d = maximize ? -g[i] : g[i];
      if (has_wd) d = std::fma(p[i], wd, d);
      if (buf != nullptr) {
        const T b = first ? d : std::fma(d, keep, buf[i] * mom);
        buf[i] = b;
        d = nesterov ? std::fma(b, mom, d) : b;
      }
      p[i] = std::fma(d, neg_lr, p[i]);
    }
  });
}

}  // namespace

void HostFusedSgd(DType dtype, const std::vector<FusedSlot>& slots, const SgdHyper& h) {
  for (const FusedSlot& s : slots) {
    DispatchFloating(dtype, "SGD (host fused)", [&](auto tag) {
      using T = decltype(tag);
      SgdKernel<T>(static_cast<T*>(s.param), static_cast<const T*>(s.grad), static_cast<T*>(s.buf0), s.first, s.n,
                   h.lr, h.weight_decay, h.momentum, h.dampening, h.nesterov, h.maximize);
    });
  }
}

void SGD::Update(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state) {
  Tensor* buf = nullptr;
  bool first = false;
  if (options_.momentum != 0.0) {
    buf = &state.Get("momentum_buffer");
    if (!buf->defined()) {
      *buf = Tensor::Empty(param.shape(), param.dtype(), param.device());
      first = true;
    }
  }
  DispatchFloating(param.dtype(), "SGD", [&](auto tag) {
    using T = decltype(tag);
    SgdKernel<T>(param.data<T>(), grad.data<T>(), buf != nullptr ? buf->data<T>() : nullptr, first,
                 param.numel(), group.lr, group.weight_decay, options_.momentum, options_.dampening,
                 options_.nesterov, options_.maximize);
  });
}

void SGD::UpdateOnDevice(const ParamGroup& group, const std::vector<DeviceParam>& params) {
  const SgdHyper h{group.lr,          group.weight_decay, options_.momentum,
                   options_.dampening, options_.nesterov,  options_.maximize};
  std::vector<FusedSlot> slots[2];  // float32, float64
  for (const DeviceParam& d : params) {
    FusedSlot s;
    s.param = d.param.raw_data();
    s.grad = d.grad.raw_data();
    s.n = d.param.numel();
    if (options_.momentum != 0.0) {
      Tensor& buf = d.state->Get("momentum_buffer");
      if (buf.defined() && buf.device() != d.param.device()) buf = buf.To(d.param.device());  // restored
      if (!buf.defined()) {
        buf = Tensor::Empty(d.param.shape(), d.param.dtype(), d.param.device());
        s.first = true;
      }
      s.buf0 = buf.raw_data();
    }
    NB_CHECK(IsFloating(d.param.dtype()), "SGD: parameter ", d.param.Describe(), " is not floating");
    slots[d.param.dtype() == DType::kFloat32 ? 0 : 1].push_back(s);
  }
  const FusedOptimizerKernels& k = GetFusedOptimizerKernels(params.front().param.device(), "SGD");
  if (!slots[0].empty()) k.sgd(DType::kFloat32, slots[0], h);
  if (!slots[1].empty()) k.sgd(DType::kFloat64, slots[1], h);
}

std::vector<std::pair<std::string, double>> SGD::Hyperparameters() const {
  return {{"momentum", options_.momentum},
          {"dampening", options_.dampening},
          {"nesterov", options_.nesterov ? 1.0 : 0.0},
          {"maximize", options_.maximize ? 1.0 : 0.0}};
}

bool SGD::SetHyperparameter(const std::string& name, double value) {
  if (name == "momentum") {
    options_.momentum = value;
  } else if (name == "dampening") {
    options_.dampening = value;
  } else if (name == "nesterov") {
    options_.nesterov = value != 0.0;
  } else if (name == "maximize") {
    options_.maximize = value != 0.0;
  } else {
    return false;
  }
  return true;
}

}  // namespace optim
}  // namespace nb360
