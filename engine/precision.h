// engine/precision.h: how float32 math may be sped up at the cost of precision, as runtime values.
//
// Two switches, both off by default (float32 ops then round as float32 on every backend):
//  * TF32 (process-wide): float32 GEMMs and convolutions on a CUDA device may use TF32 tensor cores
//    (operands rounded to a 10-bit mantissa, float32 accumulation). The CPU backend ignores it.
//  * bf16 autocast (per thread, scoped): float32 convolutions (Conv1d/2d, ConvTranspose2d) and
//    matrix products (Matmul, Linear, attention products) created inside an AutocastScope compute
//    "in bfloat16": their operands are rounded to bfloat16 (8-bit mantissa, round to nearest even),
//    products are accumulated in float32 and each result is rounded to bfloat16; tensors stay
//    float32 in memory, every other op runs in float32. Their gradients follow the same rule (the
//    choice is recorded with the op, so backward runs as forward did). On a CUDA device this is
//    cuDNN's / cuBLAS's bf16 tensor-core math; on the CPU it is the reference of those numerics
//    (explicit rounding around the float32 kernels, no speed-up). float64 ops are never affected.
#ifndef NB360_ENGINE_PRECISION_H_
#define NB360_ENGINE_PRECISION_H_

#include <cstdint>
#include <string_view>

namespace nb360 {

enum class MathPrecision : uint8_t {
  kFloat32,   // as the dtype says
  kBFloat16,  // bf16 operands and results, float32 accumulation (see above)
};

std::string_view MathPrecisionName(MathPrecision p);

// TF32 for float32 GEMMs and convolutions on CUDA devices, issued from now on (all threads).
void SetAllowTf32(bool allow);
bool AllowTf32();

// The precision float32 convolutions and matrix products created now on this thread run in.
MathPrecision AutocastPrecision();

// Sets this thread's autocast precision for its lifetime, restoring the previous one after.
class AutocastScope {
 public:
  explicit AutocastScope(MathPrecision precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  MathPrecision previous_;
};

// Rounds a float32 value to the nearest bfloat16 (ties to even) and back; NaN stays NaN, infinities
// and values that round past the largest bfloat16 become infinities.
inline float RoundToBFloat16(float v) {
  uint32_t bits;
  __builtin_memcpy(&bits, &v, sizeof bits);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) return v;  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  bits &= 0xffff0000u;
  float out;
  __builtin_memcpy(&out, &bits, sizeof out);
  return out;
}

}  // namespace nb360

#endif  // NB360_ENGINE_PRECISION_H_
