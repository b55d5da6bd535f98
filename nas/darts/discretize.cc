// nas/darts/discretize.cc: top-2 edges per node and the best non-none op per edge (spec §A.7).
#include "nas/darts/discretize.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/check.h"

namespace nb360::nas::darts {
namespace {

// Softmax of v[begin, end) in float64 (max-shifted). The denominator adds the terms in ascending
// order, so rows that are permutations of each other give bit-identical weights (exact ties stay ties).
void SoftmaxInPlace(std::vector<double>* v, size_t begin, size_t end) {
  double hi = (*v)[begin];
  for (size_t i = begin; i < end; ++i) hi = std::max(hi, (*v)[i]);
  std::vector<double> terms;
  for (size_t i = begin; i < end; ++i) terms.push_back((*v)[i] = std::exp((*v)[i] - hi));
  std::sort(terms.begin(), terms.end());
  double sum = 0;
  for (double t : terms) sum += t;
  for (size_t i = begin; i < end; ++i) (*v)[i] /= sum;
}

void CheckFinite(const std::vector<double>& v, const char* what) {
  for (size_t i = 0; i < v.size(); ++i) {
    NB_CHECK(std::isfinite(v[i]), "Discretize: ", what, "[", i, "] = ", v[i], " is not finite");
  }
}

std::vector<double> HostValues(const Tensor& t, const Shape& shape, const char* what) {
  NB_CHECK(t.defined(), "Discretize: ", what, " is undefined");
  NB_CHECK(t.shape() == shape, "Discretize: ", what, " must be ", ShapeString(shape), ", got ", t.Describe());
  NB_CHECK(t.dtype() == DType::kFloat32 || t.dtype() == DType::kFloat64, "Discretize: ", what,
           " must be float32 or float64, got ", t.Describe());
  return t.Detach().ToVector<double>();
}

}  // namespace

int NodeEdgeOffset(int node) {
  NB_CHECK(node >= 0 && node <= kNumNodes, "NodeEdgeOffset: node ", node, " out of range [0, ", kNumNodes, "]");
  // Node i has i + 2 incoming edges: offsets 0, 2, 5, 9 (and 14 past the end).
  return node * (node + 3) / 2;
}

std::vector<double> MixedEdgeWeights(const std::vector<double>& alpha, const std::vector<double>& beta) {
  NB_CHECK(alpha.size() == static_cast<size_t>(kNumEdges * kNumPrimitives), "Discretize: alpha has ",
           alpha.size(), " values, needs ", kNumEdges, " x ", kNumPrimitives);
  NB_CHECK(beta.size() == static_cast<size_t>(kNumEdges), "Discretize: beta has ", beta.size(), " values, needs ",
           kNumEdges);
  CheckFinite(alpha, "alpha");
  CheckFinite(beta, "beta");
  std::vector<double> w = alpha, b = beta;
  for (int j = 0; j < kNumEdges; ++j) SoftmaxInPlace(&w, j * kNumPrimitives, (j + 1) * kNumPrimitives);
  for (int i = 0; i < kNumNodes; ++i) SoftmaxInPlace(&b, NodeEdgeOffset(i), NodeEdgeOffset(i + 1));
  for (int j = 0; j < kNumEdges; ++j) {
    for (int o = 0; o < kNumPrimitives; ++o) w[j * kNumPrimitives + o] *= b[j];
  }
  return w;
}

std::vector<GenotypeEdge> DiscretizeHalf(const std::vector<double>& alpha, const std::vector<double>& beta) {
  const std::vector<double> w = MixedEdgeWeights(alpha, beta);
  const int none = static_cast<int>(Primitive::kNone);
  std::vector<GenotypeEdge> half;
  for (int i = 0; i < kNumNodes; ++i) {
    const int offset = NodeEdgeOffset(i), n_in = i + 2;
    // Strength of edge from input j: max over ops other than none.
    std::vector<double> strength(n_in, -1.0);
    std::vector<int> best_op(n_in, -1);
    for (int j = 0; j < n_in; ++j) {
      const double* row = &w[(offset + j) * kNumPrimitives];
      for (int o = 0; o < kNumPrimitives; ++o) {
        if (o == none) continue;
        if (best_op[j] < 0 || row[o] > row[best_op[j]]) best_op[j] = o;  // strictly greater replaces
      }
      strength[j] = row[best_op[j]];
    }
    std::vector<int> order(n_in);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return strength[a] > strength[b]; });
    for (int k = 0; k < kEdgesPerNode; ++k) {
      const int j = order[k];
      half.push_back({static_cast<Primitive>(best_op[j]), j});
    }
  }
  return half;
}

Genotype Discretize(const std::vector<double>& alpha_normal, const std::vector<double>& beta_normal,
                    const std::vector<double>& alpha_reduce, const std::vector<double>& beta_reduce) {
  Genotype g;
  g.normal = DiscretizeHalf(alpha_normal, beta_normal);
  g.reduce = DiscretizeHalf(alpha_reduce, beta_reduce);
  g.normal_concat = g.reduce_concat = {2, 3, 4, 5};
  return g;
}

Genotype Discretize(const Tensor& alpha_normal, const Tensor& beta_normal, const Tensor& alpha_reduce,
                    const Tensor& beta_reduce) {
  const Shape alpha_shape = {kNumEdges, kNumPrimitives}, beta_shape = {kNumEdges};
  return Discretize(HostValues(alpha_normal, alpha_shape, "alpha_normal"),
                    HostValues(beta_normal, beta_shape, "beta_normal"),
                    HostValues(alpha_reduce, alpha_shape, "alpha_reduce"),
                    HostValues(beta_reduce, beta_shape, "beta_reduce"));
}

}  // namespace nb360::nas::darts
