// nas/darts/genotype_check.cc: genotype validation and the shorthand form.
#include "nas/darts/genotype_check.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nb360::nas::darts {
namespace {

constexpr std::string_view kShortNames[kNumPrimitives] = {"none", "mp",   "ap",   "skip",
                                                           "sep3", "sep5", "dil3", "dil5"};

absl::Status ValidateHalf(const std::string& half, const std::vector<GenotypeEdge>& edges,
                          const std::vector<int>& concat) {
  const int want = kNumNodes * kEdgesPerNode;
  if (static_cast<int>(edges.size()) != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(half, " half: has ", edges.size(), " (op, input) pairs, needs ", want, " (2 per node)"));
  }
  for (int k = 0; k < want; ++k) {
    const int node = k / kEdgesPerNode;
    const GenotypeEdge& e = edges[k];
    const std::string where = absl::StrCat(half, " half, node ", node, " (pair ", k, ")");
    const int op = static_cast<int>(e.op);
    if (op < 0 || op >= kNumPrimitives) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": operation index ", op, " is not a primitive"));
    }
    if (e.op == Primitive::kNone) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": operation none cannot be in a discrete cell"));
    }
    if (e.input < 0 || e.input >= node + 2) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": input ", e.input, " out of range [0, ", node + 2,
                                                     ") (node ", node, " sees s0, s1 and nodes before it)"));
    }
  }
  if (concat.empty()) return absl::InvalidArgumentError(absl::StrCat(half, " half: concat is empty"));
  std::set<int> seen;
  for (int s : concat) {
    if (s < 2 || s >= kNumNodes + 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(half, " half: concat state ", s, " out of range [2, ", kNumNodes + 2, ") (intermediate nodes)"));
    }
    if (!seen.insert(s).second) {
      return absl::InvalidArgumentError(absl::StrCat(half, " half: concat state ", s, " listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Primitive> OpFromToken(std::string_view token) {
  for (int i = 0; i < kNumPrimitives; ++i) {
    if (kShortNames[i] == token) return static_cast<Primitive>(i);
  }
  return PrimitiveFromName(token);
}

}  // namespace

absl::Status ValidateGenotype(const Genotype& g) {
  absl::Status s = ValidateHalf("normal", g.normal, g.normal_concat);
  if (!s.ok()) return s;
  return ValidateHalf("reduce", g.reduce, g.reduce_concat);
}

std::string_view PrimitiveShortName(Primitive p) {
  const int i = static_cast<int>(p);
  if (i < 0 || i >= kNumPrimitives) return "<invalid>";
  return kShortNames[i];
}

std::string HalfShorthand(const std::vector<GenotypeEdge>& half) {
  std::string out;
  for (size_t k = 0; k < half.size(); ++k) {
    if (k > 0) out += (k % kEdgesPerNode == 0) ? " | " : ", ";
    absl::StrAppend(&out, std::string(PrimitiveShortName(half[k].op)), "<", half[k].input);
  }
  return out;
}

std::string GenotypeShorthand(const Genotype& g) {
  return absl::StrCat("normal: ", HalfShorthand(g.normal), " ; reduce: ", HalfShorthand(g.reduce));
}

absl::StatusOr<std::vector<GenotypeEdge>> ParseHalfShorthand(std::string_view text) {
  std::vector<GenotypeEdge> edges;
  int node = 0;
  const std::string whole(text);
  for (absl::string_view node_text : absl::StrSplit(whole, '|')) {
    int in_node = 0;
    for (absl::string_view pair : absl::StrSplit(node_text, ',')) {
      pair = absl::StripAsciiWhitespace(pair);
      std::vector<absl::string_view> parts = absl::StrSplit(pair, '<');
      int input = 0;
      if (parts.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[1]), &input)) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", node, ": \"", pair, "\" is not of the form op<input (e.g. sep3<1)"));
      }
      absl::StatusOr<Primitive> op = OpFromToken(std::string(absl::StripAsciiWhitespace(parts[0])));
      if (!op.ok()) return absl::InvalidArgumentError(absl::StrCat("node ", node, ": ", op.status().message()));
      edges.push_back({*op, input});
      ++in_node;
    }
    if (in_node != kEdgesPerNode) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", node, ": has ", in_node, " pairs, needs ", kEdgesPerNode));
    }
    ++node;
  }
  return edges;
}

absl::StatusOr<Genotype> ParseGenotypeShorthand(std::string_view normal, std::string_view reduce) {
  Genotype g;
  absl::StatusOr<std::vector<GenotypeEdge>> n = ParseHalfShorthand(normal);
  if (!n.ok()) return absl::InvalidArgumentError(absl::StrCat("normal half, ", n.status().message()));
  absl::StatusOr<std::vector<GenotypeEdge>> r = ParseHalfShorthand(reduce);
  if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat("reduce half, ", r.status().message()));
  g.normal = *std::move(n);
  g.reduce = *std::move(r);
  absl::Status s = ValidateGenotype(g);
  if (!s.ok()) return s;
  return g;
}

}  // namespace nb360::nas::darts
