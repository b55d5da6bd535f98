// ops/cpu/vec_math.h: vectorised float32 transcendental functions for the CPU kernels.
//
// 8 lanes at a time through glibc's libmvec AVX2 variants (expf, logf, log1pf, tanhf, erff; within a
// few ulp of the scalar functions), with a scalar tail. Arrays are contiguous; y may alias x.
// Left out: double precision (the float64 paths are the reference loops).
#ifndef NB360_OPS_CPU_VEC_MATH_H_
#define NB360_OPS_CPU_VEC_MATH_H_

#include <cstdint>

namespace nb360 {
namespace cpu {

void VecExp(const float* x, float* y, int64_t n);
void VecLog(const float* x, float* y, int64_t n);
void VecLog1p(const float* x, float* y, int64_t n);
void VecTanh(const float* x, float* y, int64_t n);
void VecErf(const float* x, float* y, int64_t n);

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_VEC_MATH_H_
