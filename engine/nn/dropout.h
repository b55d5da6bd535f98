// engine/nn/dropout.h: Dropout with its own counter-based generator (torch.nn.Dropout).
//
// The module owns a Generator, so its masks are a pure function of (seed, number of elements
// dropped so far): the same seed and call sequence give bitwise the same masks on any thread
// count. generator() exposes the (seed, offset) state for checkpoints.
#ifndef NB360_ENGINE_NN_DROPOUT_H_
#define NB360_ENGINE_NN_DROPOUT_H_

#include <cstdint>

#include "engine/nn/module.h"
#include "engine/rng.h"

namespace nb360 {
namespace nn {

class Dropout : public Module {
 public:
  // Generator = Generator(seed).Fork("dropout").
  Dropout(double p, uint64_t seed);
  // Draws a seed from `gen` (advancing it by one), so modules built from one generator get
  // independent streams.
  Dropout(double p, Generator& gen);

  // Training: zeroes each element with probability p and scales the rest by 1 / (1 - p).
  // Eval (or p == 0): returns x.
  Tensor Forward(const Tensor& x) override;
  std::string ExtraRepr() const override;

  double p() const { return p_; }
  Generator& generator() { return gen_; }

 private:
  double p_;
  Generator gen_;
};

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_DROPOUT_H_
