#include "ops/elementwise.h"

#include "engine/autograd.h"
#include "engine/memory_format.h"
#include "ops/registry.h"

namespace nb360 {

// ---------------------------------------------------------------- helpers

Shape BroadcastShapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NB_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", ShapeString(a), " and ", ShapeString(b),
             " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

DType PromoteTypes(DType a, DType b) {
  auto rank = [](DType d) {
    switch (d) {
      case DType::kBool: return 0;
      case DType::kUInt8: return 1;
      case DType::kInt32: return 2;
      case DType::kInt64: return 3;
      case DType::kFloat32: return 4;
      case DType::kFloat64: return 5;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

Tensor ScalarLike(double value, const Tensor& like) {
  return Tensor::Full({}, value, IsFloating(like.dtype()) ? like.dtype() : DType::kFloat32, like.device());
}

// ---------------------------------------------------------------- unary

Tensor Unary(const UnaryParams& p, const Tensor& x) {
  NB_CHECK(x.defined(), "unary op: undefined input");
  NB_CHECK(IsFloating(x.dtype()), "unary op ", static_cast<int>(p.op), ": needs a floating tensor, got ",
           x.Describe());
  const UnaryKernels& k = GetKernels<UnaryKernels>(OpKind::kUnary, x);
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  k.forward(p, x, y);
  if (NeedsGrad({&x})) {
    // Derivatives of exp, sqrt, sigmoid and tanh read the output; the rest read the input.
    const bool from_y = p.op == UnaryOp::kExp || p.op == UnaryOp::kSqrt || p.op == UnaryOp::kSigmoid ||
                        p.op == UnaryOp::kTanh;
    const Tensor saved_x = from_y ? Tensor() : x.Detach();
    const Tensor saved_y = from_y ? y.Detach() : Tensor();  // never y itself: that would be a cycle
    const Shape shape = x.shape();
    RecordOp("unary", {x}, y, [p, saved_x, saved_y, shape, &k](const Tensor& gy) {
      const Tensor& like = saved_x.defined() ? saved_x : saved_y;
      Tensor gx = Tensor::Empty(shape, like.dtype(), like.device());
      k.backward(p, saved_x, saved_y, gy, gx);
      return Grads{gx};
    });
  }
  return y;
}

Tensor Neg(const Tensor& x) { return Unary({UnaryOp::kNeg}, x); }
Tensor Exp(const Tensor& x) { return Unary({UnaryOp::kExp}, x); }
Tensor Log(const Tensor& x) { return Unary({UnaryOp::kLog}, x); }
Tensor Sqrt(const Tensor& x) { return Unary({UnaryOp::kSqrt}, x); }
Tensor Abs(const Tensor& x) { return Unary({UnaryOp::kAbs}, x); }
Tensor Relu(const Tensor& x) { return Unary({UnaryOp::kRelu}, x); }
Tensor LeakyRelu(const Tensor& x, double slope) { return Unary({UnaryOp::kLeakyRelu, slope}, x); }
Tensor Gelu(const Tensor& x) { return Unary({UnaryOp::kGelu}, x); }
Tensor Sigmoid(const Tensor& x) { return Unary({UnaryOp::kSigmoid}, x); }
Tensor Tanh(const Tensor& x) { return Unary({UnaryOp::kTanh}, x); }
Tensor Softplus(const Tensor& x, double beta, double threshold) {
  return Unary({UnaryOp::kSoftplus, beta, threshold}, x);
}
Tensor Clamp(const Tensor& x, double min, double max) {
  NB_CHECK(min <= max, "Clamp: min ", min, " > max ", max);
  return Unary({UnaryOp::kClamp, min, max}, x);
}
Tensor Pow(const Tensor& x, double exponent) { return Unary({UnaryOp::kPowScalar, exponent}, x); }

// ---------------------------------------------------------------- binary

namespace {

bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEq; }

const char* BinaryName(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
  return names[static_cast<int>(op)];
}

Tensor BinaryForward(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = BinaryName(op);
  NB_CHECK(a.defined() && b.defined(), name, ": undefined input");
  NB_CHECK(a.device() == b.device(), name, ": tensors on ", a.device().ToString(), " and ",
           b.device().ToString());
  const Shape shape = BroadcastShapes(a.shape(), b.shape(), name);
  const DType dt = PromoteTypes(a.dtype(), b.dtype());
  const Tensor ea = a.To(dt).Detach().Expand(shape);
  const Tensor eb = b.To(dt).Detach().Expand(shape);
  // Same-shaped channels-last operands give a channels-last result (engine/memory_format.h).
  const DType out_dt = IsComparison(op) ? DType::kBool : dt;
  const bool channels_last = IsChannelsLast(ea) && IsChannelsLast(eb);
  Tensor out = channels_last ? EmptyChannelsLast(shape, out_dt, a.device()) : Tensor::Empty(shape, out_dt, a.device());
  const BinaryKernels& k = GetKernels<BinaryKernels>(OpKind::kBinary, ea);
  if (channels_last) {
    k.forward(op, MemoryOrderView(ea), MemoryOrderView(eb), MemoryOrderView(out));
  } else {
    k.forward(op, ea, eb, out);
  }
  return out;
}

// Gradient formulas (first order), each reduced to its input's shape.
Grads BinaryBackward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Tensor& g) {
  Tensor ga, gb;
  switch (op) {
    case BinaryOp::kAdd: ga = g; gb = g; break;
    case BinaryOp::kSub: ga = g; gb = Neg(g); break;
    case BinaryOp::kMul: ga = Mul(g, b); gb = Mul(g, a); break;
    case BinaryOp::kDiv:
      ga = Div(g, b);
      gb = Neg(Div(Mul(g, out), b));
      break;
    case BinaryOp::kPow:
      ga = Mul(g, Mul(b, Binary(BinaryOp::kPow, a, Add(b, -1.0))));
      gb = Mul(g, Mul(out, Log(a)));
      break;
    case BinaryOp::kMaximum:
    case BinaryOp::kMinimum: {
      // The winner takes the gradient; ties split it evenly.
      const Tensor a_wins = op == BinaryOp::kMaximum ? Gt(a, b) : Lt(a, b);
      const Tensor tie = Eq(a, b);
      const Tensor zero = ScalarLike(0.0, g);
      const Tensor half = Mul(g, 0.5);
      ga = Where(a_wins, g, Where(tie, half, zero));
      gb = Where(a_wins, zero, Where(tie, half, g));
      break;
    }
    default: return {Tensor(), Tensor()};
  }
  if (a.requires_grad()) ga = SumToShape(ga, a.shape()).To(a.dtype()); else ga = Tensor();
  if (b.requires_grad()) gb = SumToShape(gb, b.shape()).To(b.dtype()); else gb = Tensor();
  return {ga, gb};
}

}  // namespace

Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = BinaryForward(op, a, b);
  if (!IsComparison(op) && NeedsGrad({&a, &b})) {
    // Save only what the formula reads.
    const bool keep_out = op == BinaryOp::kDiv || op == BinaryOp::kPow;
    const Tensor saved_out = keep_out ? out.Detach() : Tensor();
    RecordOp(BinaryName(op), {a, b}, out, [op, a, b, saved_out](const Tensor& g) {
      return BinaryBackward(op, a, b, saved_out, g);
    });
  }
  return out;
}

Tensor Add(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kAdd, a, b); }
Tensor Sub(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kSub, a, b); }
Tensor Mul(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kMul, a, b); }
Tensor Div(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kDiv, a, b); }
Tensor Pow(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kPow, a, b); }
Tensor Maximum(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kMaximum, a, b); }
Tensor Minimum(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kMinimum, a, b); }
Tensor Eq(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kEq, a, b); }
Tensor Ne(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kNe, a, b); }
Tensor Lt(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kLt, a, b); }
Tensor Le(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kLe, a, b); }
Tensor Gt(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kGt, a, b); }
Tensor Ge(const Tensor& a, const Tensor& b) { return Binary(BinaryOp::kGe, a, b); }

Tensor Add(const Tensor& a, double b) { return Add(a, ScalarLike(b, a)); }
Tensor Mul(const Tensor& a, double b) { return Mul(a, ScalarLike(b, a)); }

// ---------------------------------------------------------------- where

Tensor Where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  NB_CHECK(cond.dtype() == DType::kBool, "where: condition must be bool, got ", cond.Describe());
  const Shape shape = BroadcastShapes(BroadcastShapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  const DType dt = PromoteTypes(a.dtype(), b.dtype());
  const Tensor ec = cond.Expand(shape), ea = a.To(dt).Detach().Expand(shape), eb = b.To(dt).Detach().Expand(shape);
  Tensor out = Tensor::Empty(shape, dt, a.device());
  GetKernels<WhereKernels>(OpKind::kWhere, ea).forward(ec, ea, eb, out);
  if (NeedsGrad({&a, &b})) {
    RecordOp("where", {a, b}, out, [cond, a, b](const Tensor& g) {
      const Tensor zero = ScalarLike(0.0, g);
      Tensor ga = a.requires_grad() ? SumToShape(Where(cond, g, zero), a.shape()).To(a.dtype()) : Tensor();
      Tensor gb = b.requires_grad() ? SumToShape(Where(cond, zero, g), b.shape()).To(b.dtype()) : Tensor();
      return Grads{ga, gb};
    });
  }
  return out;
}

}  // namespace nb360
