#include "engine/nn/init.h"

#include <cmath>

namespace nb360 {
namespace nn {
namespace init {

namespace {

void CheckFillable(const Tensor& t, const char* fn) {
  NB_CHECK(t.defined(), "init::", fn, ": undefined tensor");
  NB_CHECK(IsFloating(t.dtype()) && t.device().is_cpu() && t.is_contiguous(), "init::", fn,
           ": needs a contiguous CPU floating tensor, got ", t.Describe());
}

double Fan(const Tensor& t, FanMode mode) {
  const auto [fan_in, fan_out] = CalculateFanInAndFanOut(t);
  return static_cast<double>(mode == FanMode::kFanIn ? fan_in : fan_out);
}

}  // namespace

double CalculateGain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::kLinear:
    case Nonlinearity::kConv:
    case Nonlinearity::kSigmoid:
      return 1.0;
    case Nonlinearity::kTanh:
      return 5.0 / 3.0;
    case Nonlinearity::kRelu:
      return std::sqrt(2.0);
    case Nonlinearity::kLeakyRelu:
      return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::kSelu:
      return 3.0 / 4.0;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> CalculateFanInAndFanOut(const Tensor& t) {
  NB_CHECK(t.defined() && t.dim() >= 2, "init: fan in and fan out need a tensor with >= 2 dims, got ",
           t.defined() ? t.Describe() : std::string("undefined"));
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

void Uniform(const Tensor& t, double lo, double hi, Generator& gen) {
  CheckFillable(t, "Uniform");
  gen.Uniform(t, lo, hi);
}

void Normal(const Tensor& t, double mean, double stddev, Generator& gen) {
  CheckFillable(t, "Normal");
  gen.Normal(t, mean, stddev);
}

void Constant(const Tensor& t, double value) {
  NB_CHECK(t.defined(), "init::Constant: undefined tensor");
  t.Fill(value);
}

void Zeros(const Tensor& t) { Constant(t, 0.0); }
void Ones(const Tensor& t) { Constant(t, 1.0); }

void KaimingUniform(const Tensor& t, Generator& gen, double a, FanMode mode, Nonlinearity nonlinearity) {
  CheckFillable(t, "KaimingUniform");
  const double fan = Fan(t, mode);
  if (fan == 0.0) return;  // torch warns and leaves a zero-element tensor alone
  const double bound = CalculateGain(nonlinearity, a) * std::sqrt(3.0 / fan);
  gen.Uniform(t, -bound, bound);
}

void KaimingNormal(const Tensor& t, Generator& gen, double a, FanMode mode, Nonlinearity nonlinearity) {
  CheckFillable(t, "KaimingNormal");
  const double fan = Fan(t, mode);
  if (fan == 0.0) return;
  gen.Normal(t, 0.0, CalculateGain(nonlinearity, a) / std::sqrt(fan));
}

void XavierUniform(const Tensor& t, Generator& gen, double gain) {
  CheckFillable(t, "XavierUniform");
  const auto [fan_in, fan_out] = CalculateFanInAndFanOut(t);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  gen.Uniform(t, -bound, bound);
}

void XavierNormal(const Tensor& t, Generator& gen, double gain) {
  CheckFillable(t, "XavierNormal");
  const auto [fan_in, fan_out] = CalculateFanInAndFanOut(t);
  gen.Normal(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

double DefaultBiasBound(const Tensor& weight) {
  const int64_t fan_in = CalculateFanInAndFanOut(weight).first;
  return fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
}

void DefaultLinear(const Tensor& weight, const Tensor& bias, Generator& gen) {
  KaimingUniform(weight, gen, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = DefaultBiasBound(weight);
    Uniform(bias, -bound, bound, gen);
  }
}

void DefaultConv(const Tensor& weight, const Tensor& bias, Generator& gen) {
  DefaultLinear(weight, bias, gen);
}

void DefaultNorm(const Tensor& weight, const Tensor& bias) {
  if (weight.defined()) Ones(weight);
  if (bias.defined()) Zeros(bias);
}

void DefaultMultiheadAttention(const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                               const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                               Generator& gen) {
  XavierUniform(in_proj_weight, gen);
  if (in_proj_bias.defined()) Zeros(in_proj_bias);
  KaimingUniform(out_proj_weight, gen, std::sqrt(5.0));
  if (out_proj_bias.defined()) Zeros(out_proj_bias);
}

}  // namespace init
}  // namespace nn
}  // namespace nb360
