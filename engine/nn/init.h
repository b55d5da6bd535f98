// engine/nn/init.h: parameter initialisation, as torch.nn.init, drawing from a passed Generator.
//
// Every function fills a contiguous CPU floating tensor in place (no autograd record) and consumes
// numel() values of the generator's stream, so the same seed gives the same weights on any thread
// count. The Default*() functions are what each layer's constructor uses, matching the
// distributions of PyTorch's reset_parameters() (the values differ: the generators differ).
//
// Example:
//   Generator gen(0);
//   nn::init::KaimingNormal(w, gen, 0.0, nn::init::FanMode::kFanOut, nn::init::Nonlinearity::kRelu);
#ifndef NB360_ENGINE_NN_INIT_H_
#define NB360_ENGINE_NN_INIT_H_

#include <cstdint>
#include <utility>

#include "engine/rng.h"
#include "engine/tensor.h"

namespace nb360 {
namespace nn {
namespace init {

enum class FanMode { kFanIn, kFanOut };

enum class Nonlinearity { kLinear, kConv, kSigmoid, kTanh, kRelu, kLeakyRelu, kSelu };

// torch.nn.init.calculate_gain; `param` is leaky_relu's negative slope.
double CalculateGain(Nonlinearity nonlinearity, double param = 0.01);

// (fan_in, fan_out) of a weight with >= 2 dims: (size(1) * receptive, size(0) * receptive), where
// receptive is the product of dims 2.. (torch's _calculate_fan_in_and_fan_out).
std::pair<int64_t, int64_t> CalculateFanInAndFanOut(const Tensor& t);

void Uniform(const Tensor& t, double lo, double hi, Generator& gen);
void Normal(const Tensor& t, double mean, double stddev, Generator& gen);
void Constant(const Tensor& t, double value);
void Zeros(const Tensor& t);
void Ones(const Tensor& t);

// U(-b, b), b = gain * sqrt(3 / fan); gain = CalculateGain(nonlinearity, a).
void KaimingUniform(const Tensor& t, Generator& gen, double a = 0.0, FanMode mode = FanMode::kFanIn,
                    Nonlinearity nonlinearity = Nonlinearity::kLeakyRelu);
// N(0, std^2), std = gain / sqrt(fan).
void KaimingNormal(const Tensor& t, Generator& gen, double a = 0.0, FanMode mode = FanMode::kFanIn,
                   Nonlinearity nonlinearity = Nonlinearity::kLeakyRelu);
// U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).
void XavierUniform(const Tensor& t, Generator& gen, double gain = 1.0);
// N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
void XavierNormal(const Tensor& t, Generator& gen, double gain = 1.0);

// The bound used for a Linear/Conv bias: 1 / sqrt(fan_in) of `weight` (0 if fan_in is 0).
double DefaultBiasBound(const Tensor& weight);

// Linear, Conv1d/2d, ConvTranspose2d: weight kaiming_uniform_(a = sqrt(5)), then (if defined) bias
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in taken from the weight (for a transposed
// convolution's (C_in, C_out/g, k...) weight that is C_out/g * k..., as torch).
void DefaultLinear(const Tensor& weight, const Tensor& bias, Generator& gen);
void DefaultConv(const Tensor& weight, const Tensor& bias, Generator& gen);
// BatchNorm / LayerNorm: weight 1, bias 0 (either may be undefined).
void DefaultNorm(const Tensor& weight, const Tensor& bias);
// MultiheadAttention: in_proj_weight xavier_uniform_, in_proj_bias 0; out_proj as Linear with its
// bias then set to 0.
void DefaultMultiheadAttention(const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                               const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                               Generator& gen);

}  // namespace init
}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_INIT_H_
