// ops/cpu/interpolate.cc: CPU kernels for nearest and bilinear resizing of (N, C, H, W) maps.
//
// Each output row and column gets its two source indices and weights once per call (one table per
// axis); forward then blends, in parallel over output rows of all planes. Backward zeroes gx and
// scatter-adds the weighted output gradient, in parallel over planes (a plane's output rows share
// input rows, so a plane belongs to one thread). Weights are computed in the element type, as
// PyTorch computes them.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/parallel.h"
#include "ops/interpolate.h"

namespace nb360 {
namespace cpu {
namespace {

// Source indices and weights of every output position along one axis: out[i] = l0 * in[i0] + l1 * in[i1].
template <class T>
struct AxisMap {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

template <class T>
AxisMap<T> NearestAxis(int64_t in, int64_t out) {
  AxisMap<T> m;
  m.i0.resize(out);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t i = 0; i < out; ++i) {
    const int64_t src = in == out ? i : static_cast<int64_t>(std::floor(static_cast<float>(i) * scale));
    m.i0[i] = std::min(src, in - 1);
  }
  return m;
}

template <class T>
AxisMap<T> LinearAxis(int64_t in, int64_t out, bool align_corners) {
  AxisMap<T> m;
  m.i0.resize(out);
  m.i1.resize(out);
  m.l0.resize(out);
  m.l1.resize(out);
  T scale;
  if (align_corners) {
    scale = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  } else {
    scale = static_cast<T>(in) / static_cast<T>(out);
  }
  for (int64_t i = 0; i < out; ++i) {
    if (in == out) {
      m.i0[i] = m.i1[i] = i;
      m.l0[i] = T(1);
      m.l1[i] = T(0);
      continue;
    }
    T src = align_corners ? scale * static_cast<T>(i)
                          : std::max(scale * (static_cast<T>(i) + T(0.5)) - T(0.5), T(0));
    const int64_t lo = std::min(static_cast<int64_t>(src), in - 1);
    m.i0[i] = lo;
    m.i1[i] = lo + (lo < in - 1 ? 1 : 0);
    const T frac = std::min(std::max(src - static_cast<T>(lo), T(0)), T(1));
    m.l1[i] = frac;
    m.l0[i] = T(1) - frac;
  }
  return m;
}

template <class T>
void ForwardT(const InterpolateParams& p, const Tensor& x, const Tensor& y) {
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const int64_t h = x.shape()[2], w = x.shape()[3], oh = y.shape()[2], ow = y.shape()[3];
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  const bool nearest = p.mode == InterpolateMode::kNearest;
  const AxisMap<T> mh = nearest ? NearestAxis<T>(h, oh) : LinearAxis<T>(h, oh, p.align_corners);
  const AxisMap<T> mw = nearest ? NearestAxis<T>(w, ow) : LinearAxis<T>(w, ow, p.align_corners);
  ParallelFor(0, planes * oh, std::max<int64_t>(1, 8192 / ow), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t plane = r / oh, i = r % oh;
      const T* xplane = xp + plane * h * w;
      T* yr = yp + r * ow;
      if (nearest) {
        const T* xr = xplane + mh.i0[i] * w;
        for (int64_t j = 0; j < ow; ++j) yr[j] = xr[mw.i0[j]];
        continue;
      }
      const T* x0 = xplane + mh.i0[i] * w;
      const T* x1 = xplane + mh.i1[i] * w;
      const T a0 = mh.l0[i], a1 = mh.l1[i];
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t c0 = mw.i0[j], c1 = mw.i1[j];
        const T b0 = mw.l0[j], b1 = mw.l1[j];
        yr[j] = a0 * (b0 * x0[c0] + b1 * x0[c1]) + a1 * (b0 * x1[c0] + b1 * x1[c1]);
      }
    }
  });
}

template <class T>
void BackwardT(const InterpolateParams& p, const Tensor& gy, const Tensor& gx) {
  const int64_t planes = gx.shape()[0] * gx.shape()[1];
  const int64_t h = gx.shape()[2], w = gx.shape()[3], oh = gy.shape()[2], ow = gy.shape()[3];
  const T* gp = gy.data<T>();
  T* gxp = gx.data<T>();
  const bool nearest = p.mode == InterpolateMode::kNearest;
  const AxisMap<T> mh = nearest ? NearestAxis<T>(h, oh) : LinearAxis<T>(h, oh, p.align_corners);
  const AxisMap<T> mw = nearest ? NearestAxis<T>(w, ow) : LinearAxis<T>(w, ow, p.align_corners);
  ParallelFor(0, planes, std::max<int64_t>(1, 8192 / (oh * ow)), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      T* gplane = gxp + plane * h * w;
      std::fill(gplane, gplane + h * w, T(0));
      for (int64_t i = 0; i < oh; ++i) {
        const T* gr = gp + (plane * oh + i) * ow;
        if (nearest) {
          T* xr = gplane + mh.i0[i] * w;
          for (int64_t j = 0; j < ow; ++j) xr[mw.i0[j]] += gr[j];
          continue;
        }
        T* x0 = gplane + mh.i0[i] * w;
        T* x1 = gplane + mh.i1[i] * w;
        const T a0 = mh.l0[i], a1 = mh.l1[i];
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t c0 = mw.i0[j], c1 = mw.i1[j];
          const T g0 = a0 * gr[j], g1 = a1 * gr[j];
          x0[c0] += mw.l0[j] * g0;
          x0[c1] += mw.l1[j] * g0;
          x1[c0] += mw.l0[j] * g1;
          x1[c1] += mw.l1[j] * g1;
        }
      }
    }
  });
}

void Forward(const InterpolateParams& p, const Tensor& x, const Tensor& y) {
  DispatchFloating(x.dtype(), "Interpolate", [&](auto tag) { ForwardT<decltype(tag)>(p, x, y); });
}

void Backward(const InterpolateParams& p, const Tensor& gy, const Tensor& gx) {
  DispatchFloating(gx.dtype(), "Interpolate backward", [&](auto tag) { BackwardT<decltype(tag)>(p, gy, gx); });
}

}  // namespace

const InterpolateKernels kInterpolate = {Forward, Backward};

}  // namespace cpu
}  // namespace nb360
