#include "ops/cpu/vec_math.h"

#include <immintrin.h>

#include <cmath>

// glibc's libmvec (x86-64 ABI names of the AVX2 8-lane variants).
extern "C" {
__m256 _ZGVdN8v_expf(__m256 x);
__m256 _ZGVdN8v_logf(__m256 x);
__m256 _ZGVdN8v_log1pf(__m256 x);
__m256 _ZGVdN8v_tanhf(__m256 x);
__m256 _ZGVdN8v_erff(__m256 x);
}

namespace nb360 {
namespace cpu {
namespace {

template <class Vec, class Scalar>
void Apply(const float* x, float* y, int64_t n, Vec vec, Scalar scalar) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, vec(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = scalar(x[i]);
}

}  // namespace

void VecExp(const float* x, float* y, int64_t n) {
  Apply(x, y, n, _ZGVdN8v_expf, [](float v) { return std::exp(v); });
}
void VecLog(const float* x, float* y, int64_t n) {
  Apply(x, y, n, _ZGVdN8v_logf, [](float v) { return std::log(v); });
}
void VecLog1p(const float* x, float* y, int64_t n) {
  Apply(x, y, n, _ZGVdN8v_log1pf, [](float v) { return std::log1p(v); });
}
void VecTanh(const float* x, float* y, int64_t n) {
  Apply(x, y, n, _ZGVdN8v_tanhf, [](float v) { return std::tanh(v); });
}
void VecErf(const float* x, float* y, int64_t n) {
  Apply(x, y, n, _ZGVdN8v_erff, [](float v) { return std::erf(v); });
}

}  // namespace cpu
}  // namespace nb360
