// ops/dropout.h: inverted dropout (a composition: a Bernoulli mask times the input, no kernel).
//
// At train time each element is kept with probability 1 - p and scaled by 1 / (1 - p); p = 1 gives
// zeros; in eval (or with p = 0) the input is returned unchanged. The mask comes from the counter-based
// Generator: it consumes x.numel() counters, so the same (seed, offset) gives the same mask on any
// thread count. Left out: in-place dropout, channel-wise (Dropout2d) and alpha dropout.
#ifndef NB360_OPS_DROPOUT_H_
#define NB360_OPS_DROPOUT_H_

#include "engine/rng.h"
#include "engine/tensor.h"

namespace nb360 {

// x (any shape, floating) -> x's shape. p in [0, 1]. Advances `gen` only when a mask is drawn
// (training with 0 < p < 1).
Tensor Dropout(const Tensor& x, double p, bool training, Generator& gen);

}  // namespace nb360

#endif  // NB360_OPS_DROPOUT_H_
