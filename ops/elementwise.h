// ops/elementwise.h: pointwise math with NumPy broadcasting, and where().
//
// Unary ops are primitives with fused backward kernels (the derivative needs x or y, never both
// passes). Binary ops broadcast their inputs; their gradients are formulas in other ops, reduced
// back to each input's shape. Mixed dtypes promote: float64 > float32 > int64 > int32 > uint8 > bool;
// a double scalar takes the tensor's dtype. Comparisons return bool tensors.
#ifndef NB360_OPS_ELEMENTWISE_H_
#define NB360_OPS_ELEMENTWISE_H_

#include "engine/tensor.h"

namespace nb360 {

enum class UnaryOp {
  kNeg,
  kExp,
  kLog,
  kSqrt,
  kAbs,
  kRelu,
  kLeakyRelu,  // a = negative slope
  kGelu,       // exact, erf-based
  kSigmoid,
  kTanh,
  kSoftplus,   // a = beta, b = threshold
  kClamp,      // a = min, b = max
  kPowScalar,  // a = exponent
};

struct UnaryParams {
  UnaryOp op;
  double a = 0.0;
  double b = 0.0;
};

struct UnaryKernels {
  // y = f(x). x any layout, y contiguous with x's shape.
  void (*forward)(const UnaryParams& p, const Tensor& x, const Tensor& y);
  // gx = gy * f'(x), from x and/or y. gx contiguous.
  void (*backward)(const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                   const Tensor& gx);
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum, kEq, kNe, kLt, kLe, kGt, kGe };

struct BinaryKernels {
  // out = a (op) b; a and b are already expanded to out's shape (stride 0 on broadcast dims) and
  // converted to the compute dtype; out is contiguous (bool for comparisons).
  void (*forward)(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
};

struct WhereKernels {
  // out = cond ? a : b; all expanded to out's shape; cond is bool.
  void (*forward)(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
};

namespace cpu {
extern const UnaryKernels kUnary;
extern const BinaryKernels kBinary;
extern const WhereKernels kWhere;
}  // namespace cpu
namespace cuda {
extern const UnaryKernels kUnary;
extern const BinaryKernels kBinary;
extern const WhereKernels kWhere;
}  // namespace cuda

Tensor Unary(const UnaryParams& p, const Tensor& x);
Tensor Neg(const Tensor& x);
Tensor Exp(const Tensor& x);
Tensor Log(const Tensor& x);
Tensor Sqrt(const Tensor& x);
Tensor Abs(const Tensor& x);
Tensor Relu(const Tensor& x);
Tensor LeakyRelu(const Tensor& x, double negative_slope = 0.01);
Tensor Gelu(const Tensor& x);
Tensor Sigmoid(const Tensor& x);
Tensor Tanh(const Tensor& x);
Tensor Softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor Clamp(const Tensor& x, double min, double max);
Tensor Pow(const Tensor& x, double exponent);

Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor Add(const Tensor& a, const Tensor& b);
Tensor Sub(const Tensor& a, const Tensor& b);
Tensor Mul(const Tensor& a, const Tensor& b);
Tensor Div(const Tensor& a, const Tensor& b);
Tensor Pow(const Tensor& a, const Tensor& b);
Tensor Maximum(const Tensor& a, const Tensor& b);
Tensor Minimum(const Tensor& a, const Tensor& b);
Tensor Eq(const Tensor& a, const Tensor& b);
Tensor Ne(const Tensor& a, const Tensor& b);
Tensor Lt(const Tensor& a, const Tensor& b);
Tensor Le(const Tensor& a, const Tensor& b);
Tensor Gt(const Tensor& a, const Tensor& b);
Tensor Ge(const Tensor& a, const Tensor& b);

// A 0-d tensor holding `value` in the dtype of `like` (floating), for scalar arithmetic.
Tensor ScalarLike(double value, const Tensor& like);

Tensor Add(const Tensor& a, double b);
Tensor Mul(const Tensor& a, double b);

// cond ? a : b, broadcasting all three.
Tensor Where(const Tensor& cond, const Tensor& a, const Tensor& b);

// Broadcast shape of two shapes (NumPy rules); throws naming `op` and both shapes.
Shape BroadcastShapes(const Shape& a, const Shape& b, const char* op);
DType PromoteTypes(DType a, DType b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return Add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return Sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return Mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return Div(a, b); }
inline Tensor operator-(const Tensor& a) { return Neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return Add(a, b); }
inline Tensor operator-(const Tensor& a, double b) { return Add(a, -b); }
inline Tensor operator*(const Tensor& a, double b) { return Mul(a, b); }
inline Tensor operator/(const Tensor& a, double b) { return Mul(a, 1.0 / b); }
inline Tensor operator*(double a, const Tensor& b) { return Mul(b, a); }
inline Tensor operator+(double a, const Tensor& b) { return Add(b, a); }
inline Tensor operator-(double a, const Tensor& b) { return Add(Neg(b), a); }

}  // namespace nb360

#endif  // NB360_OPS_ELEMENTWISE_H_
