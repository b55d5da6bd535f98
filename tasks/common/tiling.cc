// tasks/common/tiling.cc: see tiling.h.
#include "tasks/common/tiling.h"

#include "engine/check.h"

namespace nb360::tasks {

Tensor PredictTiled(const std::function<Tensor(const Tensor&)>& model, const Tensor& x, int64_t tile) {
  NB_CHECK(x.defined() && x.dim() == 4, "PredictTiled: expected (N, C, H, W), got ",
           x.defined() ? x.Describe() : std::string("undefined"));
  NB_CHECK(tile > 0 && x.size(2) % tile == 0 && x.size(3) % tile == 0, "PredictTiled: ", x.Describe(),
           " is not a whole number of ", tile, " x ", tile, " tiles");
  const int64_t n = x.size(0);
  Tensor result;
  for (int64_t r = 0; r < x.size(2); r += tile) {
    for (int64_t c = 0; c < x.size(3); c += tile) {
      const Tensor window = x.Narrow(2, r, tile).Narrow(3, c, tile).Contiguous();
      const Tensor out = model(window).Detach();
      NB_CHECK(out.defined() && out.dim() == 4 && out.size(0) == n && out.size(2) == tile &&
                   out.size(3) == tile,
               "PredictTiled: the model mapped a ", window.Describe(), " tile to ",
               out.defined() ? out.Describe() : std::string("undefined"));
      if (!result.defined()) {
        result = Tensor::Empty({n, out.size(1), x.size(2), x.size(3)}, out.dtype(), out.device());
      }
      NB_CHECK(out.size(1) == result.size(1) && out.dtype() == result.dtype(),
               "PredictTiled: tile outputs disagree: ", out.Describe(), " after ", result.Describe());
      result.Narrow(2, r, tile).Narrow(3, c, tile).CopyFrom(out);
    }
  }
  return result;
}

}  // namespace nb360::tasks
