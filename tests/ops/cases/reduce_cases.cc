// Conformance cases: sum, mean, max/min (values), var, argmax (forward only).
#include <cmath>

#include "ops/reduce.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

// Plain reference: reduce x (contiguous float64) over `dims` (sorted, non-negative) with f.
Tensor RefReduce(const Tensor& x, std::vector<int64_t> dims, bool keepdim,
                 double (*f)(const std::vector<double>&)) {
  if (dims.empty()) for (int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
  std::vector<bool> red(x.dim(), false);
  for (int64_t d : dims) red[d < 0 ? d + x.dim() : d] = true;
  Shape out_shape, keep_shape;
  for (int64_t d = 0; d < x.dim(); ++d) {
    keep_shape.push_back(red[d] ? 1 : x.shape()[d]);
    if (!red[d]) out_shape.push_back(x.shape()[d]);
    else if (keepdim) out_shape.push_back(1);
  }
  const int64_t n_out = NumElements(keep_shape);
  std::vector<std::vector<double>> groups(n_out);
  const Shape st = ContiguousStrides(keep_shape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t rem = i, o = 0;
    for (int64_t d = x.dim() - 1; d >= 0; --d) {
      const int64_t idx = rem % x.shape()[d];
      rem /= x.shape()[d];
      if (!red[d]) o += idx * st[d];
    }
    groups[o].push_back(x.data<double>()[i]);
  }
  Tensor y = Tensor::Empty(out_shape, DType::kFloat64);
  for (int64_t o = 0; o < n_out; ++o) y.data<double>()[o] = f(groups[o]);
  return y;
}

double RSum(const std::vector<double>& v) { double s = 0; for (double x : v) s += x; return s; }
double RMean(const std::vector<double>& v) { return RSum(v) / v.size(); }
double RMax(const std::vector<double>& v) { double m = v[0]; for (double x : v) m = std::max(m, x); return m; }
double RMin(const std::vector<double>& v) { double m = v[0]; for (double x : v) m = std::min(m, x); return m; }
double RVar(const std::vector<double>& v) {
  const double m = RMean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (v.size() - 1);
}
double RArgmax(const std::vector<double>& v) {
  size_t b = 0;
  for (size_t i = 1; i < v.size(); ++i) if (v[i] > v[b]) b = i;
  return static_cast<double>(b);
}

void Add(std::vector<OpCase>* cases, const std::string& name, Shape shape, std::vector<int64_t> dims, bool keepdim,
         std::function<Tensor(const Tensor&)> op, double (*ref)(const std::vector<double>&), bool grads = true) {
  OpCase c;
  c.name = "reduce/" + name;
  c.kind = OpKind::kReduce;
  c.make_inputs = [shape](Generator& g) { return Inputs{RandN(g, shape)}; };
  c.op = [op](const Inputs& in) { return op(in[0]); };
  c.reference = [dims, keepdim, ref](const Inputs& in) { return RefReduce(in[0], dims, keepdim, ref); };
  c.check_gradients = grads;
  cases->push_back(c);
}

}  // namespace

void AddReduceCases(std::vector<OpCase>* cases) {
  Add(cases, "sum_all", {3, 4, 5}, {}, false, [](const Tensor& x) { return Sum(x); }, RSum);
  Add(cases, "sum_dim1_keepdim", {3, 4, 5}, {1}, true, [](const Tensor& x) { return Sum(x, {1}, true); }, RSum);
  Add(cases, "sum_dims_0_2", {3, 4, 5}, {0, 2}, false, [](const Tensor& x) { return Sum(x, {0, -1}); }, RSum);
  Add(cases, "mean_last", {6, 7}, {1}, false, [](const Tensor& x) { return Mean(x, {-1}); }, RMean);
  Add(cases, "mean_nchw_spatial", {2, 3, 4, 5}, {0, 2, 3}, true, [](const Tensor& x) { return Mean(x, {0, 2, 3}, true); }, RMean);
  Add(cases, "max_dim1", {4, 6, 3}, {1}, false, [](const Tensor& x) { return Max(x, 1); }, RMax);
  Add(cases, "min_dim0_keepdim", {5, 4}, {0}, true, [](const Tensor& x) { return Min(x, 0, true); }, RMin);
  Add(cases, "var_unbiased", {4, 9}, {1}, false, [](const Tensor& x) { return Var(x, {1}); }, RVar);
  Add(cases, "var_all", {3, 4, 5}, {}, false, [](const Tensor& x) { return Var(x); }, RVar);
  Add(cases, "argmax_dim2", {3, 4, 7}, {2}, false, [](const Tensor& x) { return Argmax(x, 2).To(DType::kFloat64); }, RArgmax,
      false);
}

}  // namespace testing
}  // namespace nb360
