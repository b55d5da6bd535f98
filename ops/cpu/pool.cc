// ops/cpu/pool.cc: the CPU pooling kernel tables (NCHW, parallel over the N * C planes).
//
// Reference loops (any floating type) serve float64, and float32 where ops/cpu/pool_avx2.cc has
// no path: max pooling backward (a scatter to the argmax saved by forward), average pooling
// backward with W stride 1 and H stride above 1 or W stride above 8, and adaptive average pooling
// with bins other than one per plane.
// Global average pooling is a plane sum (vectorised for float32) and a broadcast.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/cpu/pool_avx2.h"
#include "ops/cpu/pool_geometry.h"
#include "ops/pool.h"

namespace nb360 {
namespace cpu {
namespace {

using pool::ForPlanes;
using pool::Geometry;
using pool::MakeGeometry;

// ---------------------------------------------------------------- reference loops

template <class T>
void MaxForwardPlane(const Geometry& g, const T* x, T* y, int32_t* idx) {
  for (int64_t oh = 0; oh < g.h.out; ++oh) {
    const int64_t h0 = g.h.Lo(oh), h1 = g.h.Hi(oh);
    for (int64_t ow = 0; ow < g.w.out; ++ow) {
      const int64_t w0 = g.w.Lo(ow), w1 = g.w.Hi(ow);
      T best = -std::numeric_limits<T>::infinity();
      int64_t arg = h0 * g.w.in + w0;
      for (int64_t ih = h0; ih < h1; ++ih) {
        for (int64_t iw = w0; iw < w1; ++iw) {
          const T v = x[ih * g.w.in + iw];
          if (v > best || std::isnan(v)) {
            best = v;
            arg = ih * g.w.in + iw;
          }
        }
      }
      y[oh * g.w.out + ow] = best;
      if (idx != nullptr) idx[oh * g.w.out + ow] = static_cast<int32_t>(arg);
    }
  }
}

template <class T>
void AvgForwardPlane(const Geometry& g, bool include_pad, const T* x, T* y) {
  for (int64_t oh = 0; oh < g.h.out; ++oh) {
    const int64_t h0 = g.h.Lo(oh), h1 = g.h.Hi(oh), ch = g.h.Count(oh, include_pad);
    for (int64_t ow = 0; ow < g.w.out; ++ow) {
      const int64_t w0 = g.w.Lo(ow), w1 = g.w.Hi(ow);
      T sum = 0;
      for (int64_t ih = h0; ih < h1; ++ih) {
        for (int64_t iw = w0; iw < w1; ++iw) sum += x[ih * g.w.in + iw];
      }
      y[oh * g.w.out + ow] = sum / static_cast<T>(ch * g.w.Count(ow, include_pad));
    }
  }
}

template <class T>
void MaxBackwardPlane(const Geometry& g, const T* gy, const int32_t* idx, T* gx) {
  std::fill(gx, gx + g.in_plane(), T(0));
  for (int64_t o = 0; o < g.out_plane(); ++o) gx[idx[o]] += gy[o];
}

template <class T>
void AvgBackwardPlane(const Geometry& g, bool include_pad, const T* gy, T* gx) {
  std::fill(gx, gx + g.in_plane(), T(0));
  for (int64_t oh = 0; oh < g.h.out; ++oh) {
    const int64_t h0 = g.h.Lo(oh), h1 = g.h.Hi(oh), ch = g.h.Count(oh, include_pad);
    for (int64_t ow = 0; ow < g.w.out; ++ow) {
      const int64_t w0 = g.w.Lo(ow), w1 = g.w.Hi(ow);
      const T v = gy[oh * g.w.out + ow] / static_cast<T>(ch * g.w.Count(ow, include_pad));
      for (int64_t ih = h0; ih < h1; ++ih) {
        for (int64_t iw = w0; iw < w1; ++iw) gx[ih * g.w.in + iw] += v;
      }
    }
  }
}

template <class T>
void ForwardRef(const Pool2dParams& p, const Geometry& g, const Tensor& x, const Tensor& y,
                const Tensor& indices) {
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  int32_t* ip = indices.defined() ? indices.data<int32_t>() : nullptr;
  ForPlanes(g.planes, g.in_plane() + g.out_plane() * g.taps(), [&](int64_t p0, int64_t p1) {
    for (int64_t q = p0; q < p1; ++q) {
      const T* xq = xp + q * g.in_plane();
      T* yq = yp + q * g.out_plane();
      if (p.mode == PoolMode::kMax) {
        MaxForwardPlane(g, xq, yq, ip != nullptr ? ip + q * g.out_plane() : nullptr);
      } else {
        AvgForwardPlane(g, p.count_include_pad, xq, yq);
      }
    }
  });
}

template <class T>
void BackwardRef(const Pool2dParams& p, const Geometry& g, const Tensor& gy, const Tensor& indices,
                 const Tensor& gx) {
  const T* gyp = gy.data<T>();
  T* gxp = gx.data<T>();
  const int32_t* ip = p.mode == PoolMode::kMax ? indices.data<int32_t>() : nullptr;
  ForPlanes(g.planes, g.in_plane() + g.out_plane() * g.taps(), [&](int64_t p0, int64_t p1) {
    for (int64_t q = p0; q < p1; ++q) {
      const T* gyq = gyp + q * g.out_plane();
      T* gxq = gxp + q * g.in_plane();
      if (p.mode == PoolMode::kMax) {
        MaxBackwardPlane(g, gyq, ip + q * g.out_plane(), gxq);
      } else {
        AvgBackwardPlane(g, p.count_include_pad, gyq, gxq);
      }
    }
  });
}

// ---------------------------------------------------------------- Pool2dKernels

void Forward(const Pool2dParams& p, const Tensor& x, const Tensor& y, const Tensor& indices) {
  const Geometry g = MakeGeometry(p, x.shape(), y.shape());
  NB_CHECK(g.in_plane() <= std::numeric_limits<int32_t>::max(), "Pool2d: plane of ", x.Describe(),
           " too large for int32 argmax indices");
  if (pool::ForwardAvx2(p, g, x, y, indices)) return;
  DispatchFloating(x.dtype(), "Pool2d", [&](auto tag) { ForwardRef<decltype(tag)>(p, g, x, y, indices); });
}

void Backward(const Pool2dParams& p, const Tensor& gy, const Tensor& indices, const Tensor& gx) {
  const Geometry g = MakeGeometry(p, gx.shape(), gy.shape());
  if (pool::AvgBackwardAvx2(p, g, gy, gx)) return;
  DispatchFloating(gy.dtype(), "Pool2d backward",
                   [&](auto tag) { BackwardRef<decltype(tag)>(p, g, gy, indices, gx); });
}

// ---------------------------------------------------------------- adaptive average pooling

// Bin o of `out` bins over `in`: [floor(o * in / out), ceil((o + 1) * in / out)).
int64_t BinStart(int64_t o, int64_t in, int64_t out) { return o * in / out; }
int64_t BinEnd(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

// Means of the planes [p0, p1) of x (planes of hw values) into y[p0..p1).
template <class T>
void PlaneMeans(const T* x, int64_t hw, int64_t p0, int64_t p1, T* y) {
  for (int64_t q = p0; q < p1; ++q) {
    T sum = 0;
    for (int64_t i = 0; i < hw; ++i) sum += x[q * hw + i];
    y[q] = sum / static_cast<T>(hw);
  }
}

template <>
void PlaneMeans<float>(const float* x, int64_t hw, int64_t p0, int64_t p1, float* y) {
  pool::PlaneMeansF32(x, hw, p0, p1, y);
}

// Global average pooling: y[q] = mean of plane q.
template <class T>
void GlobalForwardT(const Tensor& x, const Tensor& y) {
  const int64_t hw = x.size(2) * x.size(3), planes = x.size(0) * x.size(1);
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  ForPlanes(planes, hw, [&](int64_t p0, int64_t p1) { PlaneMeans(xp, hw, p0, p1, yp); });
}

// Its backward: plane q of gx is gy[q] / (H W) everywhere.
template <class T>
void GlobalBackwardT(const Tensor& gy, const Tensor& gx) {
  const int64_t hw = gx.size(2) * gx.size(3), planes = gx.size(0) * gx.size(1);
  const T* gyp = gy.data<T>();
  T* gxp = gx.data<T>();
  ForPlanes(planes, hw, [&](int64_t p0, int64_t p1) {
    for (int64_t q = p0; q < p1; ++q) {
      const T v = gyp[q] / static_cast<T>(hw);
      T* row = gxp + q * hw;
#pragma omp simd
      for (int64_t i = 0; i < hw; ++i) row[i] = v;
    }
  });
}

template <class T>
void AdaptiveForwardT(const Tensor& x, const Tensor& y) {
  const int64_t h = x.size(2), w = x.size(3), oh = y.size(2), ow = y.size(3);
  const int64_t planes = x.size(0) * x.size(1);
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  ForPlanes(planes, h * w + oh * ow, [&](int64_t p0, int64_t p1) {
    for (int64_t q = p0; q < p1; ++q) {
      const T* xq = xp + q * h * w;
      T* yq = yp + q * oh * ow;
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t h0 = BinStart(i, h, oh), h1 = BinEnd(i, h, oh);
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t w0 = BinStart(j, w, ow), w1 = BinEnd(j, w, ow);
          T sum = 0;
          for (int64_t ih = h0; ih < h1; ++ih) {
            const T* row = xq + ih * w;
#pragma omp simd reduction(+ : sum)
            for (int64_t iw = w0; iw < w1; ++iw) sum += row[iw];
          }
          yq[i * ow + j] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

template <class T>
void AdaptiveBackwardT(const Tensor& gy, const Tensor& gx) {
  const int64_t h = gx.size(2), w = gx.size(3), oh = gy.size(2), ow = gy.size(3);
  const int64_t planes = gx.size(0) * gx.size(1);
  const T* gyp = gy.data<T>();
  T* gxp = gx.data<T>();
  ForPlanes(planes, h * w + oh * ow, [&](int64_t p0, int64_t p1) {
    for (int64_t q = p0; q < p1; ++q) {
      const T* gyq = gyp + q * oh * ow;
      T* gxq = gxp + q * h * w;
      std::fill(gxq, gxq + h * w, T(0));
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t h0 = BinStart(i, h, oh), h1 = BinEnd(i, h, oh);
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t w0 = BinStart(j, w, ow), w1 = BinEnd(j, w, ow);
          const T v = gyq[i * ow + j] / static_cast<T>((h1 - h0) * (w1 - w0));
          for (int64_t ih = h0; ih < h1; ++ih) {
            T* row = gxq + ih * w;
#pragma omp simd
            for (int64_t iw = w0; iw < w1; ++iw) row[iw] += v;
          }
        }
      }
    }
  });
}

bool IsGlobal(const Tensor& pooled) { return pooled.size(2) == 1 && pooled.size(3) == 1; }

void AdaptiveForward(const Tensor& x, const Tensor& y) {
  DispatchFloating(x.dtype(), "AdaptiveAvgPool2d", [&](auto tag) {
    using T = decltype(tag);
    IsGlobal(y) ? GlobalForwardT<T>(x, y) : AdaptiveForwardT<T>(x, y);
  });
}

void AdaptiveBackward(const Tensor& gy, const Tensor& gx) {
  DispatchFloating(gy.dtype(), "AdaptiveAvgPool2d backward", [&](auto tag) {
    using T = decltype(tag);
    IsGlobal(gy) ? GlobalBackwardT<T>(gy, gx) : AdaptiveBackwardT<T>(gy, gx);
  });
}

}  // namespace

const Pool2dKernels kPool2d = {Forward, Backward};
const AdaptiveAvgPool2dKernels kAdaptiveAvgPool2d = {AdaptiveForward, AdaptiveBackward};

}  // namespace cpu
}  // namespace nb360
