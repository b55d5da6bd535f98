// ops/loss.cc: losses as compositions of log-softmax, gather, elementwise, reduce and matmul.
#include "ops/loss.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/device_ops.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"

namespace nb360 {
namespace {

Tensor Reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::kNone: return loss;
    case Reduction::kSum: return Sum(loss);
    case Reduction::kMean: return Mean(loss);
  }
  return loss;
}

// True if any element of a floating tensor is NaN.
bool HasNaN(const Tensor& t) {
  if (!t.device().is_cpu()) return HasNaN(t.To(Device::CPU()));  // read on the host
  const Tensor c = t.Contiguous();
  return DispatchFloating(c.dtype(), "HasNaN", [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    const int64_t n = c.numel();
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(p[i])) return true;
    }
    return false;
  });
}

void CheckSameShape(const char* op, const Tensor& pred, const Tensor& target) {
  NB_CHECK(pred.defined() && target.defined(), op, ": undefined input");
  NB_CHECK(IsFloating(pred.dtype()) && IsFloating(target.dtype()), op, ": needs floating tensors, got ",
           pred.Describe(), " and ", target.Describe());
  NB_CHECK(pred.shape() == target.shape(), op, ": prediction ", pred.Describe(), " and target ",
           target.Describe(), " differ in shape");
}

// An optional tensor that must broadcast to `shape` without growing it.
void CheckBroadcastsTo(const char* op, const char* what, const Tensor& t, const Tensor& like) {
  if (!t.defined()) return;
  NB_CHECK(IsFloating(t.dtype()), op, ": ", what, " must be floating, got ", t.Describe());
  const std::string name = StrCat(op, ": ", what);
  NB_CHECK(BroadcastShapes(t.shape(), like.shape(), name.c_str()) == like.shape(), name, " ", t.Describe(),
           " does not broadcast to logits ", like.Describe());
}

// Per-row gather index and coefficients of CrossEntropy, read from the int64 target on the host.
struct TargetPlan {
  std::vector<int64_t> index;  // class per row (0 for ignored rows)
  std::vector<double> coef;    // weight[class] per row, 0 for ignored rows
  std::vector<double> keep;    // 1 per row, 0 for ignored rows
  double total = 0;            // sum of coef (the kMean divisor)
  bool any_ignored = false;
};

TargetPlan PlanTargets(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index) {
  const int64_t classes = logits.shape()[1];
  const std::vector<int64_t> t = target.ToVector<int64_t>();
  const std::vector<double> w = weight.defined() ? weight.ToVector<double>() : std::vector<double>();
  TargetPlan plan;
  plan.index.resize(t.size());
  plan.coef.resize(t.size());
  plan.keep.resize(t.size());
  for (size_t m = 0; m < t.size(); ++m) {
    if (t[m] == ignore_index) {
      plan.any_ignored = true;
      continue;  // index 0, coef 0, keep 0
    }
    NB_CHECK(t[m] >= 0 && t[m] < classes, "CrossEntropy: target value ", t[m], " (flat position ", m,
             " of target ", target.Describe(), ") is outside [0, ", classes, ") for logits ", logits.Describe(),
             " and is not ignore_index ", ignore_index);
    plan.index[m] = t[m];
    plan.coef[m] = w.empty() ? 1.0 : w[t[m]];
    plan.keep[m] = 1.0;
    plan.total += plan.coef[m];
  }
  return plan;
}

// CrossEntropy's per-row plan as tensors on the logits' device: the class index per row (M, 1)
// (0 for ignored rows), the coefficient per row (M) (weight[class], 0 when ignored; undefined when
// all are 1), the keep mask (M) (undefined when no row is ignored) and the kMean divisor.
struct RowPlan {
  Tensor index, coef, keep;
  Tensor total;             // device scalar (device targets), or undefined
  double host_total = 0.0;  // host targets
};

RowPlan HostRowPlan(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index) {
  const TargetPlan p = PlanTargets(logits, target, weight, ignore_index);
  const int64_t rows = static_cast<int64_t>(p.index.size());
  const DType dt = logits.dtype();
  const Device dev = logits.device();
  RowPlan plan;
  plan.index = Tensor::FromVector(p.index, {rows, 1}).To(dev);
  if (weight.defined() || p.any_ignored) plan.coef = Tensor::FromVector(p.coef, {rows}).To(dt).To(dev);
  if (p.any_ignored) plan.keep = Tensor::FromVector(p.keep, {rows}).To(dt).To(dev);
  plan.host_total = p.total;
  return plan;
}

// The plan from targets on a device, by device ops: no host round trip of the targets (so a captured
// CUDA graph can hold the loss). Out-of-range targets are found with one host read, except while a
// graph is being captured (then the step's targets are the caller's responsibility).
RowPlan DeviceRowPlan(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index) {
  NoGradGuard no_grad;
  const Device dev = logits.device();
  const DType dt = logits.dtype();
  const int64_t classes = logits.shape()[1];
  NB_CHECK(target.device() == dev, "CrossEntropy: target ", target.Describe(), " and logits ", logits.Describe(),
           " are on different devices");
  const Tensor t = target.Reshape({-1});
  const Tensor keep = Ne(t, Tensor::Full({}, static_cast<double>(ignore_index), DType::kInt64, dev));
  const Tensor index = Where(keep, t, Tensor::Zeros({}, DType::kInt64, dev));
  if (!CapturingOn(dev)) {
    const Tensor bad = Add(Lt(index, Tensor::Zeros({}, DType::kInt64, dev)).To(DType::kInt64),
                           Ge(index, Tensor::Full({}, static_cast<double>(classes), DType::kInt64, dev)).To(DType::kInt64));
    if (Sum(bad).item() > 0) {
      PlanTargets(logits, target.To(Device::CPU()), Tensor(), ignore_index);  // throws, naming the first
      ThrowError("CrossEntropy: a target value of ", target.Describe(), " is outside [0, ", classes, ")");
    }
  }
  RowPlan plan;
  plan.index = index.Reshape({-1, 1});
  plan.keep = keep.To(dt);
  plan.coef = weight.defined() ? Mul(IndexSelect(weight.Detach().To(dt).To(dev), 0, index), plan.keep) : plan.keep;
  plan.total = Sum(plan.coef);
  return plan;
}

// logits (N, C, d1, ...) -> rows (N * d1 * ..., C), classes last.
Tensor ClassRows(const Tensor& logits) {
  if (logits.dim() == 2) return logits;
  std::vector<int64_t> perm{0};
  for (int64_t d = 2; d < logits.dim(); ++d) perm.push_back(d);
  perm.push_back(1);
  return logits.Permute(perm).Reshape({-1, logits.shape()[1]});
}

}  // namespace

Tensor CrossEntropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                    Reduction reduction, double label_smoothing) {
  NB_CHECK(logits.defined() && target.defined(), "CrossEntropy: undefined input");
  NB_CHECK(IsFloating(logits.dtype()) && logits.dim() >= 2, "CrossEntropy: logits must be floating (N, C, ...), got ",
           logits.Describe());
  Shape expect = logits.shape();
  expect.erase(expect.begin() + 1);
  NB_CHECK(target.dtype() == DType::kInt64 && target.shape() == expect, "CrossEntropy: target ", target.Describe(),
           " does not match logits ", logits.Describe(), " (expected int64", ShapeString(expect), ")");
  const int64_t classes = logits.shape()[1];
  NB_CHECK(!weight.defined() || (IsFloating(weight.dtype()) && weight.shape() == Shape{classes}),
           "CrossEntropy: weight ", weight.defined() ? weight.Describe() : "", " must be floating (", classes,
           ") for logits ", logits.Describe());
  NB_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, "CrossEntropy: label_smoothing ", label_smoothing,
           " outside [0, 1]");
  const DType dt = logits.dtype();
  const RowPlan plan = target.device().is_cpu() ? HostRowPlan(logits, target, weight, ignore_index)
                                                : DeviceRowPlan(logits, target, weight, ignore_index);
  const int64_t rows = plan.index.size(0);

  const Tensor logp = LogSoftmax(ClassRows(logits), 1);  // (M, C)
  const Tensor picked = Gather(logp, 1, plan.index).Reshape({rows});
  // gain = -(per-row loss); the sign is folded into the final scale.
  Tensor gain = plan.coef.defined() ? Mul(picked, plan.coef) : picked;
  if (label_smoothing > 0.0) {
    // PyTorch adds eps / C * sum_c weight[c] * (-log p_c), zero on ignored rows, same divisor.
    Tensor smooth = weight.defined() ? Matmul(logp, weight.Detach().To(dt)) : Sum(logp, {1});
    if (plan.keep.defined()) smooth = Mul(smooth, plan.keep);
    gain = Add(Mul(gain, 1.0 - label_smoothing), Mul(smooth, label_smoothing / static_cast<double>(classes)));
  }
  switch (reduction) {
    case Reduction::kNone: return Neg(gain).Reshape(target.shape());
    case Reduction::kSum: return Mul(Sum(gain), -1.0);
    case Reduction::kMean:  // all ignored: 0 * inf = NaN (0 / 0 on a device)
      return plan.total.defined() ? Div(Neg(Sum(gain)), plan.total) : Mul(Sum(gain), -1.0 / plan.host_total);
  }
  return Tensor();
}

Tensor BinaryCrossEntropyWithLogits(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                   const Tensor& pos_weight, Reduction reduction) {
  CheckSameShape("BinaryCrossEntropyWithLogits", logits, target);
  CheckBroadcastsTo("BinaryCrossEntropyWithLogits", "weight", weight, logits);
  CheckBroadcastsTo("BinaryCrossEntropyWithLogits", "pos_weight", pos_weight, logits);
  // The NaN check reads the target on the host: left out while a CUDA graph is being recorded.
  NB_CHECK(CapturingOn(target.device()) || !HasNaN(target), "BinaryCrossEntropyWithLogits: target ",
           target.Describe(), " contains NaN");
  const DType dt = logits.dtype();
  const Tensor t = target.To(dt);
  const Tensor sp = Softplus(logits);  // log(1 + e^x), linear above x = 20: never overflows
  Tensor loss;
  if (!pos_weight.defined()) {
    loss = Sub(sp, Mul(t, logits));
  } else {
    const Tensor pw = pos_weight.To(dt);
    const Tensor log_weight = Add(Mul(Add(pw, -1.0), t), 1.0);  // 1 + (pw - 1) t
    loss = Sub(Mul(log_weight, sp), Mul(Mul(pw, t), logits));
  }
  if (weight.defined()) loss = Mul(loss, weight.To(dt));
  return Reduce(loss, reduction);
}

Tensor MseLoss(const Tensor& pred, const Tensor& target, Reduction reduction) {
  CheckSameShape("MseLoss", pred, target);
  return Reduce(Pow(Sub(pred, target), 2.0), reduction);
}

Tensor L1Loss(const Tensor& pred, const Tensor& target, Reduction reduction) {
  CheckSameShape("L1Loss", pred, target);
  return Reduce(Abs(Sub(pred, target)), reduction);
}

Tensor RelativeL2Loss(const Tensor& pred, const Tensor& target, Reduction reduction) {
  CheckSameShape("RelativeL2Loss", pred, target);
  NB_CHECK(pred.dim() >= 1 && pred.shape()[0] > 0, "RelativeL2Loss: needs a batch dimension, got ",
           pred.Describe());
  const int64_t n = pred.shape()[0];
  const Tensor p2 = pred.Reshape({n, -1}), t2 = target.Reshape({n, -1});
  const Tensor diff_sq = Sum(Pow(Sub(p2, t2), 2.0), {1});
  const Tensor target_sq = Sum(Pow(t2, 2.0), {1});
  return Reduce(Sqrt(Div(diff_sq, target_sq)), reduction);  // (N): ||d_n|| / ||t_n||
}

}  // namespace nb360
