// ops/cpu/conv_loops.h: direct-loop 2-d convolution kernels for any floating type.
//
// These serve float64 (gradient checks, golden tests) and are the fallback where oneDNN declines a
// float32 geometry. Plain loops parallel over the independent output planes; no blocking or
// vectorisation beyond what the compiler does with the innermost row.
#ifndef NB360_OPS_CPU_CONV_LOOPS_H_
#define NB360_OPS_CPU_CONV_LOOPS_H_

#include "ops/conv.h"

namespace nb360 {
namespace cpu {

// Same contracts as Conv2dKernels (contiguous operands of dtype T).
template <class T>
void ConvForwardLoops(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                      const Tensor& y);
template <class T>
void ConvBackwardDataLoops(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx);
template <class T>
void ConvBackwardWeightLoops(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                             const Tensor& gb);

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_CONV_LOOPS_H_
