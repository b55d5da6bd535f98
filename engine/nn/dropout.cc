#include "engine/nn/dropout.h"

#include "ops/dropout.h"

namespace nb360 {
namespace nn {

namespace {

double CheckP(double p) {
  NB_CHECK(p >= 0.0 && p <= 1.0, "Dropout: p must be in [0, 1], got ", p);
  return p;
}

}  // namespace

Dropout::Dropout(double p, uint64_t seed) : Module("Dropout"), p_(CheckP(p)), gen_(Generator(seed).Fork("dropout")) {}

Dropout::Dropout(double p, Generator& gen)
    : Module("Dropout"), p_(CheckP(p)), gen_(Generator(gen.NextUint64()).Fork("dropout")) {}

Tensor Dropout::Forward(const Tensor& x) { return nb360::Dropout(x, p_, is_training(), gen_); }

std::string Dropout::ExtraRepr() const { return StrCat("p=", p_); }

}  // namespace nn
}  // namespace nb360
