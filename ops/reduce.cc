#include "ops/reduce.h"

#include "engine/autograd.h"
#include "engine/memory_format.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

std::vector<bool> MaskOf(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> mask(x.dim(), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = d < 0 ? d + x.dim() : d;
    NB_CHECK(w >= 0 && w < x.dim(), op, ": dimension ", d, " out of range for ", x.Describe());
    mask[w] = true;
  }
  return mask;
}

Shape ReducedShape(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  Shape s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (!mask[d]) s.push_back(x.shape()[d]);
    else if (keepdim) s.push_back(1);
  }
  return s;
}

Shape KeepDimShape(const Tensor& x, const std::vector<bool>& mask) { return ReducedShape(x, mask, true); }

// A channels-last x is reduced in memory order (contiguous rows) when the kept dimensions come out
// in the same order that way (every reduction over N, the spatial dims and/or C but one that keeps
// both C and a spatial dim); returns an undefined tensor otherwise.
Tensor ReduceInMemoryOrder(const Tensor& x, const std::vector<bool>& mask, bool keepdim, ReduceKind kind,
                           DType out_dtype) {
  if (!IsChannelsLast(x)) return Tensor();
  const std::vector<int64_t> perm = x.dim() == 3 ? std::vector<int64_t>{0, 2, 1} : std::vector<int64_t>{0, 2, 3, 1};
  std::vector<bool> view_mask;
  int64_t last_kept = -1;
  for (int64_t d : perm) {
    view_mask.push_back(mask[d]);
    if (mask[d]) continue;
    if (d < last_kept) return Tensor();
    last_kept = d;
  }
  const Tensor view = MemoryOrderView(x);
  Tensor out = Tensor::Empty(ReducedShape(view, view_mask, keepdim), out_dtype, x.device());
  GetKernels<ReduceKernels>(OpKind::kReduce, x).forward(view, view_mask, kind, out);
  return out.Reshape(ReducedShape(x, mask, keepdim));
}

Tensor RunReduce(const Tensor& x, const std::vector<bool>& mask, bool keepdim, ReduceKind kind, DType out_dtype) {
  Tensor in_memory_order = ReduceInMemoryOrder(x, mask, keepdim, kind, out_dtype);
  if (in_memory_order.defined()) return in_memory_order;
  Tensor out = Tensor::Empty(ReducedShape(x, mask, keepdim), out_dtype, x.device());
  GetKernels<ReduceKernels>(OpKind::kReduce, x).forward(x, mask, kind, out);
  return out;
}

Tensor ExtremeAlong(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const auto mask = MaskOf(x, {dim}, is_max ? "Max" : "Min");
  Tensor out = RunReduce(x, mask, keepdim, is_max ? ReduceKind::kMax : ReduceKind::kMin, x.dtype());
  if (NeedsGrad({&x})) {
    const Tensor index = RunReduce(x.Detach(), mask, true, is_max ? ReduceKind::kArgMax : ReduceKind::kArgMin,
                                   DType::kInt64);
    const int64_t d = dim < 0 ? dim + x.dim() : dim;
    const Shape kshape = KeepDimShape(x, mask);
    const Shape xshape = x.shape();
    RecordOp(is_max ? "max" : "min", {x}, out, [index, d, kshape, xshape](const Tensor& g) {
      Shape iota_shape(xshape.size(), 1);
      iota_shape[d] = xshape[d];
      const Tensor iota = Tensor::Arange(xshape[d]).Reshape(iota_shape);
      const Tensor hit = Eq(iota, index);  // one-hot along d
      return Grads{Where(hit, g.Reshape(kshape), ScalarLike(0.0, g))};
    });
  }
  return out;
}

}  // namespace

Tensor Sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const auto mask = MaskOf(x, dims, "Sum");
  NB_CHECK(x.dtype() != DType::kBool, "Sum: convert bool tensors first (x.To(DType::kInt64))");
  Tensor out = RunReduce(x, mask, keepdim, ReduceKind::kSum, x.dtype());
  if (NeedsGrad({&x})) {
    const Shape kshape = KeepDimShape(x, mask), xshape = x.shape();
    RecordOp("sum", {x}, out, [kshape, xshape](const Tensor& g) {
      return Grads{g.Reshape(kshape).Expand(xshape)};
    });
  }
  return out;
}

Tensor Mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  NB_CHECK(IsFloating(x.dtype()), "Mean: needs a floating tensor, got ", x.Describe());
  const auto mask = MaskOf(x, dims, "Mean");
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim(); ++d) n *= mask[d] ? x.shape()[d] : 1;
  return Mul(Sum(x, dims, keepdim), 1.0 / static_cast<double>(std::max<int64_t>(n, 1)));
}

Tensor Max(const Tensor& x, int64_t dim, bool keepdim) { return ExtremeAlong(x, dim, keepdim, true); }
Tensor Min(const Tensor& x, int64_t dim, bool keepdim) { return ExtremeAlong(x, dim, keepdim, false); }
Tensor Max(const Tensor& x) { return Max(x.Reshape({-1}), 0, false); }

Tensor Argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return RunReduce(x, MaskOf(x, {dim}, "Argmax"), keepdim, ReduceKind::kArgMax, DType::kInt64);
}

Tensor Argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return RunReduce(x, MaskOf(x, {dim}, "Argmin"), keepdim, ReduceKind::kArgMin, DType::kInt64);
}

Tensor Var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  const auto mask = MaskOf(x, dims, "Var");
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim(); ++d) n *= mask[d] ? x.shape()[d] : 1;
  NB_CHECK(n > (unbiased ? 1 : 0), "Var: too few elements (", n, ") in ", x.Describe());
  const Tensor centered = Sub(x, Mean(x, dims, true));
  const Tensor ss = Sum(Mul(centered, centered), dims, keepdim);
  return Mul(ss, 1.0 / static_cast<double>(unbiased ? n - 1 : n));
}

}  // namespace nb360
