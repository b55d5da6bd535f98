// nas/darts/render.h: a genotype as one Graphviz digraph showing both cells.
//
// Two clusters, "cluster_normal" and "cluster_reduce" (labelled "normal cell" / "reduction cell"), each
// with the inputs c_{k-2} and c_{k-1}, the intermediate nodes 0..3 and the output c_{k}; one edge per
// (op, input) pair labelled with the op's name, and an unlabelled edge from every concatenated node to
// c_{k}. Node ids are prefixed with the cell ("normal_n0", "reduce_c_k"), so the cells do not share
// nodes. Render with `dot -Tsvg` (Debian's graphviz) or //nas/darts:render_genotype.
//
// Example:
//   std::string dot = GenotypeToDot(*FindRecordedGenotype("darts_v2"), "DARTS_V2");
#ifndef NB360_NAS_DARTS_RENDER_H_
#define NB360_NAS_DARTS_RENDER_H_

#include <string>
#include <string_view>

#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

// The DOT text; `title` labels the whole graph (empty: no label). Invalid input indices still render
// (as nodes named after the index), so a broken genotype can be looked at.
std::string GenotypeToDot(const Genotype& g, std::string_view title);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_RENDER_H_
