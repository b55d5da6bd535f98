// ops/weighted_sum.h: y = sum_k w[k] * x_k as one primitive (the DARTS mixed op and node sums).
//
// A chain of Mul-by-scalar and Add ops makes 2K - 1 passes over the activations forward and, with
// the scalar gradients' reductions, about 3K backward; this op makes one forward pass (reading the
// K inputs) and one backward pass (writing the K input gradients and the K dot products at once).
// The dot products are summed per fixed-size block in double and the blocks added in order, so the
// weights' gradient does not depend on the thread count.
#ifndef NB360_OPS_WEIGHTED_SUM_H_
#define NB360_OPS_WEIGHTED_SUM_H_

#include <vector>

#include "engine/tensor.h"

namespace nb360 {

struct WeightedSumKernels {
  // y = sum_k w[k] * xs[k]; xs (K tensors of y's shape) and y contiguous; w (K) contiguous, on the
  // tensors' device, same dtype.
  void (*forward)(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& y);
  // gxs[k] = w[k] * g where gxs[k] is defined; gw[k] = sum(g * xs[k]) when gw is defined. g, xs
  // contiguous.
  void (*backward)(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& g,
                   const std::vector<Tensor>& gxs, const Tensor& gw);
};

namespace cpu {
extern const WeightedSumKernels kWeightedSum;
}
namespace cuda {
extern const WeightedSumKernels kWeightedSum;
}

// xs: K >= 1 floating tensors of one shape, dtype and device; w (K) of the same dtype and device.
// Returns sum_k w[k] * xs[k] (xs' shape), differentiable in every x_k and in w.
Tensor WeightedSum(const std::vector<Tensor>& xs, const Tensor& w);

}  // namespace nb360

#endif  // NB360_OPS_WEIGHTED_SUM_H_
