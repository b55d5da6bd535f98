// ops/cuda/conv.cu: the CUDA Conv2d kernels (Conv2dKernels, ops/conv.h) on cuDNN's convolution
// API, float32 and float64: forward, backward data, backward weight (with the bias gradient).
//
// Layouts: data operands (x, y, gy, gx) come contiguous NCHW or channels-last NHWC
// (engine/memory_format.h). A float32 pass with any channels-last data operand runs in NHWC (the
// weight then as a KRSC copy, the weight gradient through one), otherwise in NCHW; operands in the
// other format are copied in (inputs) or computed into a buffer and copied out (outputs). float64
// always runs in NCHW (cuDNN's NHWC kernels are for float types; PyTorch does the same). If no
// cuDNN algorithm runs a problem in one format it is retried in the other.
// Padding: cuDNN pads symmetrically. The output size may imply a bottom/right padding other than
// the top/left one (RightPad, as ops/cpu/conv_dnnl.cc: Conv1d's right padding, a transposed conv's
// output padding); such a dimension runs on an explicitly zero-padded copy of the input side with
// cuDNN padding 0 (backward data computes the padded gradient and crops it).
// Algorithms: chosen once per problem (pass, sizes, params, format, dtype, TF32 switch) from
// cudnnGet*Algorithm_v7's heuristic ranking, deterministic algorithms first (for backward data this
// excludes CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, for backward filter ALGO_0 and ALGO_3, which use
// atomics; a non-deterministic one runs only if no deterministic one does); the first that runs is
// kept in a cache of descriptors + candidates under the cuDNN handle's lock. Workspace comes from
// the caching allocator. Math: float32 uses CUDNN_FMA_MATH (no TF32) unless the TF32 switch
// (engine/precision.h) is on, then the algorithm's math type (tensor ops allowed); float64 is plain.
// bf16 autocast (engine/precision.h, Conv2dParams::precision): the operands are converted to bf16
// buffers (memory order kept), cuDNN runs CUDNN_DATA_BFLOAT16 tensors with float32 compute and
// tensor-op math, and the bf16 result is widened into the float32 output; the bias is added in
// float32 afterwards and its gradient summed from the float32 gy (as ops/cpu/bf16_reference.h).
// Bias: added by a kernel of ours after the convolution; its gradient is a per-channel reduction of
// gy over (N, OH, OW), one block per channel in a fixed order (deterministic, no atomics).
#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/memory_format.h"
#include "engine/tensor.h"
#include "ops/conv.h"
#include "ops/cuda/bf16_convert.h"
#include "ops/cuda/cudnn_util.h"
#include "engine/precision.h"

namespace nb360 {
namespace cuda {
namespace {

enum class Pass { kForward, kBackwardData, kBackwardWeight };
enum class Format { kNchw, kNhwc };

const char* PassName(Pass pass) {
  switch (pass) {
    case Pass::kForward:
      return "cudnnConvolutionForward";
    case Pass::kBackwardData:
      return "cudnnConvolutionBackwardData";
    case Pass::kBackwardWeight:
      return "cudnnConvolutionBackwardFilter";
  }
  return "cudnnConvolution";
}

// ---------------------------------------------------------------- helper kernels

// A 4-d tensor's dims in memory order (largest stride first; ties keep the logical order).
std::array<int, 4> MemoryOrder(const Tensor& t) {
  std::array<int, 4> order = {0, 1, 2, 3};
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return t.strides()[a] > t.strides()[b]; });
  return order;
}

// dst[i] = src[i - shift] where that lies inside src, else 0, per dim; dims in dst's memory order.
struct WindowCopyArgs {
  int64_t size[4];
  int64_t dst_stride[4], src_stride[4], src_size[4], shift[4];
};

template <class T>
__global__ void WindowCopyKernel(T* dst, const T* src, int64_t n, WindowCopyArgs a) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rest = i, dst_off = 0, src_off = 0;
    bool inside = true;
    for (int d = 3; d >= 0; --d) {
      const int64_t q = rest % a.size[d];
      rest /= a.size[d];
      const int64_t s = q - a.shift[d];
      inside = inside && s >= 0 && s < a.src_size[d];
      dst_off += q * a.dst_stride[d];
      src_off += s * a.src_stride[d];
    }
    dst[dst_off] = inside ? src[src_off] : T(0);
  }
}

// dst (N, C, Hd, Wd)[n, c, h, w] = src (N, C, Hs, Ws)[n, c, h - top, w - left], zero outside src;
// any strides (a zero-padded copy for top, left >= 0, a crop for top, left <= 0).
void WindowCopy(const Tensor& dst, const Tensor& src, int64_t top, int64_t left) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  const std::array<int, 4> order = MemoryOrder(dst);
  const int64_t shift[4] = {0, 0, top, left};
  WindowCopyArgs a;
  for (int k = 0; k < 4; ++k) {
    const int d = order[k];
    a.size[k] = dst.size(d);
    a.dst_stride[k] = dst.strides()[d];
    a.src_stride[k] = src.strides()[d];
    a.src_size[k] = src.size(d);
    a.shift[k] = shift[d];
  }
  DispatchFloating(dst.dtype(), "Conv2d (CUDA) padding", [&](auto tag) {
    using T = decltype(tag);
    WindowCopyKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<T*>(dst.raw_data()),
                                                                        static_cast<const T*>(src.raw_data()), n, a);
  });
  CheckLaunch("WindowCopyKernel");
}

// y[n, o, h, w] += b[o]; dims of y in its memory order, `channel` the position of dim 1 there.
struct BiasArgs {
  int64_t size[4], stride[4];
  int channel;
};

template <class T>
__global__ void AddBiasKernel(T* y, const T* b, int64_t n, BiasArgs a) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rest = i, off = 0, c = 0;
    for (int d = 3; d >= 0; --d) {
      const int64_t q = rest % a.size[d];
      rest /= a.size[d];
      off += q * a.stride[d];
      if (d == a.channel) c = q;
    }
    y[off] += b[c];
  }
}

void AddBias(const Tensor& y, const Tensor& b) {
  const int64_t n = y.numel();
  if (n == 0) return;
  const std::array<int, 4> order = MemoryOrder(y);
  BiasArgs a;
  a.channel = 0;
  for (int k = 0; k < 4; ++k) {
    a.size[k] = y.size(order[k]);
    a.stride[k] = y.strides()[order[k]];
    if (order[k] == 1) a.channel = k;
  }
  DispatchFloating(y.dtype(), "Conv2d (CUDA) bias", [&](auto tag) {
    using T = decltype(tag);
    AddBiasKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<T*>(y.raw_data()),
                                                                     static_cast<const T*>(b.raw_data()), n, a);
  });
  CheckLaunch("AddBiasKernel");
}

// gb[o] = sum of gy (N, O, OH, OW) over n, h, w (any strides): one block per channel (grid-stride),
// each thread summing a fixed strided subset, then a fixed-order tree over the block.
template <class T>
__global__ void BiasGradKernel(const T* gy, T* gb, int64_t channels, int64_t n, int64_t oh, int64_t ow, int64_t sn,
                               int64_t so, int64_t sh, int64_t sw) {
  __shared__ T partial[kThreads];
  const int64_t count = n * oh * ow;
  for (int64_t o = blockIdx.x; o < channels; o += gridDim.x) {
    T sum = 0;
    for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
      const int64_t w = j % ow, h = (j / ow) % oh, b = j / (oh * ow);
      sum += gy[b * sn + o * so + h * sh + w * sw];
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) gb[o] = partial[0];
    __syncthreads();  // partial[0] is read before the next channel overwrites it
  }
}

void BiasGrad(const Tensor& gy, const Tensor& gb) {
  const int64_t channels = gy.size(1);
  if (channels == 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>(channels, 65535LL * 8));
  DispatchFloating(gy.dtype(), "Conv2d (CUDA) bias gradient", [&](auto tag) {
    using T = decltype(tag);
    BiasGradKernel<T><<<blocks, kThreads, 0, CurrentStream()>>>(
        static_cast<const T*>(gy.raw_data()), static_cast<T*>(gb.raw_data()), channels, gy.size(0), gy.size(2),
        gy.size(3), gy.strides()[0], gy.strides()[1], gy.strides()[2], gy.strides()[3]);
  });
  CheckLaunch("BiasGradKernel");
}

// ---------------------------------------------------------------- formats and padding

// The format of a data operand, or nullopt when it is neither contiguous nor channels-last.
std::optional<Format> FormatOf(const Tensor& t) {
  if (t.is_contiguous()) return Format::kNchw;
  if (IsChannelsLast(t)) return Format::kNhwc;
  return std::nullopt;
}

Format Other(Format f) { return f == Format::kNhwc ? Format::kNchw : Format::kNhwc; }

// The format a pass prefers for data operands a and b (see the header comment).
Format PreferredFormat(const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::kFloat32) return Format::kNchw;
  return FormatOf(a) == Format::kNhwc || FormatOf(b) == Format::kNhwc ? Format::kNhwc : Format::kNchw;
}

Tensor EmptyIn(Format f, const Shape& shape, DType dtype, Device device) {
  return f == Format::kNhwc ? EmptyChannelsLast(shape, dtype, device) : Tensor::Empty(shape, dtype, device);
}

// t in format f: t itself, or a copy.
Tensor InFormat(const Tensor& t, Format f) {
  if (FormatOf(t) == f) return t;
  Tensor c = EmptyIn(f, t.shape(), t.dtype(), t.device());
  c.CopyFrom(t);
  return c;
}

// Right padding that makes (in + pad_l + pad_r - span) / stride + 1 == out: the left padding where
// that already holds, otherwise what the output size needs (as RightPad in ops/cpu/conv_dnnl.cc).
int64_t RightPad(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = dilation * (k - 1) + 1;
  if ((in + 2 * pad - span) / stride + 1 == out) return pad;
  return (out - 1) * stride + span - in - pad;
}

// How one spatial dimension maps onto cuDNN: its padding there, and the explicit zeros (lead before
// the input) and extent of the input side as cuDNN sees it.
struct Dim {
  int64_t pad, lead, extent;
  bool padded;  // the input side is an explicitly zero-padded copy along this dimension
};

Dim DimOf(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t right = RightPad(in, out, k, stride, pad, dilation);
  if (right == pad) return {pad, 0, in, false};
  // extent == (out - 1) stride + span: exactly `out` outputs with cuDNN padding 0. A negative
  // `right` leaves out trailing input rows that no output reads.
  return {0, pad, in + pad + right, true};
}

// The mapping of a whole pass: input side x or gx (N, C, H, W), output side y or gy (N, O, OH, OW).
struct Mapping {
  Format format;
  Dim h, w;
  bool explicit_pad() const { return h.padded || w.padded; }
};

Mapping MappingOf(const Conv2dParams& p, Format f, const Shape& in, const Shape& w, const Shape& out) {
  return {f, DimOf(in[2], out[2], w[2], p.stride_h, p.pad_h, p.dilation_h),
          DimOf(in[3], out[3], w[3], p.stride_w, p.pad_w, p.dilation_w)};
}

// The input side as cuDNN reads it: in the mapping's format, zero-padded where it says so.
Tensor InputSide(const Tensor& x, const Mapping& m) {
  if (!m.explicit_pad()) return InFormat(x, m.format);
  Tensor xp = EmptyIn(m.format, {x.size(0), x.size(1), m.h.extent, m.w.extent}, x.dtype(), x.device());
  WindowCopy(xp, x, m.h.lead, m.w.lead);
  return xp;
}

// ---------------------------------------------------------------- cuDNN problems and plans

// One cuDNN convolution, the key of the plan cache: input side (n, c, h, w) as cuDNN sees it
// (padded copy included), output side (o, oh, ow), kernel (kh, kw), cuDNN's symmetric padding.
struct Problem {
  Pass pass;
  DType dtype;
  Format format;
  bool tf32;
  bool bf16;  // bf16 autocast: bf16 operands and results, float32 compute (engine/precision.h)
  int64_t n, c, h, w, o, oh, ow, kh, kw, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w, groups;

  std::array<int64_t, 21> Fields() const {
    const int64_t kind[5] = {static_cast<int64_t>(pass), static_cast<int64_t>(dtype), static_cast<int64_t>(format),
                             tf32, bf16};
    return {kind[0], kind[1],  kind[2], kind[3], kind[4],  n,        c,          h,          w,      o, oh,
            ow,      kh,       kw,      pad_h,   pad_w,    stride_h, stride_w,   dilation_h, dilation_w, groups};
  }
  bool operator==(const Problem& other) const { return Fields() == other.Fields(); }
};

struct ProblemHash {
  size_t operator()(const Problem& p) const {
    size_t h = 1469598103934665603ull;  // FNV-1a over the fields
    for (int64_t f : p.Fields()) h = (h ^ static_cast<size_t>(f)) * 1099511628211ull;
    return h;
  }
};

Problem MakeProblem(Pass pass, const Conv2dParams& p, const Mapping& m, DType dtype, const Shape& in, const Shape& w,
                    const Shape& out) {
  Problem pr;
  pr.pass = pass;
  pr.dtype = dtype;
  pr.format = m.format;
  pr.bf16 = dtype == DType::kFloat32 && p.precision == MathPrecision::kBFloat16;
  pr.tf32 = dtype == DType::kFloat32 && !pr.bf16 && AllowTf32();
  pr.n = in[0];
  pr.c = in[1];
  pr.h = m.h.extent;  // the padded copy's extent where padding is explicit
  pr.w = m.w.extent;
  pr.o = out[1];
  pr.oh = out[2];
  pr.ow = out[3];
  pr.kh = w[2];
  pr.kw = w[3];
  pr.pad_h = m.h.pad;
  pr.pad_w = m.w.pad;
  pr.stride_h = p.stride_h;
  pr.stride_w = p.stride_w;
  pr.dilation_h = p.dilation_h;
  pr.dilation_w = p.dilation_w;
  pr.groups = p.groups;
  return pr;
}

// One algorithm to try: its enum value (of the pass's algorithm type), workspace bytes, math type.
struct Candidate {
  int algo;
  size_t workspace;
  cudnnMathType_t math;
};

// Descriptors of a problem and its candidate algorithms, best first; `next` skips those that
// reported CUDNN_STATUS_NOT_SUPPORTED when run. Read and updated under the cuDNN lock.
struct Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  std::vector<Candidate> candidates;
  size_t next = 0;
};

// Statuses that mean "this algorithm / layout is not available here": try the next one.
bool Skippable(cudnnStatus_t status) {
  const int category = CUDNN_STATUS_CATEGORY(status);
  return category == CUDNN_STATUS_NOT_SUPPORTED || category == CUDNN_STATUS_BAD_PARAM;
}

int ToInt(int64_t v, const char* what) {
  NB_CHECK(v >= 0 && v <= INT_MAX, "Conv2d (CUDA): ", what, " ", v, " exceeds cuDNN's int range");
  return static_cast<int>(v);
}

// The data type of the operands cuDNN sees (bf16 buffers under autocast).
cudnnDataType_t DataType(DType dtype, bool bf16) {
  if (dtype == DType::kFloat32) return bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
  if (dtype == DType::kFloat64) return CUDNN_DATA_DOUBLE;
  ThrowError("Conv2d (CUDA): dtype ", DTypeName(dtype), " is not supported (float32 or float64 expected)");
}

cudnnTensorFormat_t TensorFormat(Format f) { return f == Format::kNhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW; }

// The math type the problem asks for (the convolution descriptor's before the heuristic runs).
cudnnMathType_t RequestedMath(const Problem& pr) {
  if (pr.dtype != DType::kFloat32) return CUDNN_DEFAULT_MATH;
  if (pr.bf16) return CUDNN_TENSOR_OP_MATH;
  return pr.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
}

void SetDescriptors(const Problem& pr, Plan* plan) {
  const cudnnDataType_t dt = DataType(pr.dtype, pr.bf16);
  const cudnnDataType_t compute = pr.bf16 ? CUDNN_DATA_FLOAT : dt;  // bf16: float32 accumulation
  const cudnnTensorFormat_t tf = TensorFormat(pr.format);
  CudnnCheck(cudnnCreateTensorDescriptor(&plan->x), "cudnnCreateTensorDescriptor");
  CudnnCheck(cudnnCreateTensorDescriptor(&plan->y), "cudnnCreateTensorDescriptor");
  CudnnCheck(cudnnCreateFilterDescriptor(&plan->w), "cudnnCreateFilterDescriptor");
  CudnnCheck(cudnnCreateConvolutionDescriptor(&plan->conv), "cudnnCreateConvolutionDescriptor");
  CudnnCheck(cudnnSetTensor4dDescriptor(plan->x, tf, dt, ToInt(pr.n, "batch"), ToInt(pr.c, "channels"),
                                        ToInt(pr.h, "height"), ToInt(pr.w, "width")),
             "cudnnSetTensor4dDescriptor(input)");
  CudnnCheck(cudnnSetTensor4dDescriptor(plan->y, tf, dt, ToInt(pr.n, "batch"), ToInt(pr.o, "channels"),
                                        ToInt(pr.oh, "height"), ToInt(pr.ow, "width")),
             "cudnnSetTensor4dDescriptor(output)");
  CudnnCheck(cudnnSetFilter4dDescriptor(plan->w, dt, tf, ToInt(pr.o, "channels"), ToInt(pr.c / pr.groups, "channels"),
                                        ToInt(pr.kh, "kernel"), ToInt(pr.kw, "kernel")),
             "cudnnSetFilter4dDescriptor");
  CudnnCheck(cudnnSetConvolution2dDescriptor(plan->conv, ToInt(pr.pad_h, "padding"), ToInt(pr.pad_w, "padding"),
                                             ToInt(pr.stride_h, "stride"), ToInt(pr.stride_w, "stride"),
                                             ToInt(pr.dilation_h, "dilation"), ToInt(pr.dilation_w, "dilation"),
                                             CUDNN_CROSS_CORRELATION, compute),
             "cudnnSetConvolution2dDescriptor");
  CudnnCheck(cudnnSetConvolutionGroupCount(plan->conv, ToInt(pr.groups, "groups")), "cudnnSetConvolutionGroupCount");
  CudnnCheck(cudnnSetConvolutionMathType(plan->conv, RequestedMath(pr)), "cudnnSetConvolutionMathType");
  int dims[4] = {0, 0, 0, 0};
  CudnnCheck(
      cudnnGetConvolution2dForwardOutputDim(plan->conv, plan->x, plan->w, &dims[0], &dims[1], &dims[2], &dims[3]),
      "cudnnGetConvolution2dForwardOutputDim");
  NB_CHECK(dims[0] == pr.n && dims[1] == pr.o && dims[2] == pr.oh && dims[3] == pr.ow,
           "Conv2d (CUDA): cuDNN's output size (", dims[0], ", ", dims[1], ", ", dims[2], ", ", dims[3],
           ") differs from the expected (", pr.n, ", ", pr.o, ", ", pr.oh, ", ", pr.ow, ")");
}

// Workspace bytes of one algorithm of the plan's pass, or nullopt when cuDNN declines it.
std::optional<size_t> WorkspaceOf(cudnnHandle_t h, Pass pass, const Plan& plan, int algo) {
  size_t bytes = 0;
  cudnnStatus_t s = CUDNN_STATUS_SUCCESS;
  switch (pass) {
    case Pass::kForward:
      s = cudnnGetConvolutionForwardWorkspaceSize(h, plan.x, plan.w, plan.conv, plan.y,
                                                  static_cast<cudnnConvolutionFwdAlgo_t>(algo), &bytes);
      break;
    case Pass::kBackwardData:
      s = cudnnGetConvolutionBackwardDataWorkspaceSize(h, plan.w, plan.y, plan.conv, plan.x,
                                                       static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), &bytes);
      break;
    case Pass::kBackwardWeight:
      s = cudnnGetConvolutionBackwardFilterWorkspaceSize(h, plan.x, plan.y, plan.conv, plan.w,
                                                         static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), &bytes);
      break;
  }
  if (s != CUDNN_STATUS_SUCCESS) return std::nullopt;
  return bytes;
}

// Candidates from a heuristic ranking (best first): the usable ones, deterministic before
// non-deterministic, and workspaces up to kLargeWorkspace before larger ones.
constexpr size_t kLargeWorkspace = size_t{1} << 30;

template <class Perf>
void AddCandidates(cudnnHandle_t h, const Problem& pr, const std::vector<Perf>& perf, int returned, Plan* plan) {
  struct Ranked {
    Candidate c;
    int rank;
  };
  std::vector<Ranked> ranked;
  for (int i = 0; i < returned; ++i) {
    const Perf& r = perf[i];
    if (r.status != CUDNN_STATUS_SUCCESS) continue;
    const cudnnMathType_t math = RequestedMath(pr) == CUDNN_FMA_MATH ? CUDNN_FMA_MATH : r.mathType;
    CudnnCheck(cudnnSetConvolutionMathType(plan->conv, math), "cudnnSetConvolutionMathType");
    const std::optional<size_t> bytes = WorkspaceOf(h, pr.pass, *plan, static_cast<int>(r.algo));
    if (!bytes) continue;
    const int rank = (r.determinism == CUDNN_DETERMINISTIC ? 0 : 2) + (*bytes > kLargeWorkspace ? 1 : 0);
    ranked.push_back({{static_cast<int>(r.algo), *bytes, math}, rank});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) { return a.rank < b.rank; });
  for (const Ranked& r : ranked) plan->candidates.push_back(r.c);
}

// Whether a heuristic query answered; false when cuDNN does not support the problem (no candidates).
bool Usable(cudnnStatus_t status, const char* call) {
  if (Skippable(status)) return false;
  CudnnCheck(status, call);
  return true;
}

void FindCandidates(cudnnHandle_t h, const Problem& pr, Plan* plan) {
  int count = 0, returned = 0;
  switch (pr.pass) {
    case Pass::kForward: {
      CudnnCheck(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count), "cudnnGetConvolutionForwardAlgorithmMaxCount");
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(count, 1));
      if (!Usable(cudnnGetConvolutionForwardAlgorithm_v7(h, plan->x, plan->w, plan->conv, plan->y, count, &returned,
                                                         perf.data()),
                  "cudnnGetConvolutionForwardAlgorithm_v7"))
        return;
      AddCandidates(h, pr, perf, returned, plan);
      break;
    }
    case Pass::kBackwardData: {
      CudnnCheck(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count),
                 "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(std::max(count, 1));
      if (!Usable(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, plan->w, plan->y, plan->conv, plan->x, count,
                                                              &returned, perf.data()),
                  "cudnnGetConvolutionBackwardDataAlgorithm_v7"))
        return;
      AddCandidates(h, pr, perf, returned, plan);
      break;
    }
    case Pass::kBackwardWeight: {
      CudnnCheck(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &count),
                 "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(std::max(count, 1));
      if (!Usable(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, plan->x, plan->y, plan->conv, plan->w, count,
                                                                &returned, perf.data()),
                  "cudnnGetConvolutionBackwardFilterAlgorithm_v7"))
        return;
      AddCandidates(h, pr, perf, returned, plan);
      break;
    }
  }
}

// The cached plan of pr (created on first use). Call under the cuDNN lock.
Plan& PlanFor(cudnnHandle_t h, const Problem& pr) {
  // Plans are never evicted: a model has a few dozen conv shapes, and descriptors stay valid.
  static auto* cache = new std::unordered_map<Problem, std::unique_ptr<Plan>, ProblemHash>();
  auto it = cache->find(pr);
  if (it != cache->end()) return *it->second;
  auto plan = std::make_unique<Plan>();
  SetDescriptors(pr, plan.get());
  FindCandidates(h, pr, plan.get());
  return *cache->emplace(pr, std::move(plan)).first->second;
}

// Device pointers of one pass: x side (x or gx), weight side (w or gw), y side (y or gy).
struct Pointers {
  void* x;
  void* w;
  void* y;
};

cudnnStatus_t Launch(cudnnHandle_t h, const Problem& pr, const Plan& plan, const Candidate& c, const Pointers& ptr,
                     void* workspace) {
  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const bool dbl = pr.dtype == DType::kFloat64;
  const void* one = dbl ? static_cast<const void*>(&one_d) : static_cast<const void*>(&one_f);
  const void* zero = dbl ? static_cast<const void*>(&zero_d) : static_cast<const void*>(&zero_f);
  switch (pr.pass) {
    case Pass::kForward:
      return cudnnConvolutionForward(h, one, plan.x, ptr.x, plan.w, ptr.w, plan.conv,
                                     static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), workspace, c.workspace, zero,
                                     plan.y, ptr.y);
    case Pass::kBackwardData:
      return cudnnConvolutionBackwardData(h, one, plan.w, ptr.w, plan.y, ptr.y, plan.conv,
                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), workspace, c.workspace,
                                          zero, plan.x, ptr.x);
    case Pass::kBackwardWeight:
      return cudnnConvolutionBackwardFilter(h, one, plan.x, ptr.x, plan.y, ptr.y, plan.conv,
                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), workspace,
                                            c.workspace, zero, plan.w, ptr.w);
  }
  return CUDNN_STATUS_BAD_PARAM;
}

// Runs pr on the pointers with the first candidate that cuDNN accepts: CUDNN_STATUS_SUCCESS, or
// the last candidate's refusal (CUDNN_STATUS_NOT_SUPPORTED when there was none). Other errors throw.
cudnnStatus_t RunProblem(const Problem& pr, const Pointers& ptr, Device device) {
  cudnnStatus_t result = CUDNN_STATUS_NOT_SUPPORTED;
  WithCudnn([&](cudnnHandle_t h) {
    Plan& plan = PlanFor(h, pr);
    for (; plan.next < plan.candidates.size(); ++plan.next) {
      const Candidate& c = plan.candidates[plan.next];
      CudnnCheck(cudnnSetConvolutionMathType(plan.conv, c.math), "cudnnSetConvolutionMathType");
      Tensor workspace;  // freed after the launch: the stream orders its reuse
      if (c.workspace > 0) workspace = Tensor::Empty({static_cast<int64_t>(c.workspace)}, DType::kUInt8, device);
      const cudnnStatus_t s = Launch(h, pr, plan, c, ptr, workspace.defined() ? workspace.raw_data() : nullptr);
      result = s;
      if (s == CUDNN_STATUS_SUCCESS) return;
      if (!Skippable(s)) CudnnCheck(s, PassName(pr.pass));
    }
  });
  return result;
}

// Runs pr on dense float32 operands: x side xs, weight side ws, y side ys (the pass's output among
// them preallocated). Under bf16 autocast cuDNN runs on bf16 copies of the inputs and a bf16
// output buffer, which is widened into the float32 output.
cudnnStatus_t RunDense(const Problem& pr, const Tensor& xs, const Tensor& ws, const Tensor& ys, Device device) {
  if (!pr.bf16) return RunProblem(pr, {xs.raw_data(), ws.raw_data(), ys.raw_data()}, device);
  const Tensor* out = pr.pass == Pass::kForward ? &ys : pr.pass == Pass::kBackwardData ? &xs : &ws;
  auto side = [&](const Tensor& t) { return &t == out ? Bf16Buffer(t.numel(), device) : ToBf16Dense(t); };
  const Tensor xb = side(xs), wb = side(ws), yb = side(ys);
  const cudnnStatus_t s = RunProblem(pr, {xb.raw_data(), wb.raw_data(), yb.raw_data()}, device);
  if (s == CUDNN_STATUS_SUCCESS) {
    WidenBf16(pr.pass == Pass::kForward ? yb : pr.pass == Pass::kBackwardData ? xb : wb, *out);
  }
  return s;
}

[[noreturn]] void ThrowNoAlgorithm(Pass pass, cudnnStatus_t last, const Conv2dParams& p, const Tensor& in,
                                   const Tensor& w, const Tensor& out) {
  ThrowError("Conv2d (CUDA): no cuDNN algorithm runs ", PassName(pass), " (last status: ", cudnnGetErrorString(last),
             ") for input ", in.Describe(), ", weight ", w.Describe(), ", output ", out.Describe(), " with stride (",
             p.stride_h, ", ", p.stride_w, "), padding (", p.pad_h, ", ", p.pad_w, "), dilation (", p.dilation_h, ", ",
             p.dilation_w, "), groups ", p.groups);
}

// The weight (O, C/groups, KH, KW) as cuDNN reads it in format f (NHWC: a KRSC copy).
Tensor WeightIn(const Tensor& w, Format f) {
  if (f == Format::kNchw) return w.is_contiguous() ? w : w.Contiguous();
  return InFormat(w, f);
}

// ---------------------------------------------------------------- the three passes

// Forward in format f: CUDNN_STATUS_SUCCESS, or why no cuDNN algorithm ran it.
cudnnStatus_t ForwardIn(Format f, const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                        const Tensor& y) {
  const Mapping m = MappingOf(p, f, x.shape(), w.shape(), y.shape());
  const Tensor xs = InputSide(x, m);
  const Tensor ws = WeightIn(w, f);
  const Tensor ys = FormatOf(y) == f ? y : EmptyIn(f, y.shape(), y.dtype(), y.device());
  const Problem pr = MakeProblem(Pass::kForward, p, m, x.dtype(), x.shape(), w.shape(), y.shape());
  const cudnnStatus_t s = RunDense(pr, xs, ws, ys, x.device());
  if (s != CUDNN_STATUS_SUCCESS) return s;
  if (b.defined()) AddBias(ys, b);
  if (ys.raw_data() != y.raw_data()) y.CopyFrom(ys);
  return CUDNN_STATUS_SUCCESS;
}

void Forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
  const Format f = PreferredFormat(x, y);
  cudnnStatus_t s = ForwardIn(f, p, x, w, b, y);
  if (s != CUDNN_STATUS_SUCCESS) s = ForwardIn(Other(f), p, x, w, b, y);
  if (s != CUDNN_STATUS_SUCCESS) ThrowNoAlgorithm(Pass::kForward, s, p, x, w, y);
}

// Backward data in format f: CUDNN_STATUS_SUCCESS, or why no cuDNN algorithm ran it.
cudnnStatus_t BackwardDataIn(Format f, const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const Mapping m = MappingOf(p, f, gx.shape(), w.shape(), gy.shape());
  const Tensor gys = InFormat(gy, f);
  const Tensor ws = WeightIn(w, f);
  Tensor gxs;  // the gradient of the input side as cuDNN sees it
  if (m.explicit_pad()) {
    gxs = EmptyIn(f, {gx.size(0), gx.size(1), m.h.extent, m.w.extent}, gx.dtype(), gx.device());
  } else {
    gxs = FormatOf(gx) == f ? gx : EmptyIn(f, gx.shape(), gx.dtype(), gx.device());
  }
  const Problem pr = MakeProblem(Pass::kBackwardData, p, m, gy.dtype(), gx.shape(), w.shape(), gy.shape());
  const cudnnStatus_t s = RunDense(pr, gxs, ws, gys, gy.device());
  if (s != CUDNN_STATUS_SUCCESS) return s;
  if (m.explicit_pad()) {
    WindowCopy(gx, gxs, -m.h.lead, -m.w.lead);  // crop; rows past the padded extent get 0
  } else if (gxs.raw_data() != gx.raw_data()) {
    gx.CopyFrom(gxs);
  }
  return CUDNN_STATUS_SUCCESS;
}

void BackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const Format f = PreferredFormat(gy, gx);
  cudnnStatus_t s = BackwardDataIn(f, p, gy, w, gx);
  if (s != CUDNN_STATUS_SUCCESS) s = BackwardDataIn(Other(f), p, gy, w, gx);
  if (s != CUDNN_STATUS_SUCCESS) ThrowNoAlgorithm(Pass::kBackwardData, s, p, gx, w, gy);
}

// Backward weight in format f: CUDNN_STATUS_SUCCESS, or why no cuDNN algorithm ran it.
cudnnStatus_t BackwardWeightIn(Format f, const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw) {
  const Mapping m = MappingOf(p, f, x.shape(), gw.shape(), gy.shape());
  const Tensor xs = InputSide(x, m);
  const Tensor gys = InFormat(gy, f);
  const bool direct = f == Format::kNchw && gw.is_contiguous();
  const Tensor gws = direct ? gw : EmptyIn(f, gw.shape(), gw.dtype(), gw.device());
  const Problem pr = MakeProblem(Pass::kBackwardWeight, p, m, x.dtype(), x.shape(), gw.shape(), gy.shape());
  const cudnnStatus_t s = RunDense(pr, xs, gws, gys, x.device());
  if (s != CUDNN_STATUS_SUCCESS) return s;
  if (!direct) gw.CopyFrom(gws);
  return CUDNN_STATUS_SUCCESS;
}

void BackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb) {
  if (gb.defined()) BiasGrad(gy, gb);
  const Format f = PreferredFormat(x, gy);
  cudnnStatus_t s = BackwardWeightIn(f, p, x, gy, gw);
  if (s != CUDNN_STATUS_SUCCESS) s = BackwardWeightIn(Other(f), p, x, gy, gw);
  if (s != CUDNN_STATUS_SUCCESS) ThrowNoAlgorithm(Pass::kBackwardWeight, s, p, x, gw, gy);
}

}  // namespace

const Conv2dKernels kConv2d = {Forward, BackwardData, BackwardWeight};

}  // namespace cuda
}  // namespace nb360
