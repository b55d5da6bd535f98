// ops/cuda/reduce.cu: the CUDA reduction kernel (ReduceKernels): sum, sum of squares, max, min,
// argmax, argmin of src over the masked dims, with the CPU's contract (engine/reduce_kernel.cc):
//   - floating sums accumulate in double, integer sums in int64, then convert to T;
//   - max/min/argmax/argmin: the first NaN wins if there is one, else the first extreme element
//     (ties go to the lowest index in the flattened reduced block);
//   - an empty reduction gives 0 for sums and arg*, lowest() for max and max() for min;
//   - bool sources are rejected.
//
// Layout: src is split into kept dims (-> output index o, row-major) and reduced dims (-> index i
// in the flattened reduced block); each list is coalesced (size-1 dims dropped, contiguous
// neighbours merged) into a StridedIndex<1>. Strategy, by shape only:
//   - ThreadPerOutput: one thread walks its output's elements in order (exactly the CPU's order);
//     for tiny reduced blocks (<= 16 elements) and empty ones.
//   - WarpPerOutput: 32 lanes stride over a moderate reduced block, then a shuffle tree.
//   - Tiled<X, Y>: a block of X outputs x Y threads per output; the Y threads stride over (a chunk
//     of) the reduced block, then a tree in shared memory. X = 1, Y = 256 for long rows; X = 32,
//     Y = 8 for column reductions (consecutive outputs adjacent in memory, so loads coalesce).
//     When there are too few outputs to fill the GPU the reduced block is split into parts; each
//     part writes a partial state to scratch memory and CombinePartsKernel folds them in part order.
// No atomics: every tree has a fixed shape that depends only on the tensor's shape, so results are
// deterministic run to run (sums may differ from the CPU's sequential double sum in the last bits
// of the double accumulator, which the final conversion to float usually hides).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/cuda/strided_index.h"
#include "engine/dtype.h"
#include "engine/tensor.h"
#include "ops/reduce.h"

namespace nb360 {
namespace cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kTargetBlocks = 1024;  // blocks wanted before splitting reduced blocks into parts
constexpr int kMaxParts = 65535;     // gridDim.y limit

// ---------------------------------------------------------------- geometry (host)

// Coalesced dims of one side (kept or reduced) of the mask.
struct DimList {
  std::vector<int64_t> sizes, strides;
};

// Appends dim (size, stride), dropping size 1 and merging into the previous dim when contiguous
// with it, which keeps the row-major linear order of the list.
void PushDim(DimList& l, int64_t size, int64_t stride) {
  if (size == 1) return;
  if (!l.sizes.empty() && l.strides.back() == stride * size) {
    l.sizes.back() *= size;
    l.strides.back() = stride;
    return;
  }
  l.sizes.push_back(size);
  l.strides.push_back(stride);
}

StridedIndex<1> ToIndex(const DimList& l, const Tensor& src, const char* side) {
  NB_CHECK(static_cast<int>(l.sizes.size()) <= kMaxDims, "reduce (CUDA): ", side, " dims of ", src.Describe(),
           " need ", l.sizes.size(), " strided dimensions after merging, at most ", kMaxDims, " are supported");
  StridedIndex<1> s;
  s.dims = static_cast<int>(l.sizes.size());
  for (int d = 0; d < s.dims; ++d) {
    s.sizes[d] = l.sizes[d];
    s.strides[0][d] = l.strides[d];
  }
  return s;
}

struct Geometry {
  StridedIndex<1> kept;  // output index o -> element offset of its reduced block
  StridedIndex<1> red;   // index i in the reduced block -> element offset within it
  int64_t outer = 0;     // number of outputs
  int64_t inner = 0;     // elements per output
};

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

__device__ __forceinline__ int64_t OffsetOf(const StridedIndex<1>& index, int64_t i) {
  if (index.dims == 1) return i * index.strides[0][0];
  int64_t off[1];
  index.Offsets(i, off);
  return off[0];
}

// ---------------------------------------------------------------- reduction state (device)

// A partial reduction. Sums use acc; extremes use best/idx, idx < 0 meaning "nothing seen".
// A plain aggregate (no constructors) so it can live in __shared__ memory.
template <class T, class Acc>
struct State {
  Acc acc;
  T best;
  int64_t idx;
};

// Kind traits as variables (usable in device code without relaxed constexpr).
template <ReduceKind K>
constexpr bool kIsSum = K == ReduceKind::kSum || K == ReduceKind::kSumSquares;
template <ReduceKind K>
constexpr bool kIsMax = K == ReduceKind::kMax || K == ReduceKind::kArgMax;

template <class T, class Acc>
__device__ __forceinline__ State<T, Acc> InitState(T init) {
  return State<T, Acc>{Acc(0), init, -1};
}

// Whether candidate (v, i) beats the current (w, j), both seen: NaN first (lowest index among
// NaNs), then the larger (kMax) or smaller value, then the lower index.
template <ReduceKind K, class T>
__device__ __forceinline__ bool Beats(T v, int64_t i, T w, int64_t j) {
  const bool v_nan = v != v, w_nan = w != w;
  if (v_nan || w_nan) return v_nan && (!w_nan || i < j);
  if constexpr (kIsMax<K>) {
    if (v > w) return true;
    if (w > v) return false;
  } else {
    if (v < w) return true;
    if (w < v) return false;
  }
  return i < j;
}

template <ReduceKind K, class T, class Acc>
__device__ __forceinline__ void Accumulate(State<T, Acc>& s, T v, int64_t i) {
  if constexpr (K == ReduceKind::kSum) {
    s.acc += static_cast<Acc>(v);
  } else if constexpr (K == ReduceKind::kSumSquares) {
    s.acc += static_cast<Acc>(v) * static_cast<Acc>(v);
  } else if (s.idx < 0 || Beats<K>(v, i, s.best, s.idx)) {
    s.best = v;
    s.idx = i;
  }
}

template <ReduceKind K, class T, class Acc>
__device__ __forceinline__ State<T, Acc> Combine(State<T, Acc> a, const State<T, Acc>& b) {
  if constexpr (kIsSum<K>) {
    a.acc += b.acc;
  } else if (b.idx >= 0 && (a.idx < 0 || Beats<K>(b.best, b.idx, a.best, a.idx))) {
    a.best = b.best;
    a.idx = b.idx;
  }
  return a;
}

// The final value of output o: T for sums and max/min, int64 for arg*; CPU values when empty.
template <ReduceKind K, class T, class Acc>
__device__ __forceinline__ void WriteOutput(const State<T, Acc>& s, void* out, int64_t o) {
  if constexpr (kIsSum<K>) {
    static_cast<T*>(out)[o] = static_cast<T>(s.acc);
  } else if constexpr (K == ReduceKind::kMax || K == ReduceKind::kMin) {
    static_cast<T*>(out)[o] = s.best;  // init (lowest()/max()) when empty
  } else {
    static_cast<int64_t*>(out)[o] = s.idx < 0 ? 0 : s.idx;
  }
}

template <class V>
__device__ __forceinline__ V ShflDown(V v, int delta) {
  if constexpr (sizeof(V) < sizeof(int)) {
    return static_cast<V>(__shfl_down_sync(0xffffffffu, static_cast<int>(v), delta));
  } else {
    return __shfl_down_sync(0xffffffffu, v, delta);
  }
}

// Lane 0 ends with the combination of all 32 lanes' states (fixed tree: deterministic).
template <ReduceKind K, class T, class Acc>
__device__ __forceinline__ State<T, Acc> WarpReduce(State<T, Acc> s) {
  for (int d = kWarp / 2; d > 0; d /= 2) {
    State<T, Acc> other;
    other.acc = ShflDown(s.acc, d);
    other.best = ShflDown(s.best, d);
    other.idx = ShflDown(s.idx, d);
    s = Combine<K>(s, other);
  }
  return s;
}

// ---------------------------------------------------------------- kernels

template <ReduceKind K, class T, class Acc>
__global__ void ThreadPerOutputKernel(const T* src, void* out, Geometry g, T init) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < g.outer;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const T* p = src + OffsetOf(g.kept, o);
    State<T, Acc> s = InitState<T, Acc>(init);
    for (int64_t i = 0; i < g.inner; ++i) Accumulate<K>(s, p[OffsetOf(g.red, i)], i);
    WriteOutput<K>(s, out, o);
  }
}

template <ReduceKind K, class T, class Acc>
__global__ void WarpPerOutputKernel(const T* src, void* out, Geometry g, T init) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = blockDim.x / kWarp;
  for (int64_t o = blockIdx.x * warps + threadIdx.x / kWarp; o < g.outer; o += gridDim.x * warps) {
    const T* p = src + OffsetOf(g.kept, o);
    State<T, Acc> s = InitState<T, Acc>(init);
    for (int64_t i = lane; i < g.inner; i += kWarp) Accumulate<K>(s, p[OffsetOf(g.red, i)], i);
    s = WarpReduce<K>(s);
    if (lane == 0) WriteOutput<K>(s, out, o);
  }
}

// Block (kX, kY): threadIdx.x picks one of kX consecutive outputs, threadIdx.y strides over part
// blockIdx.y of the reduced block ([part * chunk, (part + 1) * chunk)). With `partial` the part's
// state goes to partial[o * gridDim.y + part]; without, the output is written.
template <ReduceKind K, class T, class Acc, int kX, int kY>
__global__ void TiledKernel(const T* src, void* out, State<T, Acc>* partial, Geometry g, T init,
                            int64_t chunk) {
  __shared__ State<T, Acc> states[kY][kX];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t part = blockIdx.y;
  const int64_t i0 = part * chunk;
  const int64_t i1 = i0 + chunk < g.inner ? i0 + chunk : g.inner;
  const int64_t tiles = (g.outer + kX - 1) / kX;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t o = tile * kX + tx;
    State<T, Acc> s = InitState<T, Acc>(init);
    if (o < g.outer) {
      const T* p = src + OffsetOf(g.kept, o);
      for (int64_t i = i0 + ty; i < i1; i += kY) Accumulate<K>(s, p[OffsetOf(g.red, i)], i);
    }
    states[ty][tx] = s;
    __syncthreads();
    for (int stride = kY / 2; stride > 0; stride /= 2) {
      if (ty < stride) states[ty][tx] = Combine<K>(states[ty][tx], states[ty + stride][tx]);
      __syncthreads();
    }
    if (ty == 0 && o < g.outer) {
      if (partial != nullptr) {
        partial[o * gridDim.y + part] = states[0][tx];
      } else {
        WriteOutput<K>(states[0][tx], out, o);
      }
    }
    __syncthreads();  // states is reused by the next tile
  }
}

// out[o] = the parts partial[o * parts + 0 .. parts) folded (one warp per output, fixed tree).
template <ReduceKind K, class T, class Acc>
__global__ void CombinePartsKernel(const State<T, Acc>* partial, int64_t parts, void* out, int64_t outer,
                                   T init) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = blockDim.x / kWarp;
  for (int64_t o = blockIdx.x * warps + threadIdx.x / kWarp; o < outer; o += gridDim.x * warps) {
    State<T, Acc> s = InitState<T, Acc>(init);
    for (int64_t j = lane; j < parts; j += kWarp) s = Combine<K>(s, partial[o * parts + j]);
    s = WarpReduce<K>(s);
    if (lane == 0) WriteOutput<K>(s, out, o);
  }
}

// ---------------------------------------------------------------- launchers (host)

int GridFor(int64_t work_items) {
  const int64_t cap = 65535LL * 8;
  return static_cast<int>(work_items < 1 ? 1 : (work_items > cap ? cap : work_items));
}

// Tiled reduction of kX outputs per block, split into parts when the tiles alone are too few.
template <ReduceKind K, class T, class Acc, int kX, int kY>
void LaunchTiled(const T* src, void* out, const Geometry& g, T init, const Tensor& like) {
  const int64_t tiles = (g.outer + kX - 1) / kX;
  const int64_t min_chunk = static_cast<int64_t>(kY) * 32;  // >= 32 elements per thread
  int64_t parts = 1;
  if (tiles < kTargetBlocks) {
    parts = std::min<int64_t>(kTargetBlocks / tiles, (g.inner + min_chunk - 1) / min_chunk);
    parts = std::max<int64_t>(1, std::min<int64_t>(parts, kMaxParts));
  }
  const int64_t chunk = (g.inner + parts - 1) / parts;
  parts = (g.inner + chunk - 1) / chunk;
  const dim3 block(kX, kY);
  const dim3 grid(GridFor(tiles), static_cast<unsigned>(parts));
  cudaStream_t stream = CurrentStream();
  if (parts == 1) {
    TiledKernel<K, T, Acc, kX, kY><<<grid, block, 0, stream>>>(src, out, nullptr, g, init, chunk);
    CheckLaunch("TiledKernel (reduce)");
    return;
  }
  // Scratch for outer * parts partial states; the stream orders its reuse after this op.
  const int64_t bytes = g.outer * parts * static_cast<int64_t>(sizeof(State<T, Acc>));
  const Tensor scratch = Tensor::Empty({bytes}, DType::kUInt8, like.device());
  auto* partial = static_cast<State<T, Acc>*>(scratch.raw_data());
  TiledKernel<K, T, Acc, kX, kY><<<grid, block, 0, stream>>>(src, out, partial, g, init, chunk);
  CheckLaunch("TiledKernel (reduce, parts)");
  const int64_t warps = kThreads / kWarp;
  CombinePartsKernel<K, T, Acc><<<GridFor((g.outer + warps - 1) / warps), kThreads, 0, stream>>>(
      partial, parts, out, g.outer, init);
  CheckLaunch("CombinePartsKernel (reduce)");
}

// Picks the strategy from the shape (see the header comment) and launches it.
template <ReduceKind K, class T, class Acc>
void LaunchReduce(const Tensor& src, const Geometry& g, const Tensor& out) {
  const T init = kIsMax<K> ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  const T* sp = static_cast<const T*>(src.raw_data());
  void* op = out.raw_data();
  cudaStream_t stream = CurrentStream();
  // Consecutive outputs adjacent in memory: threads of a warp read neighbouring elements.
  const bool column = g.kept.dims > 0 && g.kept.strides[0][g.kept.dims - 1] == 1;
  if (g.inner <= 16) {
    ThreadPerOutputKernel<K, T, Acc><<<BlocksFor(g.outer), kThreads, 0, stream>>>(sp, op, g, init);
    CheckLaunch("ThreadPerOutputKernel (reduce)");
  } else if (column) {
    LaunchTiled<K, T, Acc, 32, 8>(sp, op, g, init, src);
  } else if (g.inner <= 2048) {
    const int64_t warps = kThreads / kWarp;
    WarpPerOutputKernel<K, T, Acc><<<GridFor((g.outer + warps - 1) / warps), kThreads, 0, stream>>>(
        sp, op, g, init);
    CheckLaunch("WarpPerOutputKernel (reduce)");
  } else {
    LaunchTiled<K, T, Acc, 1, kThreads>(sp, op, g, init, src);
  }
}

template <class T, class Acc>
void ReduceT(const Tensor& src, const Geometry& g, ReduceKind kind, const Tensor& out) {
  switch (kind) {
    case ReduceKind::kSum: return LaunchReduce<ReduceKind::kSum, T, Acc>(src, g, out);
    case ReduceKind::kSumSquares: return LaunchReduce<ReduceKind::kSumSquares, T, Acc>(src, g, out);
    case ReduceKind::kMax: return LaunchReduce<ReduceKind::kMax, T, Acc>(src, g, out);
    case ReduceKind::kMin: return LaunchReduce<ReduceKind::kMin, T, Acc>(src, g, out);
    case ReduceKind::kArgMax: return LaunchReduce<ReduceKind::kArgMax, T, Acc>(src, g, out);
    case ReduceKind::kArgMin: return LaunchReduce<ReduceKind::kArgMin, T, Acc>(src, g, out);
  }
  ThrowError("reduce (CUDA): unknown reduction kind ", static_cast<int>(kind));
}

void ReduceForward(const Tensor& src, const std::vector<bool>& mask, ReduceKind kind, const Tensor& out) {
  NB_CHECK(static_cast<int64_t>(mask.size()) == src.dim(), "reduce (CUDA): mask of ", mask.size(),
           " dims for ", src.Describe());
  NB_CHECK(out.is_contiguous(), "reduce (CUDA): output must be contiguous, got ", out.Describe());
  const bool arg = kind == ReduceKind::kArgMax || kind == ReduceKind::kArgMin;
  const DType want = arg ? DType::kInt64 : src.dtype();
  NB_CHECK(out.dtype() == want, "reduce (CUDA): output ", out.Describe(), " should be ", DTypeName(want));
  DimList kept, red;
  for (int64_t d = 0; d < src.dim(); ++d) {
    PushDim(mask[d] ? red : kept, src.shape()[d], src.strides()[d]);
  }
  Geometry g;
  g.kept = ToIndex(kept, src, "kept");
  g.red = ToIndex(red, src, "reduced");
  g.outer = Product(kept.sizes);
  g.inner = Product(red.sizes);
  NB_CHECK(out.numel() == g.outer, "reduce (CUDA): output ", out.Describe(), " should have ", g.outer,
           " elements for ", src.Describe());
  if (g.outer == 0) return;
  DispatchAll(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      ReduceT<T, double>(src, g, kind, out);
    } else if constexpr (std::is_same_v<T, bool>) {
      ThrowError("reduction over a bool tensor: convert it first");
    } else {
      ReduceT<T, int64_t>(src, g, kind, out);
    }
  });
}

}  // namespace

const ReduceKernels kReduce = {ReduceForward};

}  // namespace cuda
}  // namespace nb360
