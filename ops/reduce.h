// ops/reduce.h: reductions over dimensions (sum, mean, max/min, argmax/argmin, var).
//
// dims may be negative; an empty dims list means "all dimensions". Float sums accumulate in double.
#ifndef NB360_OPS_REDUCE_H_
#define NB360_OPS_REDUCE_H_

#include <vector>

#include "engine/reduce_kernel.h"
#include "engine/tensor.h"

namespace nb360 {

struct ReduceKernels {
  // out (contiguous, src's shape with reduced dims dropped or 1) = reduction of src over mask.
  void (*forward)(const Tensor& src, const std::vector<bool>& mask, ReduceKind kind, const Tensor& out);
};

namespace cpu {
extern const ReduceKernels kReduce;
}
namespace cuda {
extern const ReduceKernels kReduce;
}

Tensor Sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor Mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Values of the maximum along one dim (the gradient flows to the first maximal element).
Tensor Max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor Min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor Max(const Tensor& x);  // over all elements
Tensor Argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // int64
Tensor Argmin(const Tensor& x, int64_t dim, bool keepdim = false);  // int64
// Variance over dims; unbiased divides by n - 1.
Tensor Var(const Tensor& x, const std::vector<int64_t>& dims = {}, bool unbiased = true,
           bool keepdim = false);

}  // namespace nb360

#endif  // NB360_OPS_REDUCE_H_
