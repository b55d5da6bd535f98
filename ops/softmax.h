// ops/softmax.h: softmax and log-softmax along one dimension (fused, numerically stable).
#ifndef NB360_OPS_SOFTMAX_H_
#define NB360_OPS_SOFTMAX_H_

#include "engine/tensor.h"

namespace nb360 {

struct SoftmaxKernels {
  // Rows are the last dim of contiguous (R, C) tensors. y = softmax(x) or log_softmax(x).
  void (*forward)(bool log, const Tensor& x, const Tensor& y);
  // gx from y and gy (same shapes, contiguous).
  void (*backward)(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx);
};

namespace cpu {
extern const SoftmaxKernels kSoftmax;
}
namespace cuda {
extern const SoftmaxKernels kSoftmax;
}

Tensor Softmax(const Tensor& x, int64_t dim);
Tensor LogSoftmax(const Tensor& x, int64_t dim);

}  // namespace nb360

#endif  // NB360_OPS_SOFTMAX_H_
