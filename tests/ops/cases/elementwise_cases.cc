// Conformance cases: unary, binary (with broadcasting), where.
#include <cmath>

#include "ops/elementwise.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

Tensor RefUnary(const Tensor& x, double (*f)(double, double, double), double a, double b) {
  Tensor y = Tensor::Empty(x.shape(), DType::kFloat64);
  const double* xp = x.data<double>();
  double* yp = y.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i) yp[i] = f(xp[i], a, b);
  return y;
}

// Reference broadcasting: index each input by the output's multi-index.
Tensor RefBinary(const Tensor& a, const Tensor& b, double (*f)(double, double)) {
  const Shape out = BroadcastShapes(a.shape(), b.shape(), "ref");
  const Tensor ea = a.Expand(out).Contiguous(), eb = b.Expand(out).Contiguous();
  Tensor y = Tensor::Empty(out, DType::kFloat64);
  for (int64_t i = 0; i < y.numel(); ++i) y.data<double>()[i] = f(ea.data<double>()[i], eb.data<double>()[i]);
  return y;
}

struct UnarySpec {
  const char* name;
  UnaryParams p;
  double (*ref)(double, double, double);
  double lo, hi;  // input range (avoids kinks and domain edges)
};

void AddUnary(std::vector<OpCase>* cases, const UnarySpec& s, const Shape& shape) {
  OpCase c;
  c.name = std::string("elementwise/") + s.name + "_" + std::to_string(shape.size()) + "d";
  c.kind = OpKind::kUnary;
  c.make_inputs = [s, shape](Generator& g) {
    Tensor x = RandU(g, shape, s.lo, s.hi);
    // Keep away from kinks at 0 (relu, abs, leaky relu) and clamp bounds.
    double* p = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (std::abs(p[i]) < 0.05) p[i] += 0.1;
      if (s.p.op == UnaryOp::kClamp && (std::abs(p[i] - s.p.a) < 0.05 || std::abs(p[i] - s.p.b) < 0.05)) p[i] += 0.1;
    }
    return Inputs{x};
  };
  c.op = [s](const Inputs& in) { return Unary(s.p, in[0]); };
  c.reference = [s](const Inputs& in) { return RefUnary(in[0], s.ref, s.p.a, s.p.b); };
  cases->push_back(c);
}

void AddBinary(std::vector<OpCase>* cases, const char* name, BinaryOp op, double (*ref)(double, double),
               const Shape& sa, const Shape& sb, double lo, double hi) {
  OpCase c;
  c.name = std::string("elementwise/") + name + "_" + ShapeString(sa) + "x" + ShapeString(sb);
  c.kind = OpKind::kBinary;
  c.make_inputs = [=](Generator& g) {
    return Inputs{RandU(g, sa, lo, hi), RandU(g, sb, lo, hi)};
  };
  c.op = [op](const Inputs& in) { return Binary(op, in[0], in[1]); };
  c.reference = [ref](const Inputs& in) { return RefBinary(in[0], in[1], ref); };
  cases->push_back(c);
}

}  // namespace

void AddElementwiseCases(std::vector<OpCase>* cases) {
  const UnarySpec unary[] = {
      {"neg", {UnaryOp::kNeg}, [](double x, double, double) { return -x; }, -2, 2},
      {"exp", {UnaryOp::kExp}, [](double x, double, double) { return std::exp(x); }, -2, 2},
      {"log", {UnaryOp::kLog}, [](double x, double, double) { return std::log(x); }, 0.2, 3},
      {"sqrt", {UnaryOp::kSqrt}, [](double x, double, double) { return std::sqrt(x); }, 0.2, 3},
      {"abs", {UnaryOp::kAbs}, [](double x, double, double) { return std::fabs(x); }, -2, 2},
      {"relu", {UnaryOp::kRelu}, [](double x, double, double) { return x > 0 ? x : 0.0; }, -2, 2},
      {"leaky_relu", {UnaryOp::kLeakyRelu, 0.2}, [](double x, double a, double) { return x > 0 ? x : a * x; }, -2, 2},
      {"gelu", {UnaryOp::kGelu}, [](double x, double, double) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -3, 3},
      {"sigmoid", {UnaryOp::kSigmoid}, [](double x, double, double) { return 1 / (1 + std::exp(-x)); }, -4, 4},
      {"tanh", {UnaryOp::kTanh}, [](double x, double, double) { return std::tanh(x); }, -2, 2},
      {"softplus", {UnaryOp::kSoftplus, 1.0, 20.0}, [](double x, double a, double b) { return a * x > b ? x : std::log(1 + std::exp(a * x)) / a; }, -3, 3},
      {"softplus_beta2_threshold", {UnaryOp::kSoftplus, 2.0, 1.0}, [](double x, double a, double b) { return a * x > b ? x : std::log(1 + std::exp(a * x)) / a; }, -3, 3},
      {"clamp", {UnaryOp::kClamp, -0.5, 0.7}, [](double x, double a, double b) { return std::min(std::max(x, a), b); }, -2, 2},
      {"pow_2", {UnaryOp::kPowScalar, 2.0}, [](double x, double a, double) { return std::pow(x, a); }, -2, 2},
      {"pow_1.5", {UnaryOp::kPowScalar, 1.5}, [](double x, double a, double) { return std::pow(x, a); }, 0.2, 2},
  };
  for (const UnarySpec& s : unary) {
    AddUnary(cases, s, {3, 5});
    AddUnary(cases, s, {2, 3, 4});
  }
  struct BinSpec {
    const char* name;
    BinaryOp op;
    double (*ref)(double, double);
    double lo, hi;
  };
  const BinSpec binary[] = {
      {"add", BinaryOp::kAdd, [](double a, double b) { return a + b; }, -2, 2},
      {"sub", BinaryOp::kSub, [](double a, double b) { return a - b; }, -2, 2},
      {"mul", BinaryOp::kMul, [](double a, double b) { return a * b; }, -2, 2},
      {"div", BinaryOp::kDiv, [](double a, double b) { return a / b; }, 0.5, 2},
      {"pow", BinaryOp::kPow, [](double a, double b) { return std::pow(a, b); }, 0.5, 2},
      {"maximum", BinaryOp::kMaximum, [](double a, double b) { return std::max(a, b); }, -2, 2},
      {"minimum", BinaryOp::kMinimum, [](double a, double b) { return std::min(a, b); }, -2, 2},
  };
  for (const BinSpec& s : binary) {
    AddBinary(cases, s.name, s.op, s.ref, {3, 4}, {3, 4}, s.lo, s.hi);
    AddBinary(cases, s.name, s.op, s.ref, {2, 3, 4}, {4}, s.lo, s.hi);        // trailing broadcast
    AddBinary(cases, s.name, s.op, s.ref, {2, 1, 4}, {3, 1}, s.lo, s.hi);     // both sides broadcast
    AddBinary(cases, s.name, s.op, s.ref, {}, {2, 3}, s.lo, s.hi);            // 0-d scalar
  }
  // Comparisons: bool outputs, no gradients.
  OpCase cmp;
  cmp.name = "elementwise/compare_broadcast";
  cmp.kind = OpKind::kBinary;
  cmp.make_inputs = [](Generator& g) { return Inputs{RandN(g, {2, 3, 4}), RandN(g, {3, 1})}; };
  cmp.op = [](const Inputs& in) {
    return Add(Add(Gt(in[0], in[1]).To(DType::kFloat64), Le(in[0], in[1]).To(DType::kFloat64) * 2.0),
               Eq(in[0], in[0]).To(DType::kFloat64) * 4.0);
  };
  cmp.reference = [](const Inputs& in) {
    return RefBinary(in[0], in[1], [](double a, double b) { return (a > b ? 1.0 : 0.0) + (a <= b ? 2.0 : 0.0) + 4.0; });
  };
  cmp.check_gradients = false;
  cases->push_back(cmp);
  // Where with broadcasting of the condition and both branches.
  OpCase w;
  w.name = "elementwise/where_broadcast";
  w.kind = OpKind::kWhere;
  w.make_inputs = [](Generator& g) { return Inputs{RandN(g, {2, 3, 4}), RandN(g, {3, 4}), RandN(g, {2, 1, 4})}; };
  w.op = [](const Inputs& in) { return Where(Gt(in[0], ScalarLike(0.0, in[0])), in[1], in[2]); };
  w.reference = [](const Inputs& in) {
    const Shape out{2, 3, 4};
    const Tensor c = in[0], a = in[1].Expand(out).Contiguous(), b = in[2].Expand(out).Contiguous();
    Tensor y = Tensor::Empty(out, DType::kFloat64);
    for (int64_t i = 0; i < y.numel(); ++i) {
      y.data<double>()[i] = c.data<double>()[i] > 0 ? a.data<double>()[i] : b.data<double>()[i];
    }
    return y;
  };
  w.differentiable = {false, true, true};
  cases->push_back(w);
}

}  // namespace testing
}  // namespace nb360
