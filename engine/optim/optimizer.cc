#include "engine/optim/optimizer.h"

#include "ops/elementwise.h"
#include "ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engine/autograd.h"
#include "engine/parallel.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace nb360 {
namespace optim {

std::vector<std::pair<std::string, Tensor>> StateToTensors(const OptimizerState& state) {
  std::vector<std::pair<std::string, Tensor>> out = state.tensors;
  for (const auto& [name, value] : state.scalars) out.emplace_back(name, Tensor::Scalar(value, DType::kFloat64));
  return out;
}

OptimizerState StateFromTensors(const std::vector<std::pair<std::string, Tensor>>& tensors) {
  OptimizerState out;
  for (const auto& [name, t] : tensors) {
    const bool scalar = name == "step_count" || name.rfind("hyper.", 0) == 0 ||
                        name.rfind("param_groups.", 0) == 0 ||
                        (name.rfind("state.", 0) == 0 && name.size() > 5 &&
                         name.compare(name.size() - 5, 5, ".step") == 0);
    if (scalar && t.defined() && t.numel() == 1) {
      out.scalars.emplace_back(name, t.item());
    } else {
      out.tensors.emplace_back(name, t);
    }
  }
  return out;
}

Optimizer::Optimizer(std::string name, double default_lr, double default_weight_decay)
    : name_(std::move(name)), default_lr_(default_lr), default_weight_decay_(default_weight_decay) {
  NB_CHECK(default_lr >= 0.0, name_, ": invalid learning rate ", default_lr);
  NB_CHECK(default_weight_decay >= 0.0, name_, ": invalid weight_decay ", default_weight_decay);
}

void Optimizer::Init(const std::vector<ParamGroupSpec>& groups) {
  NB_CHECK(!groups.empty(), name_, ": got an empty parameter list");
  for (const auto& g : groups) AddParamGroup(g);
}

void Optimizer::AddParamGroup(const ParamGroupSpec& spec) {
  ParamGroup g;
  g.lr = spec.lr.value_or(default_lr_);
  g.weight_decay = spec.weight_decay.value_or(default_weight_decay_);
  g.initial_lr = g.lr;
  NB_CHECK(g.lr >= 0.0, name_, ": invalid learning rate ", g.lr);
  NB_CHECK(g.weight_decay >= 0.0, name_, ": invalid weight_decay ", g.weight_decay);
  for (const Tensor& p : spec.params) {
    NB_CHECK(p.defined() && p.is_leaf() && IsFloating(p.dtype()), name_,
             ": parameters must be defined floating leaf tensors, got ",
             p.defined() ? p.Describe() : std::string("undefined"));
    NB_CHECK(p.is_contiguous(), name_, ": parameters must be contiguous, got ", p.Describe());
    for (const auto& other : groups_) {
      for (const Tensor& q : other.params) {
        NB_CHECK(!q.SameImpl(p), name_, ": a parameter appears in more than one group");
      }
    }
    for (const Tensor& q : g.params) NB_CHECK(!q.SameImpl(p), name_, ": a parameter appears twice in a group");
    g.params.push_back(p);
    state_.emplace_back();
  }
  groups_.push_back(std::move(g));
}

void Optimizer::SetLearningRate(double lr) {
  for (auto& g : groups_) g.lr = lr;
}

void Optimizer::Step() {
  NoGradGuard no_grad;
  size_t index = 0;
  for (const ParamGroup& group : groups_) {
    std::vector<DeviceParam> on_device;
    for (const Tensor& p : group.params) {
      ParamState& st = state_[index++];
      Tensor g = p.grad();
      if (!g.defined()) continue;
      NB_CHECK(g.shape() == p.shape(), name_, ": gradient ", g.Describe(), " does not match parameter ",
               p.Describe());
      NB_CHECK(g.device() == p.device(), name_, ": gradient on ", g.device().ToString(), ", parameter on ",
               p.device().ToString());
      if (g.dtype() != p.dtype()) g = g.To(p.dtype());
      g = g.Contiguous();
      if (!p.device().is_cpu()) {
        on_device.push_back({p, g, &st});
        continue;
      }
      Update(group, p, g, st);
    }
    if (!on_device.empty()) UpdateOnDevice(group, on_device);
  }
  ++step_count_;
}

void Optimizer::UpdateOnDevice(const ParamGroup&, const std::vector<DeviceParam>& params) {
  ThrowError(name_, ": no update for parameters on ", params.front().param.device().ToString());
}

void Optimizer::ZeroGrad() {
  for (const auto& g : groups_) {
    for (const Tensor& p : g.params) p.ZeroGrad();
  }
}

OptimizerState Optimizer::StateDict() const {
  OptimizerState out;
  const std::vector<std::string> buffer_names = BufferNames();
  for (size_t i = 0; i < state_.size(); ++i) {
    const std::string prefix = StrCat("state.", i, ".");
    for (const std::string& name : buffer_names) {
      auto it = state_[i].buffers.find(name);
      if (it != state_[i].buffers.end() && it->second.defined()) {
        out.tensors.emplace_back(prefix + name, it->second.Detach().Clone());
      }
    }
    if (CountsSteps() && state_[i].step != 0.0) out.scalars.emplace_back(prefix + "step", state_[i].step);
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = StrCat("param_groups.", g, ".");
    out.scalars.emplace_back(prefix + "lr", groups_[g].lr);
    out.scalars.emplace_back(prefix + "weight_decay", groups_[g].weight_decay);
    out.scalars.emplace_back(prefix + "initial_lr", groups_[g].initial_lr);
    out.scalars.emplace_back(prefix + "num_params", static_cast<double>(groups_[g].params.size()));
  }
  for (const auto& [name, v] : Hyperparameters()) out.scalars.emplace_back("hyper." + name, v);
  out.scalars.emplace_back("step_count", static_cast<double>(step_count_));
  return out;
}

namespace {

// Splits "state.<i>.<rest>" into (i, rest); false if the key is not of that form.
bool ParseIndexedKey(const std::string& key, const std::string& head, size_t* index, std::string* rest) {
  if (key.rfind(head, 0) != 0) return false;
  const size_t dot = key.find('.', head.size());
  if (dot == std::string::npos || dot == head.size()) return false;
  const std::string digits = key.substr(head.size(), dot - head.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  *index = std::stoul(digits);
  *rest = key.substr(dot + 1);
  return true;
}

}  // namespace

absl::Status Optimizer::LoadStateDict(const OptimizerState& state) {
  std::vector<std::string> problems;
  std::map<std::string, double> scalars;
  for (const auto& [name, v] : state.scalars) {
    if (!scalars.emplace(name, v).second) problems.push_back("duplicate key \"" + name + "\"");
  }
  std::set<std::string> used;
  auto take = [&](const std::string& key) -> std::optional<double> {
    auto it = scalars.find(key);
    if (it == scalars.end()) {
      problems.push_back("missing key \"" + key + "\"");
      return std::nullopt;
    }
    used.insert(key);
    return it->second;
  };

  // Group layout and per-group scalars.
  std::vector<ParamGroup> groups = groups_;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string prefix = StrCat("param_groups.", g, ".");
    if (auto n = take(prefix + "num_params"); n && *n != static_cast<double>(groups[g].params.size())) {
      problems.push_back(StrCat("param group ", g, " has ", groups[g].params.size(),
                                " parameters, the state dict ", *n));
    }
    if (auto v = take(prefix + "lr")) groups[g].lr = *v;
    if (auto v = take(prefix + "weight_decay")) groups[g].weight_decay = *v;
    if (auto v = take(prefix + "initial_lr")) groups[g].initial_lr = *v;
  }
  std::vector<std::pair<std::string, double>> hyper;
  for (const auto& [name, unused] : Hyperparameters()) {
    if (auto v = take("hyper." + name)) hyper.emplace_back(name, *v);
  }
  std::optional<double> step_count = take("step_count");

  // Per-parameter state.
  std::vector<const Tensor*> params;
  for (const auto& g : groups_) {
    for (const Tensor& p : g.params) params.push_back(&p);
  }
  std::vector<ParamState> new_state(state_.size());
  const std::vector<std::string> buffer_names = BufferNames();
  for (const auto& [name, v] : state.scalars) {
    size_t i;
    std::string rest;
    if (used.count(name)) continue;
    if (CountsSteps() && ParseIndexedKey(name, "state.", &i, &rest) && rest == "step" && i < params.size()) {
      new_state[i].step = v;
      continue;
    }
    problems.push_back("unexpected key \"" + name + "\"");
  }
  std::set<std::string> seen_tensors;
  for (const auto& [name, t] : state.tensors) {
    if (!seen_tensors.insert(name).second) {
      problems.push_back("duplicate key \"" + name + "\"");
      continue;
    }
    size_t i;
    std::string rest;
    if (!ParseIndexedKey(name, "state.", &i, &rest) || i >= params.size() ||
        std::find(buffer_names.begin(), buffer_names.end(), rest) == buffer_names.end()) {
      problems.push_back("unexpected key \"" + name + "\"");
      continue;
    }
    const Tensor& p = *params[i];
    if (!t.defined() || t.shape() != p.shape() || t.dtype() != p.dtype()) {
      problems.push_back(StrCat("\"", name, "\" is ", t.defined() ? t.Describe() : std::string("undefined"),
                                ", parameter ", i, " is ", p.Describe()));
      continue;
    }
    // The state lives where its parameter does (checkpoints hold host tensors).
    new_state[i].Get(rest) = t.device() == p.device() ? t.Detach().Clone() : t.Detach().To(p.device());
  }
  if (!problems.empty()) {
    std::string msg = name_ + ": cannot load state dict: ";
    for (size_t k = 0; k < problems.size(); ++k) msg += (k ? "; " : "") + problems[k];
    return absl::InvalidArgumentError(msg);
  }
  for (const auto& [name, v] : hyper) {
    if (!SetHyperparameter(name, v)) {
      return absl::InvalidArgumentError(name_ + ": invalid hyperparameter \"" + name + "\"");
    }
  }
  groups_ = std::move(groups);
  state_ = std::move(new_state);
  step_count_ = static_cast<int64_t>(*step_count);
  return absl::OkStatus();
}

namespace {

// ClipGradNorm for gradients on a device: the same arithmetic as the CPU path (each gradient's
// norm accumulated in float64, rounded to the gradient's dtype, then the norm of those) with engine
// ops on the device; one host read for the total, then the gradients are scaled in place.
double ClipOnDevice(const std::vector<Tensor>& grads, double max_norm, double norm_type) {
  const bool inf = std::isinf(norm_type);
  Tensor total;  // float64 scalar on the device
  for (const Tensor& g : grads) {
    NB_CHECK(g.device() == grads.front().device(), "ClipGradNorm: gradients on different devices: ",
             grads.front().Describe(), " and ", g.Describe());
    const Tensor a = Abs(g.To(DType::kFloat64));
    Tensor norm;
    if (inf) {
      norm = g.numel() == 0 ? Tensor::Zeros({}, DType::kFloat64, g.device()) : Max(a);
    } else if (norm_type == 2.0) {
      norm = Sqrt(Sum(Mul(a, a)));
    } else if (norm_type == 1.0) {
      norm = Sum(a);
    } else {
      norm = Pow(Sum(Pow(a, norm_type)), 1.0 / norm_type);
    }
    norm = norm.To(g.dtype()).To(DType::kFloat64);  // as torch.norm returns it
    const Tensor term = inf ? norm : norm_type == 2.0 ? Mul(norm, norm) : norm_type == 1.0 ? norm : Pow(norm, norm_type);
    total = !total.defined() ? term : inf ? Maximum(total, term) : Add(total, term);
  }
  double t = total.item();
  if (!inf) {
    if (norm_type == 2.0) {
      t = std::sqrt(t);
    } else if (norm_type != 1.0) {
      t = std::pow(t, 1.0 / norm_type);
    }
  }
  const double coef = std::min(1.0, max_norm / (t + 1e-6));
  for (const Tensor& g : grads) g.CopyFrom(Mul(g, coef));
  return t;
}

}  // namespace

double ClipGradNorm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& p : params) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  const bool inf = std::isinf(norm_type);
  NB_CHECK(inf || norm_type > 0.0, "ClipGradNorm: norm_type must be positive or infinity, got ", norm_type);
  if (!grads.front().device().is_cpu()) return ClipOnDevice(grads, max_norm, norm_type);
  // Each gradient's norm (accumulated in double, rounded to the gradient's dtype as torch.norm
  // returns it), then the norm of those norms.
  double total = 0.0;
  for (const Tensor& g0 : grads) {
    NB_CHECK(g0.device().is_cpu(), "ClipGradNorm: CPU gradients only, got ", g0.Describe());
    const Tensor g = g0.Contiguous();
    double norm = 0.0;
    DispatchFloating(g.dtype(), "ClipGradNorm", [&](auto tag) {
      using T = decltype(tag);
      const T* d = g.data<T>();
      const int64_t n = g.numel();
      double acc = 0.0;
      if (inf) {
        for (int64_t i = 0; i < n; ++i) acc = std::max(acc, std::abs(static_cast<double>(d[i])));
        norm = static_cast<double>(static_cast<T>(acc));
      } else {
        if (norm_type == 2.0) {
          for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(d[i]) * d[i];
          acc = std::sqrt(acc);
        } else if (norm_type == 1.0) {
          for (int64_t i = 0; i < n; ++i) acc += std::abs(static_cast<double>(d[i]));
        } else {
          for (int64_t i = 0; i < n; ++i) acc += std::pow(std::abs(static_cast<double>(d[i])), norm_type);
          acc = std::pow(acc, 1.0 / norm_type);
        }
        norm = static_cast<double>(static_cast<T>(acc));
      }
    });
    if (inf) {
      total = std::max(total, norm);
    } else if (norm_type == 2.0) {
      total += norm * norm;
    } else if (norm_type == 1.0) {
      total += norm;
    } else {
      total += std::pow(norm, norm_type);
    }
  }
  if (!inf) {
    if (norm_type == 2.0) {
      total = std::sqrt(total);
    } else if (norm_type != 1.0) {
      total = std::pow(total, 1.0 / norm_type);
    }
  }
  const double coef = std::min(1.0, max_norm / (total + 1e-6));
  for (const Tensor& g : grads) {
    NB_CHECK(g.is_contiguous(), "ClipGradNorm: gradients must be contiguous, got ", g.Describe());
    DispatchFloating(g.dtype(), "ClipGradNorm", [&](auto tag) {
      using T = decltype(tag);
      T* d = g.data<T>();
      const T c = static_cast<T>(coef);
      ParallelFor(0, g.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) d[i] *= c;
      });
    });
  }
  return total;
}

}  // namespace optim
}  // namespace nb360
