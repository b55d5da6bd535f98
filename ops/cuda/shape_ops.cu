// ops/cuda/shape_ops.cu: CUDA kernels for copy/fill (Cat, Pad), IndexSelect and Gather (the
// contracts of ops/shape_ops.h, as ops/cpu/shape_ops.cc), all dtypes the CPU registers.
//
// Copy: one grid-stride kernel over the logical elements, StridedIndex<2> mapping each to the
// element offsets of the strided dst view and src (at most kMaxDims = 8 dims); elements are moved
// as raw 1/4/8-byte words, so one instantiation per element size serves every dtype. A src on
// another device, of another dtype or of another (broadcastable) shape goes through
// Tensor::CopyFrom, the engine's device copy, as the CPU kernel does.
// Fill: a kernel writing static_cast<T>(value) over the contiguous dst.
// IndexSelect / Gather forward: one thread per output element, gathering from the contiguous x.
// Backward (float32 / float64 only, as on the CPU) is deterministic, without atomics, and adds in
// exactly the CPU's order: the positions are sorted by their target with a stable radix sort
// (cub::DeviceRadixSort, on CurrentStream()), so each gx element's contributions are a run of
// the sorted list in ascending source order, which one thread adds (starting from gx's value).
//   IndexSelect: the K indices are sorted once; a thread per gx element (outer, t, inner) finds its
//   run [start[t], start[t + 1]) (start by binary search) and adds g[outer, j, inner] over it.
//   Gather: the flat target offsets of all index positions are sorted; the first thread of each
//   run of equal targets adds the run. A target hit by very many positions is added by one thread
//   (serial in the run length).
// Index tensors are int64; one not on the output's device is copied there first.
#include <algorithm>
#include <cstdint>

#include <cub/device/device_radix_sort.cuh>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/cuda/strided_index.h"
#include "engine/tensor.h"
#include "ops/shape_ops.h"

namespace nb360 {
namespace cuda {
namespace {

__device__ inline int64_t GlobalThread() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t GridThreads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Calls fn(W{}) with W the unsigned word type of the element size (1, 4 or 8 bytes): the ops that
// only move elements are the same for every dtype of one size.
template <class Fn>
void DispatchWord(DType dtype, const char* op, Fn&& fn) {
  switch (DTypeSize(dtype)) {
    case 1: return fn(uint8_t{});
    case 4: return fn(uint32_t{});
    case 8: return fn(uint64_t{});
    default: break;
  }
  ThrowError(op, " (CUDA): unsupported element size ", DTypeSize(dtype), " of dtype ", DTypeName(dtype));
}

// `index` as a contiguous int64 tensor on `device`.
Tensor IndexOn(const Tensor& index, Device device, const char* op) {
  NB_CHECK(index.dtype() == DType::kInt64, op, " (CUDA): index must be int64, got ", index.Describe());
  const Tensor on_device = index.device() == device ? index : index.To(device);
  return on_device.Contiguous();
}

// Scratch of n elements of type T (trivial types) on `device`.
template <class T>
Tensor Scratch(int64_t n, Device device) {
  return Tensor::Empty({std::max<int64_t>(1, n) * static_cast<int64_t>(sizeof(T))}, DType::kUInt8, device);
}

template <class T>
T* ScratchData(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// ---------------------------------------------------------------------------------- copy, fill

template <class W>
__global__ void StridedCopyKernel(W* dst, const W* src, int64_t n, StridedIndex<2> index) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) {
    int64_t off[2];
    index.Offsets(i, off);
    dst[off[0]] = src[off[1]];
  }
}

template <class T>
__global__ void FillKernel(T* dst, T value, int64_t n) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) dst[i] = value;
}

void Copy(const Tensor& src, const Tensor& dst) {
  if (src.shape() != dst.shape() || src.device() != dst.device() || src.dtype() != dst.dtype()) {
    dst.CopyFrom(src);  // broadcast, across devices or dtypes: the engine's copy (as the CPU kernel)
    return;
  }
  const int64_t n = dst.numel();
  if (n == 0) return;
  const Tensor* ops[2] = {&dst, &src};
  const StridedIndex<2> index = MakeStridedIndex<2>(dst.shape(), ops);
  DispatchWord(dst.dtype(), "copy", [&](auto tag) {
    using W = decltype(tag);
    StridedCopyKernel<W><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(
        static_cast<W*>(dst.raw_data()), static_cast<const W*>(src.raw_data()), n, index);
  });
  CheckLaunch("StridedCopyKernel");
}

void Fill(const Tensor& dst, double value) {
  if (!dst.is_contiguous()) {  // the contract says contiguous; any other layout via the engine
    dst.Fill(value);
    return;
  }
  const int64_t n = dst.numel();
  if (n == 0) return;
  DispatchAll(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    FillKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<T*>(dst.raw_data()),
                                                                  static_cast<T>(value), n);
  });
  CheckLaunch("FillKernel");
}

// ---------------------------------------------------------------------------------- shared helpers

// x viewed as (outer, n, inner) around dim.
struct Around {
  int64_t outer = 1, n = 1, inner = 1;
};

Around Split3(const Shape& s, int64_t dim) {
  Around a;
  for (int64_t i = 0; i < dim; ++i) a.outer *= s[i];
  a.n = s[dim];
  for (size_t i = dim + 1; i < s.size(); ++i) a.inner *= s[i];
  return a;
}

// Number of low bits that hold every value in [0, max_value].
int BitsFor(uint64_t max_value) {
  int bits = 1;
  while (bits < 64 && (max_value >> bits) != 0) ++bits;
  return bits;
}

// keys_out, values_out = (keys, values) stably sorted by key, on CurrentStream(); keys < 2^bits.
void StableSortPairs(const uint64_t* keys, uint64_t* keys_out, const int64_t* values, int64_t* values_out,
                     int64_t n, int bits, Device device) {
  size_t temp_bytes = 0;
  CudaCheck(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys, keys_out, values, values_out, n, 0, bits,
                                            CurrentStream()),
            "cub::DeviceRadixSort::SortPairs (size query)");
  const Tensor temp = Tensor::Empty({static_cast<int64_t>(std::max<size_t>(1, temp_bytes))}, DType::kUInt8, device);
  CudaCheck(cub::DeviceRadixSort::SortPairs(temp.raw_data(), temp_bytes, keys, keys_out, values, values_out, n, 0,
                                            bits, CurrentStream()),
            "cub::DeviceRadixSort::SortPairs");
}

// ---------------------------------------------------------------------------------- index_select

// out (outer, K, inner) = x (outer, n, inner) at rows index[j].
template <class W>
__global__ void IndexSelectKernel(const W* x, const int64_t* index, Around a, int64_t k, W* out) {
  const int64_t total = a.outer * k * a.inner;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t ii = e % a.inner;
    const int64_t t = e / a.inner;
    const int64_t j = t % k, o = t / k;
    out[e] = x[(o * a.n + index[j]) * a.inner + ii];
  }
}

void IndexSelectForward(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  const Around a = Split3(x.shape(), dim);
  const Tensor idx = IndexOn(index, out.device(), "index_select");
  const int64_t k = idx.numel();
  const int64_t total = a.outer * k * a.inner;
  if (total == 0) return;
  DispatchWord(x.dtype(), "index_select", [&](auto tag) {
    using W = decltype(tag);
    IndexSelectKernel<W><<<BlocksFor(total), kThreads, 0, CurrentStream()>>>(
        static_cast<const W*>(x.raw_data()), idx.data<int64_t>(), a, k, static_cast<W*>(out.raw_data()));
  });
  CheckLaunch("IndexSelectKernel");
}

// keys[j] = index[j] (as a sort key), values[j] = j.
__global__ void IndexKeysKernel(const int64_t* index, int64_t n, uint64_t* keys, int64_t* values) {
  for (int64_t j = GlobalThread(); j < n; j += GridThreads()) {
    keys[j] = static_cast<uint64_t>(index[j]);
    values[j] = j;
  }
}

// First position q in sorted[0, n) with sorted[q] >= key.
__device__ inline int64_t LowerBound(const uint64_t* sorted, int64_t n, uint64_t key) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (sorted[mid] < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// start[t] = first sorted position of row t, t in [0, rows] (start[rows] = k).
__global__ void RunStartsKernel(const uint64_t* sorted, int64_t k, int64_t rows, int64_t* start) {
  for (int64_t t = GlobalThread(); t <= rows; t += GridThreads()) start[t] = LowerBound(sorted, k, t);
}

// gx (outer, n, inner) += g (outer, K, inner) at rows index[j], each gx element adding its run of
// sorted source rows j in ascending order.
template <class T>
__global__ void IndexSelectBackwardKernel(const T* g, const int64_t* sorted_rows, const int64_t* start, Around a,
                                          int64_t k, T* gx) {
  const int64_t total = a.outer * a.n * a.inner;
  for (int64_t e = GlobalThread(); e < total; e += GridThreads()) {
    const int64_t ii = e % a.inner;
    const int64_t r = e / a.inner;
    const int64_t t = r % a.n, o = r / a.n;
    const int64_t q0 = start[t], q1 = start[t + 1];
    if (q0 == q1) continue;
    T acc = gx[e];
    for (int64_t q = q0; q < q1; ++q) acc += g[(o * k + sorted_rows[q]) * a.inner + ii];
    gx[e] = acc;
  }
}

void IndexSelectBackward(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& gx) {
  DispatchFloating(g.dtype(), "index_select backward (CUDA)", [&](auto tag) {
    using T = decltype(tag);
    const Around a = Split3(gx.shape(), dim);
    const Device dev = gx.device();
    const Tensor idx = IndexOn(index, dev, "index_select backward");
    const int64_t k = idx.numel();
    if (k == 0 || gx.numel() == 0) return;
    const Tensor keys = Scratch<uint64_t>(2 * k, dev), values = Scratch<int64_t>(2 * k, dev);
    uint64_t* key_in = ScratchData<uint64_t>(keys);
    int64_t* val_in = ScratchData<int64_t>(values);
    IndexKeysKernel<<<BlocksFor(k), kThreads, 0, CurrentStream()>>>(idx.data<int64_t>(), k, key_in, val_in);
    CheckLaunch("IndexKeysKernel");
    StableSortPairs(key_in, key_in + k, val_in, val_in + k, k, BitsFor(static_cast<uint64_t>(a.n - 1)), dev);
    const Tensor starts = Scratch<int64_t>(a.n + 1, dev);
    int64_t* start = ScratchData<int64_t>(starts);
    RunStartsKernel<<<BlocksFor(a.n + 1), kThreads, 0, CurrentStream()>>>(key_in + k, k, a.n, start);
    CheckLaunch("RunStartsKernel");
    IndexSelectBackwardKernel<T><<<BlocksFor(gx.numel()), kThreads, 0, CurrentStream()>>>(
        g.data<T>(), val_in + k, start, a, k, gx.data<T>());
    CheckLaunch("IndexSelectBackwardKernel");
  });
}

// ---------------------------------------------------------------------------------- gather

// Index positions (index's shape) -> element offsets of the contiguous x along `dim`.
struct GatherGeometry {
  int dims = 0;
  int dim = 0;
  int64_t sizes[kMaxDims] = {};      // index's shape
  int64_t x_strides[kMaxDims] = {};  // x's contiguous strides

  __device__ int64_t XOffset(int64_t flat, const int64_t* index) const {
    int64_t off = 0, rem = flat;
    for (int d = dims - 1; d >= 0; --d) {
      const int64_t i = rem % sizes[d];
      rem /= sizes[d];
      off += (d == dim ? index[flat] : i) * x_strides[d];
    }
    return off;
  }
};

GatherGeometry MakeGatherGeometry(const Shape& x_shape, const Shape& index_shape, int64_t dim) {
  NB_CHECK(static_cast<int>(index_shape.size()) <= kMaxDims, "gather (CUDA): at most ", kMaxDims,
           " dimensions, got index of shape ", ShapeString(index_shape));
  GatherGeometry g;
  g.dims = static_cast<int>(index_shape.size());
  g.dim = static_cast<int>(dim);
  const Shape strides = ContiguousStrides(x_shape);
  for (int d = 0; d < g.dims; ++d) {
    g.sizes[d] = index_shape[d];
    g.x_strides[d] = strides[d];
  }
  return g;
}

template <class W>
__global__ void GatherKernel(const W* x, const int64_t* index, GatherGeometry geo, int64_t n, W* out) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) out[i] = x[geo.XOffset(i, index)];
}

void GatherForward(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  const Tensor idx = IndexOn(index, out.device(), "gather");
  const int64_t n = idx.numel();
  if (n == 0) return;
  const GatherGeometry geo = MakeGatherGeometry(x.shape(), idx.shape(), dim);
  DispatchWord(x.dtype(), "gather", [&](auto tag) {
    using W = decltype(tag);
    GatherKernel<W><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(
        static_cast<const W*>(x.raw_data()), idx.data<int64_t>(), geo, n, static_cast<W*>(out.raw_data()));
  });
  CheckLaunch("GatherKernel");
}

// keys[i] = the gx offset index position i scatters to, values[i] = i.
__global__ void GatherKeysKernel(const int64_t* index, GatherGeometry geo, int64_t n, uint64_t* keys,
                                 int64_t* values) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) {
    keys[i] = static_cast<uint64_t>(geo.XOffset(i, index));
    values[i] = i;
  }
}

// For each run of equal sorted keys (a gx offset), its first thread adds g over the run's source
// positions, in ascending order, to gx at that offset.
template <class T>
__global__ void GatherRunsKernel(const uint64_t* keys, const int64_t* sources, int64_t n, const T* g, T* gx) {
  for (int64_t q = GlobalThread(); q < n; q += GridThreads()) {
    const uint64_t key = keys[q];
    if (q > 0 && keys[q - 1] == key) continue;
    T acc = gx[key];
    for (int64_t r = q; r < n && keys[r] == key; ++r) acc += g[sources[r]];
    gx[key] = acc;
  }
}

void GatherBackward(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& gx) {
  DispatchFloating(g.dtype(), "gather backward (CUDA)", [&](auto tag) {
    using T = decltype(tag);
    const Device dev = gx.device();
    const Tensor idx = IndexOn(index, dev, "gather backward");
    const int64_t n = idx.numel();
    if (n == 0 || gx.numel() == 0) return;
    const GatherGeometry geo = MakeGatherGeometry(gx.shape(), idx.shape(), dim);
    const Tensor keys = Scratch<uint64_t>(2 * n, dev), values = Scratch<int64_t>(2 * n, dev);
    uint64_t* key_in = ScratchData<uint64_t>(keys);
    int64_t* val_in = ScratchData<int64_t>(values);
    GatherKeysKernel<<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(idx.data<int64_t>(), geo, n, key_in, val_in);
    CheckLaunch("GatherKeysKernel");
    StableSortPairs(key_in, key_in + n, val_in, val_in + n, n, BitsFor(static_cast<uint64_t>(gx.numel() - 1)), dev);
    GatherRunsKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(key_in + n, val_in + n, n, g.data<T>(),
                                                                        gx.data<T>());
    CheckLaunch("GatherRunsKernel");
  });
}

}  // namespace

const CopyKernels kCopy = {Copy, Fill};
const IndexSelectKernels kIndexSelect = {IndexSelectForward, IndexSelectBackward};
const GatherKernels kGather = {GatherForward, GatherBackward};

}  // namespace cuda
}  // namespace nb360
