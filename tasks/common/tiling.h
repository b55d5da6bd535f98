// tasks/common/tiling.h: PSICOV test-time prediction with non-overlapping square tiles (tasks spec §6.8
// step 1, the original `forward_window(x, 128)`: every tile of the 512 x 512 canvas goes through the
// model on its own and is written back; there is no overlap, so no averaging).
//
// Leaves out: overlapping windows and any averaging (the original's counts are all 1), gradients (the
// outputs are detached; run it under NoGradGuard), and batching across tiles.
#ifndef NB360_TASKS_COMMON_TILING_H_
#define NB360_TASKS_COMMON_TILING_H_

#include <functional>

#include "engine/tensor.h"

namespace nb360::tasks {

// x: (N, C, H, W) with H and W multiples of `tile`. `model` maps (N, C, tile, tile) to
// (N, C_out, tile, tile). Returns (N, C_out, H, W) in the model's output dtype, tiles visited row by
// row.
Tensor PredictTiled(const std::function<Tensor(const Tensor&)>& model, const Tensor& x, int64_t tile);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_TILING_H_
