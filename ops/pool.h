// ops/pool.h: max / average pooling (2-d and 1-d) and adaptive / global average pooling.
//
// Semantics follow PyTorch: max pooling pads with -inf and routes its gradient to the argmax (the
// first maximum of the window in row-major order; a NaN wins over numbers, the last NaN over
// earlier ones); average pooling divides by the window clipped to the padded input
// (count_include_pad) or to the real input; ceil_mode adds a last partial window only when it
// starts inside the input or its left padding. Adaptive bin i of out covers
// [floor(i * in / out), ceil((i + 1) * in / out)).
// Pool2d and AdaptiveAvgPool2d are primitives; the 1-d and global variants are views of them.
// Left out: dilation, return_indices, max unpooling, adaptive max pooling, fractional and LP pooling,
// channels-last layouts and second-order gradients.
#ifndef NB360_OPS_POOL_H_
#define NB360_OPS_POOL_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {

enum class PoolMode { kMax, kAvg };

struct Pool2dParams {
  PoolMode mode = PoolMode::kMax;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
  bool operator==(const Pool2dParams& o) const;
};

// Output length of a pooling window sweep along one dimension (PyTorch's rule, dilation 1).
int64_t PoolOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode);

struct Pool2dKernels {
  // y (N, C, OH, OW) = pool(x (N, C, H, W)); x and y contiguous. For max pooling, `indices`
  // (N, C, OH, OW) int32, when defined, receives each output's argmax as h * W + w in its plane.
  void (*forward)(const Pool2dParams& p, const Tensor& x, const Tensor& y, const Tensor& indices);
  // gx (N, C, H, W), contiguous, overwritten, from gy (N, C, OH, OW), contiguous, same dtype;
  // max pooling reads `indices` from forward, average pooling ignores it.
  void (*backward)(const Pool2dParams& p, const Tensor& gy, const Tensor& indices, const Tensor& gx);
};

struct AdaptiveAvgPool2dKernels {
  // y (N, C, OH, OW) = adaptive average of x (N, C, H, W); both contiguous.
  void (*forward)(const Tensor& x, const Tensor& y);
  // gx (N, C, H, W), contiguous, overwritten, from gy (N, C, OH, OW), contiguous.
  void (*backward)(const Tensor& gy, const Tensor& gx);
};

namespace cpu {
extern const Pool2dKernels kPool2d;
extern const AdaptiveAvgPool2dKernels kAdaptiveAvgPool2d;
}  // namespace cpu
namespace cuda {
extern const Pool2dKernels kPool2d;
extern const AdaptiveAvgPool2dKernels kAdaptiveAvgPool2d;
}  // namespace cuda

Tensor Pool2d(const Tensor& x /* (N, C, H, W) */, const Pool2dParams& p);
Tensor MaxPool2d(const Tensor& x /* (N, C, H, W) */, int64_t kernel, int64_t stride, int64_t padding = 0,
                 bool ceil_mode = false);
Tensor AvgPool2d(const Tensor& x /* (N, C, H, W) */, int64_t kernel, int64_t stride, int64_t padding = 0,
                 bool count_include_pad = true, bool ceil_mode = false);
Tensor MaxPool1d(const Tensor& x /* (N, C, L) */, int64_t kernel, int64_t stride, int64_t padding = 0);
Tensor AvgPool1d(const Tensor& x /* (N, C, L) */, int64_t kernel, int64_t stride, int64_t padding = 0,
                 bool count_include_pad = true);
Tensor AdaptiveAvgPool2d(const Tensor& x /* (N, C, H, W) */, int64_t out_h, int64_t out_w);
Tensor AdaptiveAvgPool1d(const Tensor& x /* (N, C, L) */, int64_t out_l);
Tensor GlobalAvgPool2d(const Tensor& x /* (N, C, H, W) */);  // -> (N, C)

}  // namespace nb360

#endif  // NB360_OPS_POOL_H_
