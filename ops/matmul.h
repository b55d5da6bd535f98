// ops/matmul.h: batched matrix multiply with NumPy broadcasting, and Linear.
#ifndef NB360_OPS_MATMUL_H_
#define NB360_OPS_MATMUL_H_

#include "engine/precision.h"
#include "engine/tensor.h"

namespace nb360 {

struct MatmulKernels {
  // out (B, M, N) contiguous = a (B, M, K) @ b (B, K, N). a and b have unit stride in one of
  // their last two dims (the front-end guarantees it); batch strides may be 0. precision kBFloat16
  // (float32 only): the bf16 autocast numerics of engine/precision.h.
  void (*forward)(const Tensor& a, const Tensor& b, const Tensor& out, MathPrecision precision);
};

namespace cpu {
extern const MatmulKernels kMatmul;
}
namespace cuda {
extern const MatmulKernels kMatmul;
}

// a (..., M, K) @ b (..., K, N) -> (..., M, N); 1-d operands act as a row / column vector. Inside a
// bf16 AutocastScope (engine/precision.h) float32 products, and their gradients, run in bf16.
Tensor Matmul(const Tensor& a, const Tensor& b);
// x (..., in) -> (..., out) with weight (out, in) and optional bias (out).
Tensor Linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace nb360

#endif  // NB360_OPS_MATMUL_H_
