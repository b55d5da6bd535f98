// Conformance cases: softmax and log-softmax along each dim.
#include <cmath>

#include "ops/softmax.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

Tensor RefSoftmax(const Tensor& x, int64_t dim, bool log) {
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  Tensor y = Tensor::Empty(x.shape(), DType::kFloat64);
  const Shape st = ContiguousStrides(x.shape());
  const int64_t n = x.shape()[d];
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t pos = (i / st[d]) % n;
    if (pos != 0) continue;  // i is the first element of its row along d
    double m = -INFINITY, s = 0;
    for (int64_t k = 0; k < n; ++k) m = std::max(m, x.data<double>()[i + k * st[d]]);
    for (int64_t k = 0; k < n; ++k) s += std::exp(x.data<double>()[i + k * st[d]] - m);
    for (int64_t k = 0; k < n; ++k) {
      const double v = x.data<double>()[i + k * st[d]] - m;
      y.data<double>()[i + k * st[d]] = log ? v - std::log(s) : std::exp(v) / s;
    }
  }
  return y;
}

}  // namespace

void AddSoftmaxCases(std::vector<OpCase>* cases) {
  for (bool log : {false, true}) {
    for (int64_t dim : {-1, 1, 0}) {
      OpCase c;
      c.name = std::string("softmax/") + (log ? "log_softmax" : "softmax") + "_dim" + std::to_string(dim);
      c.kind = OpKind::kSoftmax;
      c.make_inputs = [](Generator& g) { return Inputs{RandN(g, {3, 5, 4}, 2.0)}; };
      c.op = [dim, log](const Inputs& in) { return log ? LogSoftmax(in[0], dim) : Softmax(in[0], dim); };
      c.reference = [dim, log](const Inputs& in) { return RefSoftmax(in[0], dim, log); };
      cases->push_back(c);
    }
  }
  OpCase big;
  big.name = "softmax/log_softmax_large_logits";
  big.kind = OpKind::kSoftmax;
  big.make_inputs = [](Generator& g) { return Inputs{RandN(g, {4, 10}, 50.0)}; };
  big.op = [](const Inputs& in) { return LogSoftmax(in[0], 1); };
  big.reference = [](const Inputs& in) { return RefSoftmax(in[0], 1, true); };
  big.grad_tol = 1e-4;
  cases->push_back(big);
}

}  // namespace testing
}  // namespace nb360
