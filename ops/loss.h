// ops/loss.h: training losses (cross-entropy, BCE-with-logits, MSE, L1, relative L2).
//
// Every loss is a composition of existing differentiable ops (log-softmax, gather, elementwise,
// reduce, matmul), so there are no kernels and no hand-written gradients here. Semantics follow
// torch.nn.functional exactly for the arguments listed. Class labels and CrossEntropy's class
// weights are constants read on the host (targets must be CPU tensors); gradients flow to the
// logits / predictions and to floating targets and BCE weights.
//
// Left out: probability ("soft") targets for CrossEntropy, the size_average/reduce legacy flags,
// broadcasting of pred/target in MseLoss/L1Loss/RelativeL2Loss (shapes must match), and gradients
// for CrossEntropy's class weights (constants, as in PyTorch).
#ifndef NB360_OPS_LOSS_H_
#define NB360_OPS_LOSS_H_

#include <cstdint>

#include "engine/tensor.h"

namespace nb360 {

enum class Reduction { kNone, kMean, kSum };

// torch.nn.functional.cross_entropy.
// logits (N, C) or (N, C, d1, ...); target int64 (N) or (N, d1, ...) with values in [0, C) or equal to
// ignore_index; weight (C) or undefined. Ignored entries contribute nothing; kMean divides by the sum of
// weight[target] over non-ignored entries (their count without weights; all ignored gives NaN, as
// PyTorch). label_smoothing in [0, 1] mixes in the uniform distribution as PyTorch does.
// Returns a 0-d tensor, or (N) / (N, d1, ...) for kNone.
Tensor CrossEntropy(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                    int64_t ignore_index = -100, Reduction reduction = Reduction::kMean,
                    double label_smoothing = 0.0);

// torch.nn.functional.binary_cross_entropy_with_logits (numerically stable: no exp overflow).
// logits (..., C); target same shape, floating, no NaN; weight broadcastable to logits' shape or
// undefined; pos_weight (C) (anything broadcastable to logits' shape) or undefined.
// Per element: w * (pos_weight * t * softplus(-x) + (1 - t) * softplus(x)), evaluated as
// w * ((1 + (pos_weight - 1) * t) * softplus(x) - pos_weight * t * x): finite for any |x|, with an
// absolute rounding error of order eps * |x| (the same order as PyTorch's own formula).
Tensor BinaryCrossEntropyWithLogits(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                                   const Tensor& pos_weight = Tensor(), Reduction reduction = Reduction::kMean);

// (pred - target)^2 and |pred - target|; pred and target (...) with the same shape.
Tensor MseLoss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::kMean);
Tensor L1Loss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::kMean);

// Per sample n: rel_n = ||pred_n - target_n||_2 / ||target_n||_2 over all non-batch elements.
// pred, target (N, ...) with the same shape. kSum is the Darcy Flow training loss
// (LpLoss(size_average=False), spec tasks.md 5.4); kMean the per-sample mean; kNone returns (N).
// The gradient is undefined (NaN) where pred_n == target_n exactly, like d||x||/dx at 0.
Tensor RelativeL2Loss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::kSum);

}  // namespace nb360

#endif  // NB360_OPS_LOSS_H_
