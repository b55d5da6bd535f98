// ops/cpu/conv_geometry.h: index arithmetic shared by the direct-loop conv kernels.
//
// The loops walk one (kernel tap, output row) pair at a time over the span of output columns whose
// input columns lie inside the image, so their innermost loops need no bounds tests.
#ifndef NB360_OPS_CPU_CONV_GEOMETRY_H_
#define NB360_OPS_CPU_CONV_GEOMETRY_H_

#include <algorithm>
#include <cstdint>

#include "ops/conv.h"

namespace nb360 {
namespace cpu {

// Sizes of one convolution, read off its operands.
struct ConvGeometry {
  int64_t n, c, h, w;  // input
  int64_t o, oh, ow;   // output
  int64_t kh, kw;      // kernel
  int64_t cg, og;      // channels per group, in and out
};

// x (N, C, H, W), w (O, C/groups, KH, KW), y (N, O, OH, OW).
inline ConvGeometry GeometryOf(const Conv2dParams& p, const Shape& x, const Shape& w, const Shape& y) {
  return {x[0], x[1], x[2], x[3], y[1], y[2], y[3], w[2], w[3], x[1] / p.groups, y[1] / p.groups};
}

// Output columns [lo, hi) whose input column q * stride - pad + k * dilation lies in [0, in).
inline void ColumnRange(int64_t k, int64_t stride, int64_t pad, int64_t dilation, int64_t in, int64_t out,
                        int64_t* lo, int64_t* hi) {
  const int64_t shift = k * dilation - pad;  // input column of output column 0
  *lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  const int64_t last = in - 1 - shift;  // largest q * stride allowed
  *hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

// Calls fn(i, j, out_row, in_row, lo, hi, col0) for every kernel tap (i, j) and output row whose
// input row is inside the image; output columns q in [lo, hi) read input column col0 + q * stride_w.
template <class Fn>
void ForEachTapRow(const Conv2dParams& p, const ConvGeometry& g, const Fn& fn) {
  for (int64_t i = 0; i < g.kh; ++i) {
    for (int64_t j = 0; j < g.kw; ++j) {
      int64_t lo, hi;
      ColumnRange(j, p.stride_w, p.pad_w, p.dilation_w, g.w, g.ow, &lo, &hi);
      if (lo >= hi) continue;
      const int64_t col0 = j * p.dilation_w - p.pad_w;
      for (int64_t r = 0; r < g.oh; ++r) {
        const int64_t in_row = r * p.stride_h - p.pad_h + i * p.dilation_h;
        if (in_row < 0 || in_row >= g.h) continue;
        fn(i, j, r, in_row, lo, hi, col0);
      }
    }
  }
}

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_CONV_GEOMETRY_H_
