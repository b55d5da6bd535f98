// ops/cuda/bf16_convert.h: the conversions behind the bf16 autocast kernels (engine/precision.h) of
// ops/cuda/conv.cu and matmul.cu. bf16 buffers are plain byte tensors (the engine has no bf16
// dtype: tensors stay float32, only the GEMM/convolution operands are bf16) holding 2-byte values.
#ifndef NB360_OPS_CUDA_BF16_CONVERT_H_
#define NB360_OPS_CUDA_BF16_CONVERT_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {
namespace cuda {

// A buffer for n bf16 values on `device` (a uint8 tensor of 2 n bytes).
Tensor Bf16Buffer(int64_t n, Device device);

// The elements of a dense float32 tensor (contiguous or channels-last: memory order kept), rounded
// to bf16 (nearest, ties to even), in a new buffer.
Tensor ToBf16Dense(const Tensor& dense);

// dense (float32, contiguous or channels-last) = the n = dense.numel() bf16 values of buf, widened.
void WidenBf16(const Tensor& buf, const Tensor& dense);

// A (B, R, C) float32 view with any strides, as dense row-major bf16 matrices: B of them, or one
// when the batch stride is 0 (a matrix shared by the batch). *batch_stride is R * C or 0.
Tensor ToBf16Matrices(const Tensor& t3, int64_t* batch_stride);

// Rounds every element of a dense float32 tensor to bf16 in place.
void RoundBf16InPlace(const Tensor& dense);

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_OPS_CUDA_BF16_CONVERT_H_
