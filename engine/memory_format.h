// engine/memory_format.h: the channels-last memory format of 3-d and 4-d tensors.
//
// A tensor keeps its logical shape (N, C, L) or (N, C, H, W); "channels-last" only says how its
// elements lie in memory: channels innermost, strides (L*C, 1, C) or (H*W*C, 1, W*C, C), exactly
// (also for size-1 dimensions, so that (N, 1, L) in either format is told apart, as PyTorch does).
// Ops that know the format keep it (convolution on oneDNN, BatchNorm, same-shape elementwise ops,
// gradient accumulation); every other op reads such tensors through their strides or copies them
// to contiguous, so a channels-last tensor is never wrong anywhere, only slower in places.
#ifndef NB360_ENGINE_MEMORY_FORMAT_H_
#define NB360_ENGINE_MEMORY_FORMAT_H_

#include "engine/tensor.h"

namespace nb360 {

// The channels-last strides of a 3-d or 4-d shape.
Shape ChannelsLastStrides(const Shape& shape);

// Whether t is 3-d or 4-d with exactly the channels-last strides.
bool IsChannelsLast(const Tensor& t);

// An uninitialised channels-last tensor of logical shape `shape` (3-d or 4-d).
Tensor EmptyChannelsLast(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::CPU());

// An uninitialised tensor of `shape` in like's format: channels-last when like is and has `shape`,
// contiguous otherwise.
Tensor EmptyInFormatOf(const Tensor& like, const Shape& shape, DType dtype);

// A view of t with its dimensions in memory order: (N, L, C) or (N, H, W, C) for a channels-last t,
// contiguous then; for elementwise kernels, which run fastest over contiguous rows. Not recorded
// for autograd (use on detached tensors).
Tensor MemoryOrderView(const Tensor& t);

// t in the channels-last format (t itself when it already is), differentiable: the gradient passes
// through unchanged.
Tensor ToChannelsLast(const Tensor& t);

}  // namespace nb360

#endif  // NB360_ENGINE_MEMORY_FORMAT_H_
