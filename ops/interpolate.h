// ops/interpolate.h: spatial resizing of (N, C, H, W) maps, as torch.nn.functional.interpolate.
//
// A primitive with hand-written kernels: forward reads each output pixel's source pixel(s); backward
// scatter-adds the output gradient with the same weights. Indices and weights follow PyTorch exactly:
// nearest takes src = floor(dst * (in / out)) (computed in float32, as PyTorch does, so the indices
// agree bit for bit); bilinear maps dst to src = dst * (in - 1) / (out - 1) with align_corners, else
// src = max((dst + 0.5) * in / out - 0.5, 0), and blends the two neighbours floor(src) and
// min(floor(src) + 1, in - 1). Left out: scale factors instead of sizes, 1-d/3-d, bicubic, area,
// nearest-exact, antialiasing, channels-last layouts.
#ifndef NB360_OPS_INTERPOLATE_H_
#define NB360_OPS_INTERPOLATE_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {

enum class InterpolateMode { kNearest, kBilinear };

struct InterpolateParams {
  InterpolateMode mode = InterpolateMode::kNearest;
  bool align_corners = false;
  bool operator==(const InterpolateParams& o) const {
    return mode == o.mode && align_corners == o.align_corners;
  }
};

struct InterpolateKernels {
  // x (N, C, H, W) contiguous -> y (N, C, OH, OW) contiguous.
  void (*forward)(const InterpolateParams& p, const Tensor& x, const Tensor& y);
  // gy (N, C, OH, OW) contiguous -> gx (N, C, H, W) contiguous, overwritten with the scatter-add.
  void (*backward)(const InterpolateParams& p, const Tensor& gy, const Tensor& gx);
};

namespace cpu {
extern const InterpolateKernels kInterpolate;
}
namespace cuda {
extern const InterpolateKernels kInterpolate;
}

// x (N, C, H, W) -> (N, C, out_h, out_w); semantics exactly as torch.nn.functional.interpolate
// (nearest: src = floor(dst * in/out); bilinear with align_corners true/false). align_corners must be
// false for nearest (PyTorch rejects it too).
Tensor Interpolate(const Tensor& x, int64_t out_h, int64_t out_w, InterpolateMode mode,
                   bool align_corners = false);

}  // namespace nb360

#endif  // NB360_OPS_INTERPOLATE_H_
