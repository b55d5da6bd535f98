// ops/cuda/bf16_convert.cu: see bf16_convert.h.
#include "ops/cuda/bf16_convert.h"

#include <cuda_bf16.h>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/memory_format.h"

namespace nb360 {
namespace cuda {
namespace {

__global__ void ToBf16Kernel(const float* src, __nv_bfloat16* dst, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dst[i] = __float2bfloat16_rn(src[i]);
  }
}

__global__ void WidenBf16Kernel(const __nv_bfloat16* src, float* dst, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dst[i] = __bfloat162float(src[i]);
  }
}

__global__ void RoundBf16Kernel(float* data, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    data[i] = __bfloat162float(__float2bfloat16_rn(data[i]));
  }
}

// dst (b, r, c) dense = src[b * sb + r * sr + c * sc].
__global__ void Matrices3dKernel(const float* src, __nv_bfloat16* dst, int64_t batches, int64_t rows, int64_t cols,
                                 int64_t sb, int64_t sr, int64_t sc) {
  const int64_t n = batches * rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = i % cols, r = (i / cols) % rows, b = i / (rows * cols);
    dst[i] = __float2bfloat16_rn(src[b * sb + r * sr + c * sc]);
  }
}

void CheckDense(const Tensor& t, const char* what) {
  NB_CHECK(t.dtype() == DType::kFloat32 && (t.is_contiguous() || (t.dim() == 4 && IsChannelsLast(t))),
           "bf16 conversion (CUDA): ", what, " must be a dense float32 tensor, got ", t.Describe());
}

}  // namespace

Tensor Bf16Buffer(int64_t n, Device device) { return Tensor::Empty({2 * n}, DType::kUInt8, device); }

Tensor ToBf16Dense(const Tensor& dense) {
  CheckDense(dense, "input");
  const int64_t n = dense.numel();
  Tensor buf = Bf16Buffer(n, dense.device());
  if (n == 0) return buf;
  ToBf16Kernel<<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<const float*>(dense.raw_data()),
                                                               static_cast<__nv_bfloat16*>(buf.raw_data()), n);
  CheckLaunch("ToBf16Kernel");
  return buf;
}

void WidenBf16(const Tensor& buf, const Tensor& dense) {
  CheckDense(dense, "output");
  const int64_t n = dense.numel();
  NB_CHECK(buf.numel() >= 2 * n, "bf16 conversion (CUDA): buffer of ", buf.numel(), " bytes for ", n, " values");
  if (n == 0) return;
  WidenBf16Kernel<<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(
      static_cast<const __nv_bfloat16*>(buf.raw_data()), static_cast<float*>(dense.raw_data()), n);
  CheckLaunch("WidenBf16Kernel");
}

Tensor ToBf16Matrices(const Tensor& t3, int64_t* batch_stride) {
  NB_CHECK(t3.dtype() == DType::kFloat32 && t3.dim() == 3, "bf16 conversion (CUDA): (B, R, C) float32 expected, got ",
           t3.Describe());
  const int64_t rows = t3.size(1), cols = t3.size(2);
  const bool shared = t3.strides()[0] == 0 || t3.size(0) == 1;
  const int64_t batches = shared ? 1 : t3.size(0);
  *batch_stride = shared ? 0 : rows * cols;
  const int64_t n = batches * rows * cols;
  Tensor buf = Bf16Buffer(n, t3.device());
  if (n == 0) return buf;
  Matrices3dKernel<<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(
      static_cast<const float*>(t3.raw_data()), static_cast<__nv_bfloat16*>(buf.raw_data()), batches, rows, cols,
      t3.strides()[0], t3.strides()[1], t3.strides()[2]);
  CheckLaunch("Matrices3dKernel");
  return buf;
}

void RoundBf16InPlace(const Tensor& dense) {
  CheckDense(dense, "result");
  const int64_t n = dense.numel();
  if (n == 0) return;
  RoundBf16Kernel<<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<float*>(dense.raw_data()), n);
  CheckLaunch("RoundBf16Kernel");
}

}  // namespace cuda
}  // namespace nb360
