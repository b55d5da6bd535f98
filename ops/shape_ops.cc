#include "ops/shape_ops.h"

#include "engine/autograd.h"
#include "engine/device_ops.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

int64_t Wrap(int64_t d, int64_t n, const char* op) {
  const int64_t w = d < 0 ? d + n : d;
  NB_CHECK(w >= 0 && w < n, op, ": dimension ", d, " out of range for rank ", n);
  return w;
}

}  // namespace

Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim) {
  NB_CHECK(!tensors.empty(), "Cat: no tensors");
  const Tensor& first = tensors[0];
  const int64_t d = Wrap(dim, first.dim(), "Cat");
  Shape shape = first.shape();
  shape[d] = 0;
  DType dt = first.dtype();
  for (const Tensor& t : tensors) {
    NB_CHECK(t.dim() == first.dim(), "Cat: ranks differ: ", first.Describe(), " and ", t.Describe());
    for (int64_t i = 0; i < t.dim(); ++i) {
      NB_CHECK(i == d || t.shape()[i] == first.shape()[i], "Cat: shapes ", first.Describe(), " and ",
               t.Describe(), " differ outside dim ", d);
    }
    NB_CHECK(t.dtype() == dt, "Cat: dtypes differ: ", first.Describe(), " and ", t.Describe());
    shape[d] += t.shape()[d];
  }
  Tensor out = Tensor::Empty(shape, dt, first.device());
  const CopyKernels& k = GetKernels<CopyKernels>(OpKind::kCat, first);
  std::vector<int64_t> sizes;
  int64_t at = 0;
  for (const Tensor& t : tensors) {
    k.copy(t, out.Detach().Narrow(d, at, t.shape()[d]));
    sizes.push_back(t.shape()[d]);
    at += t.shape()[d];
  }
  if (NeedsGrad(tensors)) {
    RecordOp("cat", tensors, out, [sizes, d](const Tensor& g) {
      Grads grads;
      int64_t pos = 0;
      for (int64_t s : sizes) {
        grads.push_back(g.Narrow(d, pos, s));
        pos += s;
      }
      return grads;
    });
  }
  return out;
}

Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim) {
  NB_CHECK(!tensors.empty(), "Stack: no tensors");
  const int64_t d = Wrap(dim, tensors[0].dim() + 1, "Stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    NB_CHECK(t.shape() == tensors[0].shape(), "Stack: shapes differ: ", tensors[0].Describe(), " and ",
             t.Describe());
    parts.push_back(t.Unsqueeze(d));
  }
  return Cat(parts, d);
}

std::vector<Tensor> SplitSizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  const int64_t d = Wrap(dim, x.dim(), "Split");
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  NB_CHECK(total == x.shape()[d], "Split: sizes ", StrCat(sizes), " do not add up to ", x.shape()[d],
           " (dim ", d, " of ", x.Describe(), ")");
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(x.Narrow(d, at, s));
    at += s;
  }
  return out;
}

std::vector<Tensor> Split(const Tensor& x, int64_t split_size, int64_t dim) {
  NB_CHECK(split_size > 0, "Split: split_size must be positive, got ", split_size);
  const int64_t n = x.shape()[Wrap(dim, x.dim(), "Split")];
  std::vector<int64_t> sizes;
  for (int64_t at = 0; at < n; at += split_size) sizes.push_back(std::min(split_size, n - at));
  return SplitSizes(x, sizes, dim);
}

std::vector<Tensor> Chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  NB_CHECK(chunks > 0, "Chunk: chunks must be positive, got ", chunks);
  const int64_t n = x.shape()[Wrap(dim, x.dim(), "Chunk")];
  return Split(x, std::max<int64_t>(1, (n + chunks - 1) / chunks), dim);
}

Tensor Pad(const Tensor& x, const std::vector<int64_t>& pad, double value) {
  NB_CHECK(pad.size() % 2 == 0 && static_cast<int64_t>(pad.size()) / 2 <= x.dim(), "Pad: ", pad.size(),
           " pad values for ", x.Describe());
  Shape shape = x.shape();
  std::vector<int64_t> lo(x.dim(), 0);
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(i);
    NB_CHECK(pad[2 * i] >= 0 && pad[2 * i + 1] >= 0, "Pad: negative padding ", StrCat(pad));
    lo[d] = pad[2 * i];
    shape[d] += pad[2 * i] + pad[2 * i + 1];
  }
  Tensor out = Tensor::Empty(shape, x.dtype(), x.device());
  const CopyKernels& k = GetKernels<CopyKernels>(OpKind::kPad, x);
  k.fill(out, value);
  Tensor inner = out.Detach();
  for (int64_t d = 0; d < x.dim(); ++d) inner = inner.Narrow(d, lo[d], x.shape()[d]);
  k.copy(x, inner);
  if (NeedsGrad({&x})) {
    const Shape xs = x.shape();
    RecordOp("pad", {x}, out, [lo, xs](const Tensor& g) {
      Tensor gi = g;
      for (size_t d = 0; d < xs.size(); ++d) gi = gi.Narrow(static_cast<int64_t>(d), lo[d], xs[d]);
      return Grads{gi};
    });
  }
  return out;
}

namespace {

// The indices, contiguous on x's device, after checking they lie in [0, size of x's dim d). The
// check reads them on the host, except while a CUDA graph is being captured (no host reads are
// possible there: the captured step's indices come from a device computation the caller vouches for).
Tensor CheckedIndex(const char* op, const Tensor& index, const Tensor& x, int64_t d) {
  if (CapturingOn(x.device()) && index.device() == x.device()) return index.Contiguous();
  const Tensor idx_host = index.Contiguous().To(Device::CPU());
  const int64_t* ip = idx_host.data<int64_t>();
  for (int64_t i = 0; i < idx_host.numel(); ++i) {
    NB_CHECK(ip[i] >= 0 && ip[i] < x.shape()[d], op, ": index ", ip[i], " out of range for dim ", d, " of ",
             x.Describe());
  }
  return index.device() == x.device() ? index.Contiguous() : idx_host.To(x.device());
}

}  // namespace

Tensor IndexSelect(const Tensor& x, int64_t dim, const Tensor& index) {
  const int64_t d = Wrap(dim, x.dim(), "IndexSelect");
  NB_CHECK(index.dtype() == DType::kInt64 && index.dim() == 1, "IndexSelect: index must be 1-d int64, got ",
           index.Describe());
  const Tensor idx = CheckedIndex("IndexSelect", index, x, d);
  Shape shape = x.shape();
  shape[d] = idx.numel();
  Tensor out = Tensor::Empty(shape, x.dtype(), x.device());
  const IndexSelectKernels& k = GetKernels<IndexSelectKernels>(OpKind::kIndexSelect, x);
  k.forward(x.Detach().Contiguous(), d, idx, out);
  if (NeedsGrad({&x})) {
    const Shape xs = x.shape();
    RecordOp("index_select", {x}, out, [xs, d, idx, &k](const Tensor& g) {
      Tensor gx = Tensor::Zeros(xs, g.dtype(), g.device());
      k.backward(g.Contiguous(), d, idx, gx);
      return Grads{gx};
    });
  }
  return out;
}

Tensor Gather(const Tensor& x, int64_t dim, const Tensor& index) {
  const int64_t d = Wrap(dim, x.dim(), "Gather");
  NB_CHECK(index.dtype() == DType::kInt64 && index.dim() == x.dim(), "Gather: index must be int64 with the "
           "rank of ", x.Describe(), ", got ", index.Describe());
  for (int64_t i = 0; i < x.dim(); ++i) {
    NB_CHECK(i == d || index.shape()[i] <= x.shape()[i], "Gather: index ", index.Describe(),
             " larger than input ", x.Describe(), " outside dim ", d);
  }
  const Tensor idx = CheckedIndex("Gather", index, x, d);
  Tensor out = Tensor::Empty(idx.shape(), x.dtype(), x.device());
  const GatherKernels& k = GetKernels<GatherKernels>(OpKind::kGather, x);
  k.forward(x.Detach().Contiguous(), d, idx, out);
  if (NeedsGrad({&x})) {
    const Shape xs = x.shape();
    RecordOp("gather", {x}, out, [xs, d, idx, &k](const Tensor& g) {
      Tensor gx = Tensor::Zeros(xs, g.dtype(), g.device());
      k.backward(g.Contiguous(), d, idx, gx);
      return Grads{gx};
    });
  }
  return out;
}

Tensor ChannelShuffle(const Tensor& x, int64_t groups) {
  NB_CHECK(x.dim() >= 2 && groups > 0 && x.shape()[1] % groups == 0, "ChannelShuffle: ", x.shape()[1],
           " channels of ", x.Describe(), " not divisible into ", groups, " groups");
  Shape split = x.shape();
  split[1] = groups;
  split.insert(split.begin() + 2, x.shape()[1] / groups);
  return x.Reshape(split).Transpose(1, 2).Contiguous().Reshape(x.shape());
}

}  // namespace nb360
