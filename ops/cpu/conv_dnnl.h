// ops/cpu/conv_dnnl.h: float32 2-d convolution on oneDNN (forward, backward data, backward weights).
//
// User tensors stay plain (nchw data, oihw / goihw weights). Each pass runs one oneDNN primitive
// built for the exact shape and params and cached (see conv_dnnl.cc for the layout policy). Each
// function returns false, having written nothing, when oneDNN offers no implementation for the
// geometry; the caller then runs the direct loops.
#ifndef NB360_OPS_CPU_CONV_DNNL_H_
#define NB360_OPS_CPU_CONV_DNNL_H_

#include "ops/conv.h"

namespace nb360 {
namespace cpu {

// Same contracts as Conv2dKernels, for contiguous float32 operands.
bool DnnlConvForward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                     const Tensor& y);
bool DnnlConvBackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx);
bool DnnlConvBackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                            const Tensor& gb);

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_CONV_DNNL_H_
