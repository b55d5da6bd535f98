// engine/cuda/strided_index.h (include from .cu files only: it has __device__ code): maps a linear
// element index of a logical shape to the element offsets of up to kOperands strided operands
// (broadcast dims have stride 0), inside kernels. Built on the host from Tensors, passed by value.
#ifndef NB360_ENGINE_CUDA_STRIDED_INDEX_H_
#define NB360_ENGINE_CUDA_STRIDED_INDEX_H_

#include <cstdint>

#include "engine/check.h"
#include "engine/tensor.h"

namespace nb360 {
namespace cuda {

constexpr int kMaxDims = 8;

template <int kOperands>
struct StridedIndex {
  int dims = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kOperands][kMaxDims] = {};

  // Element offsets of the operands for logical index i (row-major over sizes).
  __host__ __device__ void Offsets(int64_t i, int64_t (&off)[kOperands]) const {
    for (int k = 0; k < kOperands; ++k) off[k] = 0;
    for (int d = dims - 1; d >= 0; --d) {
      const int64_t q = i % sizes[d];
      i /= sizes[d];
      for (int k = 0; k < kOperands; ++k) off[k] += q * strides[k][d];
    }
  }
};

// The index for `shape` over the operands' strides (each operand has `shape`, possibly expanded).
template <int kOperands>
StridedIndex<kOperands> MakeStridedIndex(const Shape& shape, const Tensor* const (&operands)[kOperands]) {
  NB_CHECK(static_cast<int>(shape.size()) <= kMaxDims, "CUDA kernels take at most ", kMaxDims,
           " dimensions, got ", ShapeString(shape));
  StridedIndex<kOperands> s;
  s.dims = static_cast<int>(shape.size());
  for (int d = 0; d < s.dims; ++d) {
    s.sizes[d] = shape[d];
    for (int k = 0; k < kOperands; ++k) s.strides[k][d] = operands[k]->strides()[d];
  }
  return s;
}

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_STRIDED_INDEX_H_
