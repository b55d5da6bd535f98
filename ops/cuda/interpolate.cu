// ops/cuda/interpolate.cu: CUDA kernels for nearest and bilinear resizing of (N, C, H, W) maps
// (the contract of ops/interpolate.h, the index and weight formulas of ops/cpu/interpolate.cc).
//
// Each axis maps output position i to two source taps (i0, i1) with weights (l0, l1), computed in
// the kernels with the CPU's formulas and the CPU's rounding: the scales are computed on the host
// exactly as the CPU does (float32 for nearest, the element type for bilinear), and the device
// arithmetic spells out every rounding step with the _rn intrinsics, fusing exactly where the CPU
// build fuses (GCC -O2 -march=haswell contracts src = scale * (i + 0.5) - 0.5, the blends and the
// backward accumulation into FMAs; checked in its assembly), so indices and weights agree bit for
// bit and the results do up to the CPU compiler's choices.
// Forward: one thread per output element blends its taps (grid-stride).
// Backward: deterministic, no atomics. Instead of scattering, one thread per input element (plane,
// ih, iw) gathers: the output rows whose taps include ih are a contiguous range (both taps are
// nondecreasing in i), found by binary search, likewise the columns; the thread adds their
// weighted gradients in the CPU's order (output row, output column, then the taps (0,0), (0,1),
// (1,0), (1,1)), starting from 0, as the CPU's scatter-add does.
#include <cmath>
#include <cstdint>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/tensor.h"
#include "ops/interpolate.h"

namespace nb360 {
namespace cuda {
namespace {

__device__ inline int64_t GlobalThread() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t GridThreads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Explicit rounding steps: the _rn intrinsics are never contracted by nvcc, Fma rounds once.
__device__ inline float Mul(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double Mul(double a, double b) { return __dmul_rn(a, b); }
__device__ inline float Add(float a, float b) { return __fadd_rn(a, b); }
__device__ inline double Add(double a, double b) { return __dadd_rn(a, b); }
__device__ inline float Sub(float a, float b) { return __fsub_rn(a, b); }
__device__ inline double Sub(double a, double b) { return __dsub_rn(a, b); }
__device__ inline float Fma(float a, float b, float c) { return __fmaf_rn(a, b, c); }
__device__ inline double Fma(double a, double b, double c) { return __fma_rn(a, b, c); }

__device__ inline int64_t MinI(int64_t a, int64_t b) { return a < b ? a : b; }

// One resized axis: `in` source positions, `out` output positions, and the scale as the CPU
// computes it (float32 for nearest; the element type for bilinear).
template <class T>
struct Axis {
  int64_t in = 0, out = 0;
  float nearest_scale = 0.0f;
  T linear_scale = T(0);
};

template <class T>
Axis<T> MakeAxis(int64_t in, int64_t out, const InterpolateParams& p) {
  Axis<T> a;
  a.in = in;
  a.out = out;
  if (p.mode == InterpolateMode::kNearest) {
    a.nearest_scale = static_cast<float>(in) / static_cast<float>(out);
  } else if (p.align_corners) {
    a.linear_scale = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  } else {
    a.linear_scale = static_cast<T>(in) / static_cast<T>(out);
  }
  return a;
}

// The two taps of output position i: out[i] = l0 * in[i0] + l1 * in[i1] (nearest: i1 = i0, l1 = 0).
template <class T>
struct Taps {
  int64_t i0, i1;
  T l0, l1;
};

template <class T>
__device__ Taps<T> NearestTaps(const Axis<T>& a, int64_t i) {
  const int64_t src =
      a.in == a.out ? i : static_cast<int64_t>(floorf(__fmul_rn(static_cast<float>(i), a.nearest_scale)));
  const int64_t i0 = MinI(src, a.in - 1);
  return {i0, i0, T(1), T(0)};
}

template <class T>
__device__ Taps<T> LinearTaps(const Axis<T>& a, int64_t i, bool align_corners) {
  if (a.in == a.out) return {i, i, T(1), T(0)};
  T src;
  if (align_corners) {
    src = Mul(a.linear_scale, static_cast<T>(i));
  } else {
    src = Fma(a.linear_scale, Add(static_cast<T>(i), T(0.5)), T(-0.5));
    if (src < T(0)) src = T(0);
  }
  const int64_t lo = MinI(static_cast<int64_t>(src), a.in - 1);
  T frac = Sub(src, static_cast<T>(lo));
  if (frac < T(0)) frac = T(0);
  if (frac > T(1)) frac = T(1);
  return {lo, lo + (lo < a.in - 1 ? 1 : 0), Sub(T(1), frac), frac};
}

template <class T>
__device__ Taps<T> TapsAt(const Axis<T>& a, int64_t i, bool nearest, bool align_corners) {
  return nearest ? NearestTaps(a, i) : LinearTaps(a, i, align_corners);
}

// The output positions whose taps include source position s: [first i with i1 >= s, first i with
// i0 > s) (both taps are nondecreasing in i).
template <class T>
__device__ void OutputRange(const Axis<T>& a, int64_t s, bool nearest, bool align_corners, int64_t* begin,
                            int64_t* end) {
  int64_t lo = 0, hi = a.out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (TapsAt(a, mid, nearest, align_corners).i1 < s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *begin = lo;
  hi = a.out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (TapsAt(a, mid, nearest, align_corners).i0 <= s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *end = lo;
}

// y (planes, oh, ow) from x (planes, h, w).
template <class T>
__global__ void InterpolateForwardKernel(const T* x, Axis<T> ah, Axis<T> aw, int64_t planes, bool nearest,
                                         bool align_corners, T* y) {
  const int64_t total = planes * ah.out * aw.out;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t j = e % aw.out;
    const int64_t t = e / aw.out;
    const int64_t i = t % ah.out, plane = t / ah.out;
    const T* xp = x + plane * ah.in * aw.in;
    const Taps<T> r = TapsAt(ah, i, nearest, align_corners);
    const Taps<T> c = TapsAt(aw, j, nearest, align_corners);
    if (nearest) {
      y[e] = xp[r.i0 * aw.in + c.i0];
      continue;
    }
    const T* x0 = xp + r.i0 * aw.in;
    const T* x1 = xp + r.i1 * aw.in;
    const T top = Fma(c.l0, x0[c.i0], Mul(c.l1, x0[c.i1]));
    const T bottom = Fma(c.l0, x1[c.i0], Mul(c.l1, x1[c.i1]));
    y[e] = Fma(r.l0, top, Mul(r.l1, bottom));
  }
}

// gx (planes, h, w) = the CPU's scatter-add of gy (planes, oh, ow), gathered per input element.
template <class T>
__global__ void InterpolateBackwardKernel(const T* gy, Axis<T> ah, Axis<T> aw, int64_t planes, bool nearest,
                                          bool align_corners, T* gx) {
  const int64_t total = planes * ah.in * aw.in;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t iw = e % aw.in;
    const int64_t t = e / aw.in;
    const int64_t ih = t % ah.in, plane = t / ah.in;
    int64_t i_begin, i_end, j_begin, j_end;
    OutputRange(ah, ih, nearest, align_corners, &i_begin, &i_end);
    OutputRange(aw, iw, nearest, align_corners, &j_begin, &j_end);
    const T* gp = gy + plane * ah.out * aw.out;
    T acc = T(0);
    for (int64_t i = i_begin; i < i_end; ++i) {
      const Taps<T> r = TapsAt(ah, i, nearest, align_corners);
      const T* gr = gp + i * aw.out;
      for (int64_t j = j_begin; j < j_end; ++j) {
        if (nearest) {
          acc = Add(acc, gr[j]);
          continue;
        }
        const Taps<T> c = TapsAt(aw, j, nearest, align_corners);
        const T g0 = Mul(r.l0, gr[j]), g1 = Mul(r.l1, gr[j]);
        if (r.i0 == ih) {
          if (c.i0 == iw) acc = Fma(c.l0, g0, acc);
          if (c.i1 == iw) acc = Fma(c.l1, g0, acc);
        }
        if (r.i1 == ih) {
          if (c.i0 == iw) acc = Fma(c.l0, g1, acc);
          if (c.i1 == iw) acc = Fma(c.l1, g1, acc);
        }
      }
    }
    gx[e] = acc;
  }
}

template <class T>
void ForwardT(const InterpolateParams& p, const Tensor& x, const Tensor& y) {
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const Axis<T> ah = MakeAxis<T>(x.shape()[2], y.shape()[2], p);
  const Axis<T> aw = MakeAxis<T>(x.shape()[3], y.shape()[3], p);
  const int64_t total = y.numel();
  if (total == 0) return;
  InterpolateForwardKernel<T><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(
      x.data<T>(), ah, aw, planes, p.mode == InterpolateMode::kNearest, p.align_corners, y.data<T>());
  CheckLaunch("InterpolateForwardKernel");
}

template <class T>
void BackwardT(const InterpolateParams& p, const Tensor& gy, const Tensor& gx) {
  const int64_t planes = gx.shape()[0] * gx.shape()[1];
  const Axis<T> ah = MakeAxis<T>(gx.shape()[2], gy.shape()[2], p);
  const Axis<T> aw = MakeAxis<T>(gx.shape()[3], gy.shape()[3], p);
  const int64_t total = gx.numel();
  if (total == 0) return;
  InterpolateBackwardKernel<T><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(
      gy.data<T>(), ah, aw, planes, p.mode == InterpolateMode::kNearest, p.align_corners, gx.data<T>());
  CheckLaunch("InterpolateBackwardKernel");
}

void Forward(const InterpolateParams& p, const Tensor& x, const Tensor& y) {
  DispatchFloating(x.dtype(), "Interpolate (CUDA)", [&](auto tag) { ForwardT<decltype(tag)>(p, x, y); });
}

void Backward(const InterpolateParams& p, const Tensor& gy, const Tensor& gx) {
  DispatchFloating(gx.dtype(), "Interpolate backward (CUDA)", [&](auto tag) { BackwardT<decltype(tag)>(p, gy, gx); });
}

}  // namespace

const InterpolateKernels kInterpolate = {Forward, Backward};

}  // namespace cuda
}  // namespace nb360
