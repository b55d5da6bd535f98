// nas/darts/discretize.h: architecture weights -> genotype (spec nas_darts_densenas.md §A.7).
//
// Per cell type and node i (incoming edges j in the node's row segment [0:2], [2:5], [5:9], [9:14]):
//   W[j][o] = softmax(alpha_j)[o] * softmax_within_segment(beta)_j
//   strength_j = max over o != none of W[j][o]
// keep the two strongest edges (stable sort: on ties the lower input wins), each with op = argmax over
// o != none of W[j][o] (only a strictly greater value replaces the best: on ties the lower op index
// wins), emitted strongest first. `none` is never chosen, even when it has the largest weight. Concat is
// 2..5. Untouched parameters (all ones) give (max_pool_3x3, 0), (max_pool_3x3, 1) for every node.
//
// Inputs: alpha is (14, 8) (edge rows in §A.2 order, primitive columns in genotype.h order), beta is
// (14). Two forms: nb360::Tensor of any floating dtype on any device (copied to the host as float64),
// or std::vector<double> with alpha row-major (112 values). The softmaxes are computed in float64, so an
// exact tie in the parameters stays an exact tie. Wrong sizes or non-finite values are programmer errors
// (NB_CHECK).
//
// Example:
//   Genotype g = Discretize(net.alpha_normal(), net.beta_normal(), net.alpha_reduce(), net.beta_reduce());
#ifndef NB360_NAS_DARTS_DISCRETIZE_H_
#define NB360_NAS_DARTS_DISCRETIZE_H_

#include <vector>

#include "engine/tensor.h"
#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

// The row offset of node i's first incoming edge (0, 2, 5, 9).
int NodeEdgeOffset(int node);

// W (14 x 8, row-major) from alpha (112) and beta (14), as above.
std::vector<double> MixedEdgeWeights(const std::vector<double>& alpha, const std::vector<double>& beta);

// One half: 8 (op, input) pairs, 2 per node, strongest first within a node.
std::vector<GenotypeEdge> DiscretizeHalf(const std::vector<double>& alpha, const std::vector<double>& beta);

Genotype Discretize(const std::vector<double>& alpha_normal, const std::vector<double>& beta_normal,
                    const std::vector<double>& alpha_reduce, const std::vector<double>& beta_reduce);
Genotype Discretize(const Tensor& alpha_normal, const Tensor& beta_normal, const Tensor& alpha_reduce,
                    const Tensor& beta_reduce);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_DISCRETIZE_H_
