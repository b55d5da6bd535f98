// ops/shape_ops.h: joining, splitting, padding and indexing.
//
// Cat, Pad, IndexSelect and Gather are primitives; Stack, Split, Chunk and ChannelShuffle are
// compositions of them and of views.
#ifndef NB360_OPS_SHAPE_OPS_H_
#define NB360_OPS_SHAPE_OPS_H_

#include <vector>

#include "engine/tensor.h"

namespace nb360 {

struct CopyKernels {
  // dst (a strided view) = src (same shape).
  void (*copy)(const Tensor& src, const Tensor& dst);
  // Every element of dst (a contiguous tensor) = value.
  void (*fill)(const Tensor& dst, double value);
};

struct IndexSelectKernels {
  // out = x.index_select(dim, index); x contiguous, out contiguous, index int64 (K).
  void (*forward)(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out);
  // gx (zeroed, contiguous) += scatter of g along dim at index.
  void (*backward)(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& gx);
};

struct GatherKernels {
  // out[.., i, ..] = x[.., index[.., i, ..], ..] along dim; x, index, out contiguous.
  void (*forward)(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out);
  // gx (zeroed) at index positions += g.
  void (*backward)(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& gx);
};

namespace cpu {
extern const CopyKernels kCopy;
extern const IndexSelectKernels kIndexSelect;
extern const GatherKernels kGather;
}  // namespace cpu
namespace cuda {
extern const CopyKernels kCopy;
extern const IndexSelectKernels kIndexSelect;
extern const GatherKernels kGather;
}  // namespace cuda

Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim);
// Pieces of size `split_size` along dim (the last may be smaller).
std::vector<Tensor> Split(const Tensor& x, int64_t split_size, int64_t dim);
std::vector<Tensor> SplitSizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
std::vector<Tensor> Chunk(const Tensor& x, int64_t chunks, int64_t dim);
// Constant padding, PyTorch order: {last_lo, last_hi, second_last_lo, second_last_hi, ...}.
Tensor Pad(const Tensor& x, const std::vector<int64_t>& pad, double value = 0.0);
// x.index_select(dim, index) with int64 index (K).
Tensor IndexSelect(const Tensor& x, int64_t dim, const Tensor& index);
// torch.gather: index has x's rank; out has index's shape.
Tensor Gather(const Tensor& x, int64_t dim, const Tensor& index);
// x (N, C, ...) -> channels regrouped: (N, g, C/g, ...) transposed to (N, C/g, g, ...).
Tensor ChannelShuffle(const Tensor& x, int64_t groups);

}  // namespace nb360

#endif  // NB360_OPS_SHAPE_OPS_H_
