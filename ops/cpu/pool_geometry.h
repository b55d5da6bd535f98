// ops/cpu/pool_geometry.h: window arithmetic shared by the CPU pooling kernels (internal to
// ops/cpu): one axis of a sweep, a plane's geometry, and the loop over the N * C planes.
#ifndef NB360_OPS_CPU_POOL_GEOMETRY_H_
#define NB360_OPS_CPU_POOL_GEOMETRY_H_

#include <algorithm>
#include <cstdint>

#include "engine/parallel.h"
#include "ops/pool.h"

namespace nb360 {
namespace cpu {
namespace pool {

// One axis of a pooling sweep: input length, output length, window, stride, padding.
struct Axis {
  int64_t in, out, k, s, pad;
  // Window of output o clipped to the input: [Lo(o), Hi(o)).
  int64_t Lo(int64_t o) const { return std::max<int64_t>(o * s - pad, 0); }
  int64_t Hi(int64_t o) const { return std::min(o * s - pad + k, in); }
  // This axis' factor of output o's divisor: the window clipped to the padded or the real input.
  int64_t Count(int64_t o, bool include_pad) const {
    if (!include_pad) return Hi(o) - Lo(o);
    const int64_t start = o * s - pad;
    return std::min(start + k, in + pad) - start;
  }
};

struct Geometry {
  Axis h, w;
  int64_t planes;
  int64_t in_plane() const { return h.in * w.in; }
  int64_t out_plane() const { return h.out * w.out; }
  int64_t taps() const { return h.k * w.k; }
};

inline Geometry MakeGeometry(const Pool2dParams& p, const Shape& in, const Shape& out) {
  return {{in[2], out[2], p.kernel_h, p.stride_h, p.pad_h},
          {in[3], out[3], p.kernel_w, p.stride_w, p.pad_w},
          in[0] * in[1]};
}

// Calls fn(first_plane, end_plane) on chunks of planes, in parallel when the work is large.
template <class Fn>
void ForPlanes(int64_t planes, int64_t work_per_plane, const Fn& fn) {
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work_per_plane, 1));
  ParallelFor(0, planes, grain, fn);
}

}  // namespace pool
}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_POOL_GEOMETRY_H_
