// ops/weighted_sum.cc: front-end of WeightedSum (checks, kernel lookup, autograd).
#include "ops/weighted_sum.h"

#include "engine/autograd.h"
#include "ops/registry.h"

namespace nb360 {

Tensor WeightedSum(const std::vector<Tensor>& xs, const Tensor& w) {
  NB_CHECK(!xs.empty(), "WeightedSum: no inputs");
  NB_CHECK(w.defined() && w.dim() == 1 && w.shape()[0] == static_cast<int64_t>(xs.size()),
           "WeightedSum: weights must be (", xs.size(), "), got ", w.defined() ? w.Describe() : "undefined");
  const Tensor& x0 = xs.front();
  NB_CHECK(x0.defined() && IsFloating(x0.dtype()), "WeightedSum: needs floating inputs, got ",
           x0.defined() ? x0.Describe() : "undefined");
  for (size_t k = 0; k < xs.size(); ++k) {
    NB_CHECK(xs[k].defined() && xs[k].shape() == x0.shape() && xs[k].dtype() == x0.dtype() &&
                 xs[k].device() == x0.device(),
             "WeightedSum: input ", k, " ", xs[k].defined() ? xs[k].Describe() : "undefined",
             " does not match input 0 ", x0.Describe());
  }
  NB_CHECK(w.dtype() == x0.dtype() && w.device() == x0.device(), "WeightedSum: weights ", w.Describe(),
           " do not match the inputs ", x0.Describe());
  std::vector<Tensor> in;
  in.reserve(xs.size());
  for (const Tensor& x : xs) in.push_back(x.Detach().Contiguous());
  const Tensor wc = w.Detach().Contiguous();
  Tensor y = Tensor::Empty(x0.shape(), x0.dtype(), x0.device());
  const WeightedSumKernels& k = GetKernels<WeightedSumKernels>(OpKind::kWeightedSum, x0);
  k.forward(in, wc, y);
  std::vector<Tensor> inputs = xs;
  inputs.push_back(w);
  if (NeedsGrad(inputs)) {
    std::vector<bool> want(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) want[i] = xs[i].requires_grad();
    const bool want_w = w.requires_grad();
    RecordOp("weighted_sum", inputs, y, [in, wc, want, want_w, &k](const Tensor& g) {
      const Tensor gc = g.To(wc.dtype()).Contiguous();
      std::vector<Tensor> gxs(in.size());
      for (size_t i = 0; i < in.size(); ++i) {
        if (want[i]) gxs[i] = Tensor::Empty(gc.shape(), gc.dtype(), gc.device());
      }
      Tensor gw = want_w ? Tensor::Empty(wc.shape(), wc.dtype(), wc.device()) : Tensor();
      k.backward(in, wc, gc, gxs, gw);
      Grads grads = gxs;
      grads.push_back(gw);
      return grads;
    });
  }
  return y;
}

}  // namespace nb360
