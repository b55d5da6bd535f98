// ops/cuda/softmax.cu: row-wise softmax / log-softmax on CUDA (SoftmaxKernels), forward and
// backward, float32 and float64, mirroring ops/cpu/softmax.cc.
//
// Layout: contiguous (R, C), one row per group of threads: a warp (32 threads) when C <= 1024, a
// whole block (256 threads) for longer rows; a 256-thread block holds 8 warp-rows or 1 block-row,
// and grid-strides over rows. Each group makes three passes over its row:
//   forward:  m = max_c x (the CPU's std::max fold from -inf, so NaNs never become the max),
//             s = sum_c exp(x - m) in double,
//             y = x - (m + log s)  or  y = exp(x - m) * (1 / s);
//   backward: s = sum_c gy (log) or sum_c gy * y (plain) in double,
//             gx = gy - exp(y) s  or  y (gy - s).
// Group reductions are fixed shuffle / shared-memory trees (no atomics), so results are
// deterministic; the double row sums may differ from the CPU's sequential sums in the last bits of
// the double, which the conversion to float hides in practice.
#include <cmath>
#include <cstdint>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/dtype.h"
#include "engine/tensor.h"
#include "ops/softmax.h"

namespace nb360 {
namespace cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = kThreads / kWarp;
constexpr int64_t kWarpRowMaxCols = 1024;  // longer rows take a whole block

__device__ __forceinline__ float Exp(float v) { return expf(v); }
__device__ __forceinline__ double Exp(double v) { return exp(v); }

struct MaxOp {  // std::max(a, b): b only if a < b
  template <class V>
  __device__ V operator()(V a, V b) const { return a < b ? b : a; }
};
struct SumOp {
  template <class V>
  __device__ V operator()(V a, V b) const { return a + b; }
};

// The reduction of v over the kGroup threads of a row (a warp, or the whole block when kGroup ==
// kThreads), returned to every thread of the group. `scratch` holds kWarpsPerBlock values; it is
// free again when this returns. Fixed tree order: deterministic.
template <int kGroup, class V, class Op>
__device__ V GroupReduce(V v, Op op, V identity, V* scratch) {
  for (int d = kWarp / 2; d > 0; d /= 2) v = op(v, __shfl_down_sync(0xffffffffu, v, d));
  if constexpr (kGroup == kWarp) {
    return __shfl_sync(0xffffffffu, v, 0);
  } else {
    static_assert(kGroup == kThreads, "a row group is a warp or the whole block");
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
      v = lane < kWarpsPerBlock ? scratch[lane] : identity;
      for (int d = kWarp / 2; d > 0; d /= 2) v = op(v, __shfl_down_sync(0xffffffffu, v, d));
      if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    v = scratch[0];
    __syncthreads();  // everyone has read scratch before its next use
    return v;
  }
}

// y = softmax(x) or log_softmax(x) along rows of (rows, cols).
template <class T, int kGroup>
__global__ void SoftmaxForwardKernel(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
  __shared__ T scratch_t[kWarpsPerBlock];
  __shared__ double scratch_d[kWarpsPerBlock];
  const int t = threadIdx.x % kGroup;
  const int64_t groups = blockDim.x / kGroup;
  for (int64_t r = blockIdx.x * groups + threadIdx.x / kGroup; r < rows; r += gridDim.x * groups) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const T neg_inf = static_cast<T>(-INFINITY);
    T m = neg_inf;
    for (int64_t c = t; c < cols; c += kGroup) m = MaxOp()(m, xr[c]);
    m = GroupReduce<kGroup>(m, MaxOp(), neg_inf, scratch_t);
    double s = 0;
    for (int64_t c = t; c < cols; c += kGroup) s += static_cast<double>(Exp(xr[c] - m));
    s = GroupReduce<kGroup>(s, SumOp(), 0.0, scratch_d);
    if (log) {
      const T ls = m + static_cast<T>(::log(s));
      for (int64_t c = t; c < cols; c += kGroup) yr[c] = xr[c] - ls;
    } else {
      const T inv = static_cast<T>(1.0 / s);
      for (int64_t c = t; c < cols; c += kGroup) yr[c] = Exp(xr[c] - m) * inv;
    }
  }
}

// gx from y and gy along rows of (rows, cols).
template <class T, int kGroup>
__global__ void SoftmaxBackwardKernel(const T* y, const T* gy, T* gx, int64_t rows, int64_t cols, bool log) {
  __shared__ double scratch[kWarpsPerBlock];
  const int t = threadIdx.x % kGroup;
  const int64_t groups = blockDim.x / kGroup;
  for (int64_t r = blockIdx.x * groups + threadIdx.x / kGroup; r < rows; r += gridDim.x * groups) {
    const T* yr = y + r * cols;
    const T* gr = gy + r * cols;
    T* orow = gx + r * cols;
    double s = 0;
    if (log) {
      for (int64_t c = t; c < cols; c += kGroup) s += gr[c];
    } else {
      for (int64_t c = t; c < cols; c += kGroup) s += static_cast<double>(gr[c]) * yr[c];
    }
    s = GroupReduce<kGroup>(s, SumOp(), 0.0, scratch);
    const T st = static_cast<T>(s);
    if (log) {
      for (int64_t c = t; c < cols; c += kGroup) orow[c] = gr[c] - Exp(yr[c]) * st;
    } else {
      for (int64_t c = t; c < cols; c += kGroup) orow[c] = yr[c] * (gr[c] - st);
    }
  }
}

int GridForRows(int64_t rows, int64_t rows_per_block) {
  const int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
  const int64_t cap = 65535LL * 8;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

void CheckRows(const Tensor& t, const Tensor& like, const char* what) {
  NB_CHECK(t.dim() == 2 && t.is_contiguous() && t.shape() == like.shape() && t.dtype() == like.dtype(),
           "softmax (CUDA): ", what, " must be a contiguous (R, C) tensor like ", like.Describe(), ", got ",
           t.Describe());
}

template <class T>
void ForwardT(bool log, const Tensor& x, const Tensor& y) {
  const int64_t rows = x.shape()[0], cols = x.shape()[1];
  if (rows == 0 || cols == 0) return;
  const T* xp = static_cast<const T*>(x.raw_data());
  T* yp = static_cast<T*>(y.raw_data());
  cudaStream_t stream = CurrentStream();
  if (cols <= kWarpRowMaxCols) {
    SoftmaxForwardKernel<T, kWarp><<<GridForRows(rows, kWarpsPerBlock), kThreads, 0, stream>>>(xp, yp, rows, cols,
                                                                                              log);
  } else {
    SoftmaxForwardKernel<T, kThreads><<<GridForRows(rows, 1), kThreads, 0, stream>>>(xp, yp, rows, cols, log);
  }
  CheckLaunch("SoftmaxForwardKernel");
}

template <class T>
void BackwardT(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) {
  const int64_t rows = y.shape()[0], cols = y.shape()[1];
  if (rows == 0 || cols == 0) return;
  const T* yp = static_cast<const T*>(y.raw_data());
  const T* gp = static_cast<const T*>(gy.raw_data());
  T* op = static_cast<T*>(gx.raw_data());
  cudaStream_t stream = CurrentStream();
  if (cols <= kWarpRowMaxCols) {
    SoftmaxBackwardKernel<T, kWarp><<<GridForRows(rows, kWarpsPerBlock), kThreads, 0, stream>>>(yp, gp, op, rows,
                                                                                               cols, log);
  } else {
    SoftmaxBackwardKernel<T, kThreads><<<GridForRows(rows, 1), kThreads, 0, stream>>>(yp, gp, op, rows, cols, log);
  }
  CheckLaunch("SoftmaxBackwardKernel");
}

void Forward(bool log, const Tensor& x, const Tensor& y) {
  NB_CHECK(x.dim() == 2 && x.is_contiguous(), "softmax (CUDA): x must be a contiguous (R, C) tensor, got ",
           x.Describe());
  CheckRows(y, x, "y");
  DispatchFloating(x.dtype(), "softmax (CUDA)", [&](auto tag) { ForwardT<decltype(tag)>(log, x, y); });
}

void Backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) {
  NB_CHECK(y.dim() == 2 && y.is_contiguous(), "softmax backward (CUDA): y must be a contiguous (R, C) tensor, got ",
           y.Describe());
  const Tensor g = gy.To(y.dtype()).Contiguous();
  CheckRows(g, y, "gy");
  CheckRows(gx, y, "gx");
  DispatchFloating(y.dtype(), "softmax backward (CUDA)",
                   [&](auto tag) { BackwardT<decltype(tag)>(log, y, g, gx); });
}

}  // namespace

const SoftmaxKernels kSoftmax = {Forward, Backward};

}  // namespace cuda
}  // namespace nb360
