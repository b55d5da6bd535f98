// ops/dropout.cc: Dropout as mask * x (the mask is a constant, so Mul's gradient is mask * g).
#include "ops/dropout.h"

#include "engine/autograd.h"
#include "ops/elementwise.h"

namespace nb360 {

Tensor Dropout(const Tensor& x, double p, bool training, Generator& gen) {
  NB_CHECK(x.defined(), "Dropout: undefined input");
  NB_CHECK(IsFloating(x.dtype()), "Dropout: needs a floating tensor, got ", x.Describe());
  NB_CHECK(p >= 0.0 && p <= 1.0, "Dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return Mul(x, 0.0);
  Tensor mask = Tensor::Empty(x.shape(), x.dtype(), x.device());  // drawn where x lives
  gen.Bernoulli(mask, 1.0 - p);
  {
    NoGradGuard no_grad;
    mask = Mul(mask, 1.0 / (1.0 - p));
  }
  return Mul(x, mask);
}

}  // namespace nb360
