// tests/ops/reference/loss_reference.h: plain float64 loops for the losses and attention
// (ops/loss.h, ops/attention.h), written from the PyTorch formulas, for the conformance cases.
//
// Every tensor argument is contiguous float64 (targets int64, masks bool or float64); optional ones
// may be undefined. Nothing here calls an op.
#ifndef NB360_TESTS_OPS_REFERENCE_LOSS_REFERENCE_H_
#define NB360_TESTS_OPS_REFERENCE_LOSS_REFERENCE_H_

#include <cstdint>

#include "engine/tensor.h"
#include "ops/loss.h"

namespace nb360 {
namespace testing {

// logits (N, C, ...), target (N, ...), weight (C) or undefined.
Tensor RefCrossEntropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                       Reduction reduction, double label_smoothing);
// logits, target same shape; weight and pos_weight broadcastable or undefined.
Tensor RefBceWithLogits(const Tensor& logits, const Tensor& target, const Tensor& weight, const Tensor& pos_weight,
                        Reduction reduction);
Tensor RefMse(const Tensor& pred, const Tensor& target, Reduction reduction);
Tensor RefL1(const Tensor& pred, const Tensor& target, Reduction reduction);
// pred, target (N, ...).
Tensor RefRelativeL2(const Tensor& pred, const Tensor& target, Reduction reduction);
// q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv), mask broadcastable to (B, H, Lq, Lk) or undefined.
Tensor RefAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale);
// query (B, Lq, E), key/value (B, Lk, E), packed in-projection (3E, E) + (3E), out-projection (E, E) + (E).
Tensor RefMultiHeadAttention(const Tensor& query, const Tensor& key, const Tensor& value, int64_t heads,
                             const Tensor& in_w, const Tensor& in_b, const Tensor& out_w, const Tensor& out_b,
                             const Tensor& mask);

}  // namespace testing
}  // namespace nb360

#endif  // NB360_TESTS_OPS_REFERENCE_LOSS_REFERENCE_H_
