// tests/ops/reference/conv_reference.h: textbook convolution loops over float64 data, the reference
// for the conv conformance cases. Written from the definitions (a sum per output element for the
// convolutions, a scatter per input element for the transposed one), independent of ops/cpu.
#ifndef NB360_TESTS_OPS_REFERENCE_CONV_REFERENCE_H_
#define NB360_TESTS_OPS_REFERENCE_CONV_REFERENCE_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {
namespace testing {

struct RefConvAttrs {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
  int64_t output_pad_h = 0, output_pad_w = 0;  // transposed conv only
};

// x (N, C, H, W), w (O, C/groups, KH, KW), b (O) or undefined -> (N, O, OH, OW); contiguous float64.
Tensor RefConv2d(const Tensor& x, const Tensor& w, const Tensor& b, const RefConvAttrs& a);

// x (N, C, L), w (O, C/groups, K), b (O) or undefined -> (N, O, OL); stride/pad/dilation from *_w.
Tensor RefConv1d(const Tensor& x, const Tensor& w, const Tensor& b, const RefConvAttrs& a);

// x (N, C, H, W), w (C, O/groups, KH, KW), b (O) or undefined -> (N, O, OH, OW).
Tensor RefConvTranspose2d(const Tensor& x, const Tensor& w, const Tensor& b, const RefConvAttrs& a);

}  // namespace testing
}  // namespace nb360

#endif  // NB360_TESTS_OPS_REFERENCE_CONV_REFERENCE_H_
