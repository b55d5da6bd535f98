// nas/darts/genotype.h: the DARTS search space's operations and a discrete architecture (genotype),
// as GAEA PC-DARTS in NAS-Bench-360 uses them (spec nas_darts_densenas.md §A.1, §A.7).
//
// A genotype has a normal and a reduction half; each half lists 8 (op, input) pairs, two per node:
// pairs 2i and 2i+1 feed node i (state i + 2); input 0 is s0 (the cell two back), 1 is s1 (the
// previous cell), 2..5 earlier nodes. The cell output concatenates the states in `*_concat`
// (always 2..5 in the benchmark).
#ifndef NB360_NAS_DARTS_GENOTYPE_H_
#define NB360_NAS_DARTS_GENOTYPE_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nb360::nas::darts {

// The candidate operations in the benchmark's order (the index breaks ties in discretisation).
enum class Primitive {
  kNone,
  kMaxPool3x3,
  kAvgPool3x3,
  kSkipConnect,
  kSepConv3x3,
  kSepConv5x5,
  kDilConv3x3,
  kDilConv5x5,
};
constexpr int kNumPrimitives = 8;
constexpr int kNumNodes = 4;        // intermediate nodes per cell
constexpr int kNumEdges = 14;       // search-cell edges: 2 + 3 + 4 + 5
constexpr int kEdgesPerNode = 2;    // in a discrete cell

// "none", "max_pool_3x3", ..., "dil_conv_5x5" (the original's names).
std::string_view PrimitiveName(Primitive p);
// The primitive with that name, or an error naming the name and the valid ones.
absl::StatusOr<Primitive> PrimitiveFromName(std::string_view name);

struct GenotypeEdge {
  Primitive op = Primitive::kNone;
  int input = 0;  // 0 = s0, 1 = s1, 2.. = earlier nodes
  bool operator==(const GenotypeEdge& o) const { return op == o.op && input == o.input; }
};

struct Genotype {
  std::vector<GenotypeEdge> normal;  // 2 per node
  std::vector<int> normal_concat = {2, 3, 4, 5};
  std::vector<GenotypeEdge> reduce;
  std::vector<int> reduce_concat = {2, 3, 4, 5};
  bool operator==(const Genotype& o) const {
    return normal == o.normal && normal_concat == o.normal_concat && reduce == o.reduce &&
           reduce_concat == o.reduce_concat;
  }
};

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_GENOTYPE_H_
