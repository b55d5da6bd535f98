// nas/darts/genotype_check.h: validation and the compact one-line form of a genotype.
//
// ValidateGenotype checks what the evaluation network needs (spec nas_darts_densenas.md §A.2, §A.7):
// 8 (op, input) pairs per half, node i's inputs in [0, i + 2), no `none` op, and a concat list of
// distinct intermediate states (2..5, non-empty). Errors name the half, the node and pair, and the
// problem. Two pairs of one node may share an input (discretisation never makes such a node, but
// hand-designed genotypes may).
//
// The shorthand is the spec's table notation: ops mp, ap, skip, sep3, sep5, dil3, dil5 (none: "none"),
// "op<j" applies op to state j, pairs separated by ",", nodes by "|". Concat is not part of it
// (ParseGenotypeShorthand sets 2..5).
//
// Example:
//   absl::StatusOr<Genotype> g = ParseGenotypeShorthand(
//       "sep3<0, sep3<1 | sep3<0, sep3<1 | sep3<1, skip<0 | skip<0, dil3<2",
//       "mp<0, mp<1 | skip<2, mp<1 | mp<0, skip<2 | skip<2, mp<1");
//   absl::Status ok = ValidateGenotype(*g);
//   std::string s = GenotypeShorthand(*g);  // "normal: sep3<0, sep3<1 | ... ; reduce: mp<0, ..."
#ifndef NB360_NAS_DARTS_GENOTYPE_CHECK_H_
#define NB360_NAS_DARTS_GENOTYPE_CHECK_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

// OK, or InvalidArgument naming the half ("normal"/"reduce"), node, pair and what is wrong.
absl::Status ValidateGenotype(const Genotype& g);

// "mp", "ap", "skip", "sep3", "sep5", "dil3", "dil5", "none".
std::string_view PrimitiveShortName(Primitive p);

// One half as "op<j, op<j | op<j, op<j | ..." (any number of pairs; nodes every 2 pairs).
std::string HalfShorthand(const std::vector<GenotypeEdge>& half);
// "normal: <half> ; reduce: <half>" (concat omitted).
std::string GenotypeShorthand(const Genotype& g);

// Parses one half written in the shorthand (short or full op names); errors name the bad token.
absl::StatusOr<std::vector<GenotypeEdge>> ParseHalfShorthand(std::string_view text);
// Both halves, concat 2..5 for each, validated.
absl::StatusOr<Genotype> ParseGenotypeShorthand(std::string_view normal, std::string_view reduce);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_GENOTYPE_CHECK_H_
