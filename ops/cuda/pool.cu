// ops/cuda/pool.cu: the CUDA pooling kernels (Pool2dKernels and AdaptiveAvgPool2dKernels,
// ops/pool.h), float32 and float64, contiguous NCHW, with the exact semantics of ops/cpu/pool.cc.
//
// Forward passes run one thread per output element (grid-stride), reading its window in the CPU's
// order (rows, then columns): max pooling keeps the first maximum, a NaN wins over numbers and the
// last NaN over earlier ones, and the argmax is stored as h * W + w in the plane (int32); average
// pooling divides by the window clipped to the padded input (count_include_pad) or the real input.
// Backward passes are gathers, one thread per input element: it visits the outputs whose windows
// cover it in increasing output order and sums their contributions (max: gy where the saved argmax
// is this element; average: gy / divisor), which is the CPU scatter's order of additions for that
// element, so results match it exactly and need no atomics. Adaptive average pooling uses PyTorch's
// bins [floor(i * in / out), ceil((i + 1) * in / out)); global pooling (1 x 1 output) reduces each
// plane in one block with a fixed-order tree, so it is deterministic too.
#include <climits>
#include <cmath>
#include <cstdint>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/tensor.h"
#include "ops/pool.h"

namespace nb360 {
namespace cuda {
namespace {

// One axis of a pooling sweep (as ops/cpu/pool_geometry.h): input and output lengths, window,
// stride, padding.
struct Axis {
  int64_t in, out, k, s, pad;
  // Window of output o clipped to the input: [Lo(o), Hi(o)).
  __device__ int64_t Lo(int64_t o) const { return o * s - pad > 0 ? o * s - pad : 0; }
  __device__ int64_t Hi(int64_t o) const { return o * s - pad + k < in ? o * s - pad + k : in; }
  // This axis' factor of output o's divisor: the window clipped to the padded or the real input.
  __device__ int64_t Count(int64_t o, bool include_pad) const {
    if (!include_pad) return Hi(o) - Lo(o);
    const int64_t start = o * s - pad;
    const int64_t end = start + k < in + pad ? start + k : in + pad;
    return end - start;
  }
  // Outputs whose windows cover input i: [FirstOut(i), LastOut(i)] (possibly empty).
  __device__ int64_t FirstOut(int64_t i) const { return i + pad >= k ? (i + pad - k) / s + 1 : 0; }
  __device__ int64_t LastOut(int64_t i) const { return (i + pad) / s < out - 1 ? (i + pad) / s : out - 1; }
};

struct Geometry {
  Axis h, w;
  int64_t planes;
  __host__ __device__ int64_t in_plane() const { return h.in * w.in; }
  __host__ __device__ int64_t out_plane() const { return h.out * w.out; }
};

Geometry MakeGeometry(const Pool2dParams& p, const Shape& in, const Shape& out) {
  return {{in[2], out[2], p.kernel_h, p.stride_h, p.pad_h},
          {in[3], out[3], p.kernel_w, p.stride_w, p.pad_w},
          in[0] * in[1]};
}

__device__ inline int64_t GlobalThread() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t GridThreads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// ---------------------------------------------------------------- Pool2d

// y (planes, OH, OW) = max over windows of x (planes, H, W); idx (may be null) the argmax.
template <class T>
__global__ void MaxForwardKernel(Geometry g, const T* x, T* y, int32_t* idx) {
  const int64_t total = g.planes * g.out_plane();
  for (int64_t i = GlobalThread(); i < total; i += GridThreads()) {
    const int64_t ow = i % g.w.out, oh = (i / g.w.out) % g.h.out, q = i / g.out_plane();
    const T* xq = x + q * g.in_plane();
    const int64_t h0 = g.h.Lo(oh), h1 = g.h.Hi(oh), w0 = g.w.Lo(ow), w1 = g.w.Hi(ow);
    T best = static_cast<T>(-INFINITY);
    int64_t arg = h0 * g.w.in + w0;
    for (int64_t ih = h0; ih < h1; ++ih) {
      for (int64_t iw = w0; iw < w1; ++iw) {
        const T v = xq[ih * g.w.in + iw];
        if (v > best || isnan(v)) {
          best = v;
          arg = ih * g.w.in + iw;
        }
      }
    }
    y[i] = best;
    if (idx != nullptr) idx[i] = static_cast<int32_t>(arg);
  }
}

// y (planes, OH, OW) = window sums of x (planes, H, W) / the window's divisor.
template <class T>
__global__ void AvgForwardKernel(Geometry g, bool include_pad, const T* x, T* y) {
  const int64_t total = g.planes * g.out_plane();
  for (int64_t i = GlobalThread(); i < total; i += GridThreads()) {
    const int64_t ow = i % g.w.out, oh = (i / g.w.out) % g.h.out, q = i / g.out_plane();
    const T* xq = x + q * g.in_plane();
    const int64_t h0 = g.h.Lo(oh), h1 = g.h.Hi(oh), w0 = g.w.Lo(ow), w1 = g.w.Hi(ow);
    T sum = 0;
    for (int64_t ih = h0; ih < h1; ++ih) {
      for (int64_t iw = w0; iw < w1; ++iw) sum += xq[ih * g.w.in + iw];
    }
    y[i] = sum / static_cast<T>(g.h.Count(oh, include_pad) * g.w.Count(ow, include_pad));
  }
}

// gx (planes, H, W) = sum of gy over the outputs whose argmax is this element (in output order).
template <class T>
__global__ void MaxBackwardKernel(Geometry g, const T* gy, const int32_t* idx, T* gx) {
  const int64_t total = g.planes * g.in_plane();
  for (int64_t i = GlobalThread(); i < total; i += GridThreads()) {
    const int64_t iw = i % g.w.in, ih = (i / g.w.in) % g.h.in, q = i / g.in_plane();
    const int64_t self = ih * g.w.in + iw;
    const T* gyq = gy + q * g.out_plane();
    const int32_t* iq = idx + q * g.out_plane();
    const int64_t oh0 = g.h.FirstOut(ih), oh1 = g.h.LastOut(ih);
    const int64_t ow0 = g.w.FirstOut(iw), ow1 = g.w.LastOut(iw);
    T sum = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const int64_t o = oh * g.w.out + ow;
        if (iq[o] == self) sum += gyq[o];
      }
    }
    gx[i] = sum;
  }
}

// gx (planes, H, W) = sum of gy / divisor over the outputs whose windows cover this element.
template <class T>
__global__ void AvgBackwardKernel(Geometry g, bool include_pad, const T* gy, T* gx) {
  const int64_t total = g.planes * g.in_plane();
  for (int64_t i = GlobalThread(); i < total; i += GridThreads()) {
    const int64_t iw = i % g.w.in, ih = (i / g.w.in) % g.h.in, q = i / g.in_plane();
    const T* gyq = gy + q * g.out_plane();
    const int64_t oh0 = g.h.FirstOut(ih), oh1 = g.h.LastOut(ih);
    const int64_t ow0 = g.w.FirstOut(iw), ow1 = g.w.LastOut(iw);
    T sum = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      const int64_t ch = g.h.Count(oh, include_pad);
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        sum += gyq[oh * g.w.out + ow] / static_cast<T>(ch * g.w.Count(ow, include_pad));
      }
    }
    gx[i] = sum;
  }
}

void CheckContiguous(const char* op, const Tensor& a, const Tensor& b) {
  NB_CHECK(a.is_contiguous() && b.is_contiguous(), op, " (CUDA): needs contiguous tensors, got ", a.Describe(), " and ",
           b.Describe());
}

void Forward(const Pool2dParams& p, const Tensor& x, const Tensor& y, const Tensor& indices) {
  CheckContiguous("Pool2d", x, y);
  const Geometry g = MakeGeometry(p, x.shape(), y.shape());
  NB_CHECK(g.in_plane() <= INT32_MAX, "Pool2d (CUDA): plane of ", x.Describe(), " too large for int32 argmax indices");
  const int64_t n = y.numel();
  if (n == 0) return;
  const bool max = p.mode == PoolMode::kMax;
  if (max && indices.defined()) {
    NB_CHECK(indices.dtype() == DType::kInt32 && indices.is_contiguous() && indices.numel() == n,
             "Pool2d (CUDA): indices ", indices.Describe(), " do not match the output ", y.Describe());
  }
  int32_t* ip = max && indices.defined() ? static_cast<int32_t*>(indices.raw_data()) : nullptr;
  DispatchFloating(x.dtype(), "Pool2d (CUDA)", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* yp = static_cast<T*>(y.raw_data());
    if (max) {
      MaxForwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(g, xp, yp, ip);
    } else {
      AvgForwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(g, p.count_include_pad, xp, yp);
    }
  });
  CheckLaunch(max ? "MaxForwardKernel" : "AvgForwardKernel");
}

void Backward(const Pool2dParams& p, const Tensor& gy, const Tensor& indices, const Tensor& gx) {
  CheckContiguous("Pool2d backward", gy, gx);
  const Geometry g = MakeGeometry(p, gx.shape(), gy.shape());
  const int64_t n = gx.numel();
  if (n == 0) return;
  const bool max = p.mode == PoolMode::kMax;
  if (max) {
    NB_CHECK(indices.defined() && indices.dtype() == DType::kInt32 && indices.is_contiguous() &&
                 indices.numel() == gy.numel(),
             "Pool2d backward (CUDA): max pooling needs the int32 indices of forward for ", gy.Describe(), ", got ",
             indices.defined() ? indices.Describe() : std::string("none"));
  }
  DispatchFloating(gy.dtype(), "Pool2d backward (CUDA)", [&](auto tag) {
    using T = decltype(tag);
    const T* gyp = static_cast<const T*>(gy.raw_data());
    T* gxp = static_cast<T*>(gx.raw_data());
    if (max) {
      MaxBackwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(
          g, gyp, static_cast<const int32_t*>(indices.raw_data()), gxp);
    } else {
      AvgBackwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(g, p.count_include_pad, gyp, gxp);
    }
  });
  CheckLaunch(max ? "MaxBackwardKernel" : "AvgBackwardKernel");
}

// ---------------------------------------------------------------- AdaptiveAvgPool2d

// Bin o of `out` bins over `in`: [floor(o * in / out), ceil((o + 1) * in / out)).
__device__ inline int64_t BinStart(int64_t o, int64_t in, int64_t out) { return o * in / out; }
__device__ inline int64_t BinEnd(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

// Sizes of an adaptive pooling: planes of (h, w) inputs and (oh, ow) outputs.
struct AdaptiveGeometry {
  int64_t planes, h, w, oh, ow;
};

AdaptiveGeometry MakeAdaptive(const Tensor& in, const Tensor& out) {
  return {in.size(0) * in.size(1), in.size(2), in.size(3), out.size(2), out.size(3)};
}

// y (planes, OH, OW) = mean of x (planes, H, W) over each bin.
template <class T>
__global__ void AdaptiveForwardKernel(AdaptiveGeometry g, const T* x, T* y) {
  const int64_t total = g.planes * g.oh * g.ow;
  for (int64_t i = GlobalThread(); i < total; i += GridThreads()) {
    const int64_t j = i % g.ow, r = (i / g.ow) % g.oh, q = i / (g.oh * g.ow);
    const int64_t h0 = BinStart(r, g.h, g.oh), h1 = BinEnd(r, g.h, g.oh);
    const int64_t w0 = BinStart(j, g.w, g.ow), w1 = BinEnd(j, g.w, g.ow);
    const T* xq = x + q * g.h * g.w;
    T sum = 0;
    for (int64_t ih = h0; ih < h1; ++ih) {
      for (int64_t iw = w0; iw < w1; ++iw) sum += xq[ih * g.w + iw];
    }
    y[i] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
  }
}

// y[q] = mean of plane q of x (planes of hw values): one block per plane (grid-stride), each
// thread summing a fixed strided subset, then a fixed-order tree over the block.
template <class T>
__global__ void PlaneMeanKernel(int64_t planes, int64_t hw, const T* x, T* y) {
  __shared__ T partial[kThreads];
  for (int64_t q = blockIdx.x; q < planes; q += gridDim.x) {
    const T* xq = x + q * hw;
    T sum = 0;
    for (int64_t i = threadIdx.x; i < hw; i += blockDim.x) sum += xq[i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) y[q] = partial[0] / static_cast<T>(hw);
    __syncthreads();  // partial[0] is read before the next plane overwrites it
  }
}

// gx (planes, H, W) = sum over the bins covering each element (in bin order) of gy / bin size.
template <class T>
__global__ void AdaptiveBackwardKernel(AdaptiveGeometry g, const T* gy, T* gx) {
  const int64_t total = g.planes * g.h * g.w;
  for (int64_t i = GlobalThread(); i < total; i += GridThreads()) {
    const int64_t iw = i % g.w, ih = (i / g.w) % g.h, q = i / (g.h * g.w);
    const T* gyq = gy + q * g.oh * g.ow;
    // Bins r with BinStart(r) <= ih < BinEnd(r) lie in [ih * oh / h, ((ih + 1) * oh - 1) / h].
    const int64_t r0 = ih * g.oh / g.h, r1 = ((ih + 1) * g.oh - 1) / g.h;
    const int64_t c0 = iw * g.ow / g.w, c1 = ((iw + 1) * g.ow - 1) / g.w;
    T sum = 0;
    for (int64_t r = r0; r <= r1 && r < g.oh; ++r) {
      const int64_t h0 = BinStart(r, g.h, g.oh), h1 = BinEnd(r, g.h, g.oh);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t c = c0; c <= c1 && c < g.ow; ++c) {
        const int64_t w0 = BinStart(c, g.w, g.ow), w1 = BinEnd(c, g.w, g.ow);
        if (iw < w0 || iw >= w1) continue;
        sum += gyq[r * g.ow + c] / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
    gx[i] = sum;
  }
}

void AdaptiveForward(const Tensor& x, const Tensor& y) {
  CheckContiguous("AdaptiveAvgPool2d", x, y);
  const AdaptiveGeometry g = MakeAdaptive(x, y);
  const int64_t n = y.numel();
  if (n == 0) return;
  const bool global = g.oh == 1 && g.ow == 1;
  DispatchFloating(x.dtype(), "AdaptiveAvgPool2d (CUDA)", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* yp = static_cast<T*>(y.raw_data());
    if (global) {
      const int blocks = static_cast<int>(g.planes < 65535LL * 8 ? g.planes : 65535LL * 8);
      PlaneMeanKernel<T><<<blocks, kThreads, 0, CurrentStream()>>>(g.planes, g.h * g.w, xp, yp);
    } else {
      AdaptiveForwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(g, xp, yp);
    }
  });
  CheckLaunch(global ? "PlaneMeanKernel" : "AdaptiveForwardKernel");
}

void AdaptiveBackward(const Tensor& gy, const Tensor& gx) {
  CheckContiguous("AdaptiveAvgPool2d backward", gy, gx);
  const AdaptiveGeometry g = MakeAdaptive(gx, gy);
  const int64_t n = gx.numel();
  if (n == 0) return;
  DispatchFloating(gy.dtype(), "AdaptiveAvgPool2d backward (CUDA)", [&](auto tag) {
    using T = decltype(tag);
    AdaptiveBackwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(g, static_cast<const T*>(gy.raw_data()),
                                                                              static_cast<T*>(gx.raw_data()));
  });
  CheckLaunch("AdaptiveBackwardKernel");
}

}  // namespace

const Pool2dKernels kPool2d = {Forward, Backward};
const AdaptiveAvgPool2dKernels kAdaptiveAvgPool2d = {AdaptiveForward, AdaptiveBackward};

}  // namespace cuda
}  // namespace nb360
