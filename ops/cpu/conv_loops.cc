// ops/cpu/conv_loops.cc: direct-loop convolution (see conv_loops.h and conv_geometry.h).
#include "ops/cpu/conv_loops.h"

#include <algorithm>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/conv_geometry.h"

namespace nb360 {
namespace cpu {

template <class T>
void ConvForwardLoops(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                      const Tensor& y) {
  const ConvGeometry g = GeometryOf(p, x.shape(), w.shape(), y.shape());
  const T* xp = x.data<T>();
  const T* wp = w.data<T>();
  const T* bp = b.defined() ? b.data<T>() : nullptr;
  T* yp = y.data<T>();
  const int64_t plane = g.oh * g.ow;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(plane * g.cg * g.kh * g.kw, 1));
  ParallelFor(0, g.n * g.o, grain, [&](int64_t begin, int64_t end) {
    for (int64_t no = begin; no < end; ++no) {
      const int64_t n = no / g.o, oc = no % g.o, group = oc / g.og;
      T* out = yp + no * plane;
      std::fill(out, out + plane, bp ? bp[oc] : T(0));
      for (int64_t ci = 0; ci < g.cg; ++ci) {
        const T* in = xp + (n * g.c + group * g.cg + ci) * g.h * g.w;
        const T* k = wp + (oc * g.cg + ci) * g.kh * g.kw;
        ForEachTapRow(
            p, g, [&](int64_t i, int64_t j, int64_t r, int64_t in_row, int64_t lo, int64_t hi, int64_t col0) {
              const T wv = k[i * g.kw + j];
              const T* src = in + in_row * g.w + col0;
              T* dst = out + r * g.ow;
              for (int64_t q = lo; q < hi; ++q) dst[q] += wv * src[q * p.stride_w];
            });
      }
    }
  });
}

template <class T>
void ConvBackwardDataLoops(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const ConvGeometry g = GeometryOf(p, gx.shape(), w.shape(), gy.shape());
  const T* gyp = gy.data<T>();
  const T* wp = w.data<T>();
  T* gxp = gx.data<T>();
  const int64_t plane = g.h * g.w;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(g.oh * g.ow * g.og * g.kh * g.kw, 1));
  ParallelFor(0, g.n * g.c, grain, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t n = nc / g.c, c = nc % g.c, group = c / g.cg, ci = c % g.cg;
      T* out = gxp + nc * plane;
      std::fill(out, out + plane, T(0));
      for (int64_t oi = 0; oi < g.og; ++oi) {
        const int64_t oc = group * g.og + oi;
        const T* src_plane = gyp + (n * g.o + oc) * g.oh * g.ow;
        const T* k = wp + (oc * g.cg + ci) * g.kh * g.kw;
        ForEachTapRow(
            p, g, [&](int64_t i, int64_t j, int64_t r, int64_t in_row, int64_t lo, int64_t hi, int64_t col0) {
              const T wv = k[i * g.kw + j];
              const T* src = src_plane + r * g.ow;
              T* dst = out + in_row * g.w + col0;
              for (int64_t q = lo; q < hi; ++q) dst[q * p.stride_w] += wv * src[q];
            });
      }
    }
  });
}

template <class T>
void ConvBackwardWeightLoops(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                             const Tensor& gb) {
  const ConvGeometry g = GeometryOf(p, x.shape(), gw.shape(), gy.shape());
  const T* xp = x.data<T>();
  const T* gyp = gy.data<T>();
  T* gwp = gw.data<T>();
  T* gbp = gb.defined() ? gb.data<T>() : nullptr;
  const int64_t taps = g.kh * g.kw, oplane = g.oh * g.ow;
  ParallelFor(0, g.o, 1, [&](int64_t begin, int64_t end) {
    for (int64_t oc = begin; oc < end; ++oc) {
      const int64_t group = oc / g.og;
      if (gbp) {
        double s = 0;
        for (int64_t n = 0; n < g.n; ++n) {
          const T* src = gyp + (n * g.o + oc) * oplane;
          for (int64_t q = 0; q < oplane; ++q) s += src[q];
        }
        gbp[oc] = static_cast<T>(s);
      }
      for (int64_t ci = 0; ci < g.cg; ++ci) {
        T* k = gwp + (oc * g.cg + ci) * taps;
        std::vector<double> acc(taps, 0.0);
        for (int64_t n = 0; n < g.n; ++n) {
          const T* in = xp + (n * g.c + group * g.cg + ci) * g.h * g.w;
          const T* grad = gyp + (n * g.o + oc) * oplane;
          ForEachTapRow(
              p, g,
              [&](int64_t i, int64_t j, int64_t r, int64_t in_row, int64_t lo, int64_t hi, int64_t col0) {
                const T* src = in + in_row * g.w + col0;
                const T* gr = grad + r * g.ow;
                double s = 0;
                for (int64_t q = lo; q < hi; ++q) s += static_cast<double>(gr[q]) * src[q * p.stride_w];
                acc[i * g.kw + j] += s;
              });
        }
        for (int64_t t = 0; t < taps; ++t) k[t] = static_cast<T>(acc[t]);
      }
    }
  });
}

template void ConvForwardLoops<float>(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&,
                                      const Tensor&);
template void ConvForwardLoops<double>(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&,
                                       const Tensor&);
template void ConvBackwardDataLoops<float>(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&);
template void ConvBackwardDataLoops<double>(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&);
template void ConvBackwardWeightLoops<float>(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&,
                                             const Tensor&);
template void ConvBackwardWeightLoops<double>(const Conv2dParams&, const Tensor&, const Tensor&,
                                              const Tensor&, const Tensor&);

}  // namespace cpu
}  // namespace nb360
