// Conformance cases: WeightedSum over 1, 2 and 7 inputs (the DARTS mixed op sums 7 non-zero ops),
// shapes from a vector to a (N, C, H, W) block larger than one kernel block.
#include "ops/weighted_sum.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

void AddCase(std::vector<OpCase>* cases, const std::string& tag, int k, const Shape& shape) {
  OpCase c;
  c.name = "weighted_sum/" + tag;
  c.kind = OpKind::kWeightedSum;
  c.make_inputs = [k, shape](Generator& g) {
    Inputs in;
    for (int i = 0; i < k; ++i) in.push_back(RandN(g, shape));
    in.push_back(RandN(g, {k}));
    return in;
  };
  c.op = [k](const Inputs& in) {
    return WeightedSum(std::vector<Tensor>(in.begin(), in.begin() + k), in[k]);
  };
  c.reference = [k](const Inputs& in) {
    Tensor y = Tensor::Zeros(in[0].shape(), DType::kFloat64);
    double* yp = y.data<double>();
    for (int i = 0; i < k; ++i) {
      const double w = in[k].data<double>()[i];
      for (int64_t e = 0; e < y.numel(); ++e) yp[e] += w * in[i].data<double>()[e];
    }
    return y;
  };
  cases->push_back(c);
}

}  // namespace

void AddWeightedSumCases(std::vector<OpCase>* cases) {
  AddCase(cases, "one_input", 1, {5});
  AddCase(cases, "two_inputs", 2, {3, 4});
  AddCase(cases, "mixed_op_7", 7, {2, 4, 5, 6});
  AddCase(cases, "blocks_3", 3, {2, 3, 40, 41});  // 9840 elements: several kernel blocks
}

}  // namespace testing
}  // namespace nb360
