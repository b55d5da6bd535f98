// ops/cuda/elementwise.cu: CUDA kernels for unary ops (forward + fused backward), binary ops
// (arithmetic and comparisons) and where(), mirroring ops/cpu/elementwise.cc formula by formula.
//
// Every kernel is one grid-stride loop over the logical elements of the output shape, one thread
// per element, on cuda::CurrentStream(). The op is a functor template parameter, so each
// (op, dtype) pair is its own kernel with no per-element branching on the op. Operand layouts:
//   - all operands contiguous: element i sits at offset i (fast path, coalesced);
//   - binary with a contiguous a and a broadcast scalar b (x + 1, x * c): b is read once;
//   - anything else: a StridedIndex over the operands' strides (stride 0 = broadcast), built on the
//     host after dropping size-1 dims and merging dims that are contiguous in every operand, so a
//     typical broadcast needs only one or two div/mods per element.
// Floating math uses the CUDA libm (expf/exp, erff/erf, ...) in the operand's precision, as the
// CPU's std:: calls do; constants are rounded to T exactly where the CPU rounds them.
#include <cstdint>
#include <type_traits>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/cuda/strided_index.h"
#include "engine/dtype.h"
#include "engine/tensor.h"
#include "ops/elementwise.h"

namespace nb360 {
namespace cuda {
namespace {

constexpr double kSqrtHalf = 0.70710678118654752440;       // M_SQRT1_2
constexpr double kInvSqrt2Pi = 0.3989422804014327;         // 1 / sqrt(2 pi), as the CPU writes it

// ---------------------------------------------------------------- layout helpers

// The index of `shape` over the operands' strides with size-1 dims dropped and neighbouring dims
// merged wherever every operand steps through them as one (stride[d] == stride[d+1] * size[d+1]).
// Linear index order (row-major over `shape`) is unchanged.
template <int kOperands>
StridedIndex<kOperands> CoalescedIndex(const Shape& shape, const Tensor* const (&operands)[kOperands],
                                       const char* op) {
  StridedIndex<kOperands> s;
  int dims = 0;
  int64_t sizes[64];
  int64_t strides[kOperands][64];
  NB_CHECK(shape.size() <= 64, op, " (CUDA): too many dimensions in ", ShapeString(shape));
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = dims > 0;
    for (int k = 0; k < kOperands && merge; ++k) {
      merge = strides[k][dims - 1] == operands[k]->strides()[d] * shape[d];
    }
    if (merge) {
      sizes[dims - 1] *= shape[d];
      for (int k = 0; k < kOperands; ++k) strides[k][dims - 1] = operands[k]->strides()[d];
    } else {
      sizes[dims] = shape[d];
      for (int k = 0; k < kOperands; ++k) strides[k][dims] = operands[k]->strides()[d];
      ++dims;
    }
  }
  NB_CHECK(dims <= kMaxDims, op, " (CUDA): shape ", ShapeString(shape), " needs ", dims,
           " strided dimensions after merging, at most ", kMaxDims, " are supported");
  s.dims = dims;
  for (int d = 0; d < dims; ++d) {
    s.sizes[d] = sizes[d];
    for (int k = 0; k < kOperands; ++k) s.strides[k][d] = strides[k][d];
  }
  return s;
}

// True when every element of t (expanded to its shape) is the same one: all strides 0 or size 1.
bool IsBroadcastScalar(const Tensor& t) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.shape()[d] != 1 && t.strides()[d] != 0) return false;
  }
  return true;
}

__device__ __forceinline__ int64_t GridStart() {
  return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
}
__device__ __forceinline__ int64_t GridStep() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// ---------------------------------------------------------------- device math in T's precision

__device__ __forceinline__ float Exp(float v) { return expf(v); }
__device__ __forceinline__ double Exp(double v) { return exp(v); }
__device__ __forceinline__ float Log(float v) { return logf(v); }
__device__ __forceinline__ double Log(double v) { return log(v); }
__device__ __forceinline__ float Log1p(float v) { return log1pf(v); }
__device__ __forceinline__ double Log1p(double v) { return log1p(v); }
__device__ __forceinline__ float Sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double Sqrt(double v) { return sqrt(v); }
__device__ __forceinline__ float Abs(float v) { return fabsf(v); }
__device__ __forceinline__ double Abs(double v) { return fabs(v); }
__device__ __forceinline__ float Erf(float v) { return erff(v); }
__device__ __forceinline__ double Erf(double v) { return erf(v); }
__device__ __forceinline__ float Tanh(float v) { return tanhf(v); }
__device__ __forceinline__ double Tanh(double v) { return tanh(v); }
__device__ __forceinline__ float Pow(float v, float e) { return powf(v, e); }
__device__ __forceinline__ double Pow(double v, double e) { return pow(v, e); }

// ---------------------------------------------------------------- unary forward functors

template <class T>
struct NegF {
  __device__ T operator()(T v) const { return -v; }
};
template <class T>
struct ExpF {
  __device__ T operator()(T v) const { return Exp(v); }
};
template <class T>
struct LogF {
  __device__ T operator()(T v) const { return Log(v); }
};
template <class T>
struct SqrtF {
  __device__ T operator()(T v) const { return Sqrt(v); }
};
template <class T>
struct AbsF {
  __device__ T operator()(T v) const { return Abs(v); }
};
template <class T>
struct ReluF {
  __device__ T operator()(T v) const { return v > T(0) ? v : T(0); }
};
template <class T>
struct LeakyReluF {
  T slope;
  __device__ T operator()(T v) const { return v > T(0) ? v : v * slope; }
};
template <class T>
struct GeluF {  // exact: 0.5 x (1 + erf(x / sqrt 2))
  __device__ T operator()(T v) const {
    return static_cast<T>(0.5) * v * (static_cast<T>(1) + Erf(v * static_cast<T>(kSqrtHalf)));
  }
};
template <class T>
struct SigmoidF {
  __device__ T operator()(T v) const { return T(1) / (T(1) + Exp(-v)); }
};
template <class T>
struct TanhF {
  __device__ T operator()(T v) const { return Tanh(v); }
};
template <class T>
struct SoftplusF {  // beta, threshold: x where beta x > threshold, else log1p(exp(beta x)) / beta
  T beta, threshold;
  __device__ T operator()(T v) const { return v * beta > threshold ? v : Log1p(Exp(v * beta)) / beta; }
};
template <class T>
struct ClampF {
  T lo, hi;
  __device__ T operator()(T v) const { return v < lo ? lo : (v > hi ? hi : v); }
};
template <class T>
struct SquareF {  // pow(x, 2), as the CPU special-cases it
  __device__ T operator()(T v) const { return v * v; }
};
template <class T>
struct PowScalarF {
  T exponent;
  __device__ T operator()(T v) const { return Pow(v, exponent); }
};

// ---------------------------------------------------------------- unary backward functors
// Each maps (in, g) to gx, where `in` is x, or y for exp / sqrt / sigmoid / tanh (the front end
// saves only the one the derivative reads).

template <class T>
struct NegGrad {
  __device__ T operator()(T, T g) const { return -g; }
};
template <class T>
struct ExpGrad {  // reads y
  __device__ T operator()(T y, T g) const { return g * y; }
};
template <class T>
struct LogGrad {
  __device__ T operator()(T x, T g) const { return g / x; }
};
template <class T>
struct SqrtGrad {  // reads y
  __device__ T operator()(T y, T g) const { return g / (T(2) * y); }
};
template <class T>
struct AbsGrad {
  __device__ T operator()(T x, T g) const { return x > T(0) ? g : (x < T(0) ? -g : T(0)); }
};
template <class T>
struct ReluGrad {
  __device__ T operator()(T x, T g) const { return x > T(0) ? g : T(0); }
};
template <class T>
struct LeakyReluGrad {
  T slope;
  __device__ T operator()(T x, T g) const { return x > T(0) ? g : g * slope; }
};
template <class T>
struct GeluGrad {  // cdf(x) + x pdf(x)
  __device__ T operator()(T x, T g) const {
    const T cdf = static_cast<T>(0.5) * (static_cast<T>(1) + Erf(x * static_cast<T>(kSqrtHalf)));
    const T pdf = Exp(static_cast<T>(-0.5) * x * x) * static_cast<T>(kInvSqrt2Pi);
    return g * (cdf + x * pdf);
  }
};
template <class T>
struct SigmoidGrad {  // reads y
  __device__ T operator()(T y, T g) const { return g * y * (T(1) - y); }
};
template <class T>
struct TanhGrad {  // reads y
  __device__ T operator()(T y, T g) const { return g * (T(1) - y * y); }
};
template <class T>
struct SoftplusGrad {
  T beta, threshold;
  __device__ T operator()(T x, T g) const {
    if (x * beta > threshold) return g;
    return g / (T(1) + Exp(-x * beta));
  }
};
template <class T>
struct ClampGrad {  // the gradient passes inside [min, max], bounds included
  T lo, hi;
  __device__ T operator()(T x, T g) const { return x >= lo && x <= hi ? g : T(0); }
};
template <class T>
struct PowScalarGrad {
  T exponent;
  __device__ T operator()(T x, T g) const { return g * exponent * Pow(x, exponent - T(1)); }
};

// ---------------------------------------------------------------- binary functors
// Arithmetic returns T (C++ promotion then conversion, exactly as the CPU's Map2 stores it);
// comparisons return bool.

template <class T>
struct AddF {
  __device__ T operator()(T a, T b) const { return static_cast<T>(a + b); }
};
template <class T>
struct SubF {
  __device__ T operator()(T a, T b) const { return static_cast<T>(a - b); }
};
template <class T>
struct MulF {
  __device__ T operator()(T a, T b) const { return static_cast<T>(a * b); }
};
template <class T>
struct DivF {
  __device__ T operator()(T a, T b) const { return static_cast<T>(a / b); }
};
template <class T>
struct PowF {  // std::pow: float/double in their precision, integers (and bool) through double
  __device__ T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return Pow(a, b);
    } else {
      return static_cast<T>(pow(static_cast<double>(a), static_cast<double>(b)));
    }
  }
};
template <class T>
struct MaximumF {  // NaN in a propagates; NaN in b propagates (a > NaN is false)
  __device__ T operator()(T a, T b) const { return (a > b || a != a) ? a : b; }
};
template <class T>
struct MinimumF {
  __device__ T operator()(T a, T b) const { return (a < b || a != a) ? a : b; }
};
template <class T>
struct EqF {
  __device__ bool operator()(T a, T b) const { return a == b; }
};
template <class T>
struct NeF {
  __device__ bool operator()(T a, T b) const { return a != b; }
};
template <class T>
struct LtF {
  __device__ bool operator()(T a, T b) const { return a < b; }
};
template <class T>
struct LeF {
  __device__ bool operator()(T a, T b) const { return a <= b; }
};
template <class T>
struct GtF {
  __device__ bool operator()(T a, T b) const { return a > b; }
};
template <class T>
struct GeF {
  __device__ bool operator()(T a, T b) const { return a >= b; }
};

// ---------------------------------------------------------------- kernels

// y = f(x) over n elements; operand 0 of `index` is y, operand 1 is x.
template <class T, class F, bool kContiguous>
__global__ void MapKernel1(const T* x, T* y, int64_t n, StridedIndex<2> index, F f) {
  for (int64_t i = GridStart(); i < n; i += GridStep()) {
    if constexpr (kContiguous) {
      y[i] = f(x[i]);
    } else {
      int64_t off[2];
      index.Offsets(i, off);
      y[off[0]] = f(x[off[1]]);
    }
  }
}

// Operand layouts of a two-input map.
enum class Layout2 { kContiguous, kScalarB, kStrided };

// out = f(a, b) over n elements; operands of `index`: out, a, b.
template <class TA, class TB, class TO, class F, Layout2 kLayout>
__global__ void MapKernel2(const TA* a, const TB* b, TO* out, int64_t n, StridedIndex<3> index, F f) {
  if constexpr (kLayout == Layout2::kScalarB) {
    const TB bv = *b;
    for (int64_t i = GridStart(); i < n; i += GridStep()) out[i] = f(a[i], bv);
  } else {
    for (int64_t i = GridStart(); i < n; i += GridStep()) {
      if constexpr (kLayout == Layout2::kContiguous) {
        out[i] = f(a[i], b[i]);
      } else {
        int64_t off[3];
        index.Offsets(i, off);
        out[off[0]] = f(a[off[1]], b[off[2]]);
      }
    }
  }
}

// out = cond ? a : b over n elements; operands of `index`: out, cond, a, b.
template <class T, bool kContiguous>
__global__ void WhereKernel(const bool* cond, const T* a, const T* b, T* out, int64_t n,
                            StridedIndex<4> index) {
  for (int64_t i = GridStart(); i < n; i += GridStep()) {
    if constexpr (kContiguous) {
      out[i] = cond[i] ? a[i] : b[i];
    } else {
      int64_t off[4];
      index.Offsets(i, off);
      out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
    }
  }
}

// ---------------------------------------------------------------- launchers

// y (x's shape) = f(x).
template <class T, class F>
void LaunchMap1(const Tensor& x, const Tensor& y, F f) {
  const int64_t n = x.numel();
  if (n == 0) return;
  const T* xp = static_cast<const T*>(x.raw_data());
  T* yp = static_cast<T*>(y.raw_data());
  if (x.is_contiguous() && y.is_contiguous()) {
    MapKernel1<T, F, true><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(xp, yp, n, StridedIndex<2>{}, f);
  } else {
    const Tensor* ops[2] = {&y, &x};
    const StridedIndex<2> index = CoalescedIndex<2>(x.shape(), ops, "unary");
    MapKernel1<T, F, false><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(xp, yp, n, index, f);
  }
  CheckLaunch("MapKernel1 (unary)");
}

// out (out's shape; a and b expanded to it) = f(a, b).
template <class TA, class TB, class TO, class F>
void LaunchMap2(const Tensor& a, const Tensor& b, const Tensor& out, F f, const char* name) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const TA* ap = static_cast<const TA*>(a.raw_data());
  const TB* bp = static_cast<const TB*>(b.raw_data());
  TO* op = static_cast<TO*>(out.raw_data());
  const int blocks = BlocksFor(n);
  cudaStream_t stream = CurrentStream();
  if (out.is_contiguous() && a.is_contiguous() && b.is_contiguous()) {
    MapKernel2<TA, TB, TO, F, Layout2::kContiguous><<<blocks, kThreads, 0, stream>>>(ap, bp, op, n, {}, f);
  } else if (out.is_contiguous() && a.is_contiguous() && IsBroadcastScalar(b)) {
    MapKernel2<TA, TB, TO, F, Layout2::kScalarB><<<blocks, kThreads, 0, stream>>>(ap, bp, op, n, {}, f);
  } else {
    const Tensor* ops[3] = {&out, &a, &b};
    const StridedIndex<3> index = CoalescedIndex<3>(out.shape(), ops, name);
    MapKernel2<TA, TB, TO, F, Layout2::kStrided><<<blocks, kThreads, 0, stream>>>(ap, bp, op, n, index, f);
  }
  CheckLaunch(name);
}

// ---------------------------------------------------------------- unary

template <class T>
void UnaryForwardT(const UnaryParams& p, const Tensor& x, const Tensor& y) {
  const T a = static_cast<T>(p.a), b = static_cast<T>(p.b);
  switch (p.op) {
    case UnaryOp::kNeg: return LaunchMap1<T>(x, y, NegF<T>{});
    case UnaryOp::kExp: return LaunchMap1<T>(x, y, ExpF<T>{});
    case UnaryOp::kLog: return LaunchMap1<T>(x, y, LogF<T>{});
    case UnaryOp::kSqrt: return LaunchMap1<T>(x, y, SqrtF<T>{});
    case UnaryOp::kAbs: return LaunchMap1<T>(x, y, AbsF<T>{});
    case UnaryOp::kRelu: return LaunchMap1<T>(x, y, ReluF<T>{});
    case UnaryOp::kLeakyRelu: return LaunchMap1<T>(x, y, LeakyReluF<T>{a});
    case UnaryOp::kGelu: return LaunchMap1<T>(x, y, GeluF<T>{});
    case UnaryOp::kSigmoid: return LaunchMap1<T>(x, y, SigmoidF<T>{});
    case UnaryOp::kTanh: return LaunchMap1<T>(x, y, TanhF<T>{});
    case UnaryOp::kSoftplus: return LaunchMap1<T>(x, y, SoftplusF<T>{a, b});
    case UnaryOp::kClamp: return LaunchMap1<T>(x, y, ClampF<T>{a, b});
    case UnaryOp::kPowScalar:
      if (p.a == 2.0) return LaunchMap1<T>(x, y, SquareF<T>{});
      return LaunchMap1<T>(x, y, PowScalarF<T>{a});
  }
  ThrowError("unary (CUDA): unknown op ", static_cast<int>(p.op));
}

// gx (contiguous, in's shape) = gy * f'(in), in = x if defined else y; gy broadcasts to in's shape.
template <class T>
void UnaryBackwardT(const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                    const Tensor& gx) {
  const T a = static_cast<T>(p.a), b = static_cast<T>(p.b);
  const Tensor& in = x.defined() ? x : y;
  const Tensor g = gy.To(in.dtype()).Expand(in.shape());
  auto run = [&](auto df) { LaunchMap2<T, T, T>(in, g, gx, df, "MapKernel2 (unary backward)"); };
  switch (p.op) {
    case UnaryOp::kNeg: return run(NegGrad<T>{});
    case UnaryOp::kExp: return run(ExpGrad<T>{});
    case UnaryOp::kLog: return run(LogGrad<T>{});
    case UnaryOp::kSqrt: return run(SqrtGrad<T>{});
    case UnaryOp::kAbs: return run(AbsGrad<T>{});
    case UnaryOp::kRelu: return run(ReluGrad<T>{});
    case UnaryOp::kLeakyRelu: return run(LeakyReluGrad<T>{a});
    case UnaryOp::kGelu: return run(GeluGrad<T>{});
    case UnaryOp::kSigmoid: return run(SigmoidGrad<T>{});
    case UnaryOp::kTanh: return run(TanhGrad<T>{});
    case UnaryOp::kSoftplus: return run(SoftplusGrad<T>{a, b});
    case UnaryOp::kClamp: return run(ClampGrad<T>{a, b});
    case UnaryOp::kPowScalar: return run(PowScalarGrad<T>{a});
  }
  ThrowError("unary backward (CUDA): unknown op ", static_cast<int>(p.op));
}

void UnaryForward(const UnaryParams& p, const Tensor& x, const Tensor& y) {
  NB_CHECK(x.shape() == y.shape(), "unary (CUDA): x ", x.Describe(), " and y ", y.Describe(), " differ in shape");
  DispatchFloating(x.dtype(), "unary (CUDA)", [&](auto tag) { UnaryForwardT<decltype(tag)>(p, x, y); });
}

void UnaryBackward(const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                   const Tensor& gx) {
  const Tensor& in = x.defined() ? x : y;
  NB_CHECK(in.shape() == gx.shape(), "unary backward (CUDA): input ", in.Describe(), " and gx ",
           gx.Describe(), " differ in shape");
  DispatchFloating(in.dtype(), "unary backward (CUDA)",
                   [&](auto tag) { UnaryBackwardT<decltype(tag)>(p, x, y, gy, gx); });
}

// ---------------------------------------------------------------- binary and where

template <class T>
void BinaryT(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const char* kName = "MapKernel2 (binary)";
  switch (op) {
    case BinaryOp::kAdd: return LaunchMap2<T, T, T>(a, b, out, AddF<T>{}, kName);
    case BinaryOp::kSub: return LaunchMap2<T, T, T>(a, b, out, SubF<T>{}, kName);
    case BinaryOp::kMul: return LaunchMap2<T, T, T>(a, b, out, MulF<T>{}, kName);
    case BinaryOp::kDiv: return LaunchMap2<T, T, T>(a, b, out, DivF<T>{}, kName);
    case BinaryOp::kPow: return LaunchMap2<T, T, T>(a, b, out, PowF<T>{}, kName);
    case BinaryOp::kMaximum: return LaunchMap2<T, T, T>(a, b, out, MaximumF<T>{}, kName);
    case BinaryOp::kMinimum: return LaunchMap2<T, T, T>(a, b, out, MinimumF<T>{}, kName);
    case BinaryOp::kEq: return LaunchMap2<T, T, bool>(a, b, out, EqF<T>{}, kName);
    case BinaryOp::kNe: return LaunchMap2<T, T, bool>(a, b, out, NeF<T>{}, kName);
    case BinaryOp::kLt: return LaunchMap2<T, T, bool>(a, b, out, LtF<T>{}, kName);
    case BinaryOp::kLe: return LaunchMap2<T, T, bool>(a, b, out, LeF<T>{}, kName);
    case BinaryOp::kGt: return LaunchMap2<T, T, bool>(a, b, out, GtF<T>{}, kName);
    case BinaryOp::kGe: return LaunchMap2<T, T, bool>(a, b, out, GeF<T>{}, kName);
  }
  ThrowError("binary (CUDA): unknown op ", static_cast<int>(op));
}

void BinaryForward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  NB_CHECK(a.dtype() == b.dtype(), "binary (CUDA): operands ", a.Describe(), " and ", b.Describe(),
           " must share the compute dtype");
  NB_CHECK(a.shape() == out.shape() && b.shape() == out.shape(), "binary (CUDA): operands ", a.Describe(),
           " and ", b.Describe(), " must be expanded to out's shape ", ShapeString(out.shape()));
  const DType expected = op >= BinaryOp::kEq ? DType::kBool : a.dtype();
  NB_CHECK(out.dtype() == expected, "binary (CUDA): out ", out.Describe(), " should be ", DTypeName(expected));
  DispatchAll(a.dtype(), [&](auto tag) { BinaryT<decltype(tag)>(op, a, b, out); });
}

void WhereForward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  NB_CHECK(cond.dtype() == DType::kBool, "where (CUDA): cond must be bool, got ", cond.Describe());
  NB_CHECK(a.dtype() == out.dtype() && b.dtype() == out.dtype(), "where (CUDA): a ", a.Describe(), ", b ",
           b.Describe(), " and out ", out.Describe(), " must share a dtype");
  NB_CHECK(cond.shape() == out.shape() && a.shape() == out.shape() && b.shape() == out.shape(),
           "where (CUDA): cond ", cond.Describe(), ", a ", a.Describe(), " and b ", b.Describe(),
           " must be expanded to out's shape ", ShapeString(out.shape()));
  const int64_t n = out.numel();
  if (n == 0) return;
  DispatchAll(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const bool* cp = static_cast<const bool*>(cond.raw_data());
    const T* ap = static_cast<const T*>(a.raw_data());
    const T* bp = static_cast<const T*>(b.raw_data());
    T* op = static_cast<T*>(out.raw_data());
    if (out.is_contiguous() && cond.is_contiguous() && a.is_contiguous() && b.is_contiguous()) {
      WhereKernel<T, true><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(cp, ap, bp, op, n, {});
    } else {
      const Tensor* ops[4] = {&out, &cond, &a, &b};
      const StridedIndex<4> index = CoalescedIndex<4>(out.shape(), ops, "where");
      WhereKernel<T, false><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(cp, ap, bp, op, n, index);
    }
  });
  CheckLaunch("WhereKernel");
}

}  // namespace

const UnaryKernels kUnary = {UnaryForward, UnaryBackward};
const BinaryKernels kBinary = {BinaryForward};
const WhereKernels kWhere = {WhereForward};

}  // namespace cuda
}  // namespace nb360
