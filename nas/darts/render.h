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

#include "absl/status/status.h"
#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

// The DOT text; `title` labels the whole graph (empty: no label). Invalid input indices still render
// (as nodes named after the index), so a broken genotype can be looked at.
std::string GenotypeToDot(const Genotype& g, std::string_view title);

// Graphviz's `dot` program: the first executable "dot" on PATH, or "" when it is not installed.
std::string FindDotProgram();

// Runs `dot_program -T<svg|png> dot_path -o out_path` (no shell; the format from out_path's extension)
// and returns an error naming the program and the failure when it does not exit 0.
absl::Status RenderDotFile(const std::string& dot_program, const std::string& dot_path,
                           const std::string& out_path);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_RENDER_H_
