// ops/cpu/elementwise.cc: CPU kernels for unary, binary and where (parallel over rows; contiguous
// rows take a unit-stride loop the compiler vectorises).
#include <cmath>

#include "engine/strided.h"
#include "ops/cpu/vec_math.h"
#include "ops/elementwise.h"

namespace nb360 {
namespace cpu {
namespace {

template <class T, class F>
void Map1(const Tensor& x, const Tensor& y, F f) {
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  ForEachRow<2>(x.shape(), {y.strides(), x.strides()},
                [&](const std::array<int64_t, 2>& o, int64_t n, const std::array<int64_t, 2>& s) {
                  T* yr = yp + o[0];
                  const T* xr = xp + o[1];
                  if (s[0] == 1 && s[1] == 1) {
                    for (int64_t i = 0; i < n; ++i) yr[i] = f(xr[i]);
                  } else {
                    for (int64_t i = 0; i < n; ++i) yr[i * s[0]] = f(xr[i * s[1]]);
                  }
                });
}

// out[i] = f(a[i], b[i]) over an iteration shape with three stride sets.
template <class TA, class TB, class TO, class F>
void Map2(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  const TA* ap = static_cast<const TA*>(a.raw_data());
  const TB* bp = static_cast<const TB*>(b.raw_data());
  TO* op = static_cast<TO*>(out.raw_data());
  ForEachRow<3>(out.shape(), {out.strides(), a.strides(), b.strides()},
                [&](const std::array<int64_t, 3>& o, int64_t n, const std::array<int64_t, 3>& s) {
                  TO* orow = op + o[0];
                  const TA* arow = ap + o[1];
                  const TB* brow = bp + o[2];
                  if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                    for (int64_t i = 0; i < n; ++i) orow[i] = f(arow[i], brow[i]);
                  } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
                    const TB bv = *brow;
                    for (int64_t i = 0; i < n; ++i) orow[i] = f(arow[i], bv);
                  } else {
                    for (int64_t i = 0; i < n; ++i) orow[i * s[0]] = f(arow[i * s[1]], brow[i * s[2]]);
                  }
                });
}

template <class T>
T GeluForward(T x) {
  return static_cast<T>(0.5) * x * (static_cast<T>(1) + std::erf(x * static_cast<T>(M_SQRT1_2)));
}

template <class T>
T GeluGrad(T x) {
  const T cdf = static_cast<T>(0.5) * (static_cast<T>(1) + std::erf(x * static_cast<T>(M_SQRT1_2)));
  const T pdf = std::exp(static_cast<T>(-0.5) * x * x) * static_cast<T>(0.3989422804014327);
  return cdf + x * pdf;
}

bool HasVecForward(UnaryOp op) {
  return op == UnaryOp::kExp || op == UnaryOp::kLog || op == UnaryOp::kTanh || op == UnaryOp::kSigmoid ||
         op == UnaryOp::kSoftplus || op == UnaryOp::kGelu;
}

// float32 rows of exp-family ops through the vectorised libmvec functions, in cache-sized chunks.
// Returns false for ops without a vector path.
bool VecUnaryForwardRow(const UnaryParams& p, const float* x, float* y, int64_t n) {
  const float a = static_cast<float>(p.a), b = static_cast<float>(p.b);
  switch (p.op) {
    case UnaryOp::kExp: VecExp(x, y, n); return true;
    case UnaryOp::kLog: VecLog(x, y, n); return true;
    case UnaryOp::kTanh: VecTanh(x, y, n); return true;
    default: break;
  }
  if (p.op != UnaryOp::kSigmoid && p.op != UnaryOp::kSoftplus && p.op != UnaryOp::kGelu) return false;
  constexpr int64_t kChunk = 512;
  float t[kChunk];
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t m = std::min(kChunk, n - c);
    const float* xc = x + c;
    float* yc = y + c;
    if (p.op == UnaryOp::kSigmoid) {
      for (int64_t j = 0; j < m; ++j) t[j] = -xc[j];
      VecExp(t, t, m);
      for (int64_t j = 0; j < m; ++j) yc[j] = 1.0f / (1.0f + t[j]);
    } else if (p.op == UnaryOp::kSoftplus) {
      for (int64_t j = 0; j < m; ++j) t[j] = std::min(xc[j] * a, b);  // above b the result is x
      VecExp(t, t, m);
      VecLog1p(t, t, m);
      for (int64_t j = 0; j < m; ++j) yc[j] = xc[j] * a > b ? xc[j] : t[j] / a;
    } else {  // GELU
      for (int64_t j = 0; j < m; ++j) t[j] = xc[j] * static_cast<float>(M_SQRT1_2);
      VecErf(t, t, m);
      for (int64_t j = 0; j < m; ++j) yc[j] = 0.5f * xc[j] * (1.0f + t[j]);
    }
  }
  return true;
}

// Contiguous float32 gradients of softplus and GELU (exp/erf heavy). Returns false otherwise.
bool VecUnaryBackward(const UnaryParams& p, const float* x, const float* g, float* gx, int64_t n) {
  if (p.op != UnaryOp::kSoftplus && p.op != UnaryOp::kGelu) return false;
  const float a = static_cast<float>(p.a), b = static_cast<float>(p.b);
  ParallelFor(0, n, 8192, [&](int64_t lo, int64_t hi) {
    constexpr int64_t kChunk = 512;
    float t[kChunk], u[kChunk];
    for (int64_t c = lo; c < hi; c += kChunk) {
      const int64_t m = std::min(kChunk, hi - c);
      const float* xc = x + c;
      const float* gc = g + c;
      float* oc = gx + c;
      if (p.op == UnaryOp::kSoftplus) {
        for (int64_t j = 0; j < m; ++j) t[j] = -std::min(xc[j] * a, b);
        VecExp(t, t, m);
        for (int64_t j = 0; j < m; ++j) oc[j] = xc[j] * a > b ? gc[j] : gc[j] / (1.0f + t[j]);
      } else {
        for (int64_t j = 0; j < m; ++j) {
          t[j] = xc[j] * static_cast<float>(M_SQRT1_2);
          u[j] = -0.5f * xc[j] * xc[j];
        }
        VecErf(t, t, m);
        VecExp(u, u, m);
        for (int64_t j = 0; j < m; ++j) {
          oc[j] = gc[j] * (0.5f * (1.0f + t[j]) + xc[j] * u[j] * 0.3989422804014327f);
        }
      }
    }
  });
  return true;
}

template <class T>
void UnaryForwardT(const UnaryParams& p, const Tensor& x, const Tensor& y) {
  if constexpr (std::is_same_v<T, float>) {
    if (x.is_contiguous() && HasVecForward(p.op)) {
      const float* xp = x.data<float>();
      float* yp = y.data<float>();
      ParallelFor(0, x.numel(), 8192, [&](int64_t lo, int64_t hi) { VecUnaryForwardRow(p, xp + lo, yp + lo, hi - lo); });
      return;
    }
  }
  const T a = static_cast<T>(p.a), b = static_cast<T>(p.b);
  switch (p.op) {
    case UnaryOp::kNeg: return Map1<T>(x, y, [](T v) { return -v; });
    case UnaryOp::kExp: return Map1<T>(x, y, [](T v) { return std::exp(v); });
    case UnaryOp::kLog: return Map1<T>(x, y, [](T v) { return std::log(v); });
    case UnaryOp::kSqrt: return Map1<T>(x, y, [](T v) { return std::sqrt(v); });
    case UnaryOp::kAbs: return Map1<T>(x, y, [](T v) { return std::abs(v); });
    case UnaryOp::kRelu: return Map1<T>(x, y, [](T v) { return v > T(0) ? v : T(0); });
    case UnaryOp::kLeakyRelu: return Map1<T>(x, y, [a](T v) { return v > T(0) ? v : v * a; });
    case UnaryOp::kGelu: return Map1<T>(x, y, [](T v) { return GeluForward(v); });
    case UnaryOp::kSigmoid: return Map1<T>(x, y, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
    case UnaryOp::kTanh: return Map1<T>(x, y, [](T v) { return std::tanh(v); });
    case UnaryOp::kSoftplus:
      return Map1<T>(x, y, [a, b](T v) { return v * a > b ? v : std::log1p(std::exp(v * a)) / a; });
    case UnaryOp::kClamp: return Map1<T>(x, y, [a, b](T v) { return v < a ? a : (v > b ? b : v); });
    case UnaryOp::kPowScalar:
      if (p.a == 2.0) return Map1<T>(x, y, [](T v) { return v * v; });
      return Map1<T>(x, y, [a](T v) { return std::pow(v, a); });
  }
}

// gx = gy * f'(.) where the derivative reads x (or y for exp/sqrt/sigmoid/tanh).
template <class T>
void UnaryBackwardT(const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                    const Tensor& gx) {
  const T a = static_cast<T>(p.a), b = static_cast<T>(p.b);
  const Tensor& in = x.defined() ? x : y;
  const Tensor g = gy.To(in.dtype());
  if constexpr (std::is_same_v<T, float>) {
    if (in.is_contiguous() && g.is_contiguous() && g.shape() == in.shape() &&
        VecUnaryBackward(p, in.data<float>(), g.data<float>(), gx.data<float>(), in.numel())) {
      return;
    }
  }
  auto run = [&](auto df) { Map2<T, T, T>(in, g.Expand(in.shape()), gx, df); };
  switch (p.op) {
    case UnaryOp::kNeg: return run([](T, T g) { return -g; });
    case UnaryOp::kExp: return run([](T yv, T g) { return g * yv; });
    case UnaryOp::kLog: return run([](T xv, T g) { return g / xv; });
    case UnaryOp::kSqrt: return run([](T yv, T g) { return g / (T(2) * yv); });
    case UnaryOp::kAbs: return run([](T xv, T g) { return xv > T(0) ? g : (xv < T(0) ? -g : T(0)); });
    case UnaryOp::kRelu: return run([](T xv, T g) { return xv > T(0) ? g : T(0); });
    case UnaryOp::kLeakyRelu: return run([a](T xv, T g) { return xv > T(0) ? g : g * a; });
    case UnaryOp::kGelu: return run([](T xv, T g) { return g * GeluGrad(xv); });
    case UnaryOp::kSigmoid: return run([](T yv, T g) { return g * yv * (T(1) - yv); });
    case UnaryOp::kTanh: return run([](T yv, T g) { return g * (T(1) - yv * yv); });
    case UnaryOp::kSoftplus:
      return run([a, b](T xv, T g) {
        if (xv * a > b) return g;
        return g / (T(1) + std::exp(-xv * a));
      });
    case UnaryOp::kClamp: return run([a, b](T xv, T g) { return xv >= a && xv <= b ? g : T(0); });
    case UnaryOp::kPowScalar:
      return run([a](T xv, T g) { return g * a * std::pow(xv, a - T(1)); });
  }
}

void UnaryForward(const UnaryParams& p, const Tensor& x, const Tensor& y) {
  DispatchFloating(x.dtype(), "unary", [&](auto tag) { UnaryForwardT<decltype(tag)>(p, x, y); });
}

void UnaryBackward(const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                   const Tensor& gx) {
  const Tensor& in = x.defined() ? x : y;
  DispatchFloating(in.dtype(), "unary backward",
                   [&](auto tag) { UnaryBackwardT<decltype(tag)>(p, x, y, gy, gx); });
}

template <class T>
void BinaryT(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::kAdd: return Map2<T, T, T>(a, b, out, [](T x, T y) { return x + y; });
    case BinaryOp::kSub: return Map2<T, T, T>(a, b, out, [](T x, T y) { return x - y; });
    case BinaryOp::kMul: return Map2<T, T, T>(a, b, out, [](T x, T y) { return x * y; });
    case BinaryOp::kDiv: return Map2<T, T, T>(a, b, out, [](T x, T y) { return x / y; });
    case BinaryOp::kPow:
      return Map2<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(std::pow(x, y)); });
    case BinaryOp::kMaximum:
      return Map2<T, T, T>(a, b, out, [](T x, T y) { return (x > y || x != x) ? x : y; });
    case BinaryOp::kMinimum:
      return Map2<T, T, T>(a, b, out, [](T x, T y) { return (x < y || x != x) ? x : y; });
    case BinaryOp::kEq: return Map2<T, T, bool>(a, b, out, [](T x, T y) { return x == y; });
    case BinaryOp::kNe: return Map2<T, T, bool>(a, b, out, [](T x, T y) { return x != y; });
    case BinaryOp::kLt: return Map2<T, T, bool>(a, b, out, [](T x, T y) { return x < y; });
    case BinaryOp::kLe: return Map2<T, T, bool>(a, b, out, [](T x, T y) { return x <= y; });
    case BinaryOp::kGt: return Map2<T, T, bool>(a, b, out, [](T x, T y) { return x > y; });
    case BinaryOp::kGe: return Map2<T, T, bool>(a, b, out, [](T x, T y) { return x >= y; });
  }
}

void BinaryForward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  DispatchAll(a.dtype(), [&](auto tag) { BinaryT<decltype(tag)>(op, a, b, out); });
}

void WhereForward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  DispatchAll(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const bool* cp = cond.data<bool>();
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* op = out.data<T>();
    ForEachRow<4>(out.shape(), {out.strides(), cond.strides(), a.strides(), b.strides()},
                  [&](const std::array<int64_t, 4>& o, int64_t n, const std::array<int64_t, 4>& s) {
                    for (int64_t i = 0; i < n; ++i) {
                      op[o[0] + i * s[0]] = cp[o[1] + i * s[1]] ? ap[o[2] + i * s[2]] : bp[o[3] + i * s[3]];
                    }
                  });
  });
}

}  // namespace

const UnaryKernels kUnary = {UnaryForward, UnaryBackward};
const BinaryKernels kBinary = {BinaryForward};
const WhereKernels kWhere = {WhereForward};

}  // namespace cpu
}  // namespace nb360
