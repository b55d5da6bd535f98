// nas/darts/genotype_text.cc: Genotype <-> text proto (nas/darts/genotype.proto), files.
#include "nas/darts/genotype_text.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "nas/darts/genotype.pb.h"
#include "nas/darts/genotype_check.h"

namespace nb360::nas::darts {
namespace {

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first.empty()) first = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  std::string first;
};

void AppendHalf(const std::string& name, const std::vector<GenotypeEdge>& edges, const std::vector<int>& concat,
                std::string* out) {
  for (size_t k = 0; k < edges.size(); ++k) {
    if (k % kEdgesPerNode == 0) absl::StrAppend(out, "# ", name, " cell, node ", k / kEdgesPerNode, "\n");
    absl::StrAppend(out, name, " { op: \"", std::string(PrimitiveName(edges[k].op)), "\" input: ", edges[k].input, " }\n");
  }
  absl::StrAppend(out, name, "_concat: [");
  for (size_t i = 0; i < concat.size(); ++i) absl::StrAppend(out, i ? ", " : "", concat[i]);
  absl::StrAppend(out, "]\n");
}

absl::StatusOr<std::vector<GenotypeEdge>> HalfFromProto(
    const std::string& name, const google::protobuf::RepeatedPtrField<pb::Edge>& edges) {
  std::vector<GenotypeEdge> out;
  for (int k = 0; k < edges.size(); ++k) {
    const pb::Edge& e = edges[k];
    const std::string where = absl::StrCat(name, " half, node ", k / kEdgesPerNode, " (pair ", k, ")");
    if (!e.has_op()) return absl::InvalidArgumentError(absl::StrCat(where, ": op is missing"));
    if (!e.has_input()) return absl::InvalidArgumentError(absl::StrCat(where, ": input is missing"));
    absl::StatusOr<Primitive> op = PrimitiveFromName(e.op());
    if (!op.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", op.status().message()));
    out.push_back({*op, e.input()});
  }
  return out;
}

}  // namespace

std::string GenotypeToText(const Genotype& g) {
  std::string out =
      "# proto-file: nas/darts/genotype.proto\n# proto-message: nb360.nas.darts.pb.Genotype\n";
  AppendHalf("normal", g.normal, g.normal_concat, &out);
  AppendHalf("reduce", g.reduce, g.reduce_concat, &out);
  return out;
}

absl::StatusOr<Genotype> GenotypeFromText(std::string_view text) {
  pb::Genotype proto;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &proto)) {
    return absl::InvalidArgumentError(
        absl::StrCat("genotype text: ", errors.first.empty() ? "not a valid Genotype text proto" : errors.first));
  }
  Genotype g;
  absl::StatusOr<std::vector<GenotypeEdge>> normal = HalfFromProto("normal", proto.normal());
  if (!normal.ok()) return absl::InvalidArgumentError(absl::StrCat("genotype text: ", normal.status().message()));
  absl::StatusOr<std::vector<GenotypeEdge>> reduce = HalfFromProto("reduce", proto.reduce());
  if (!reduce.ok()) return absl::InvalidArgumentError(absl::StrCat("genotype text: ", reduce.status().message()));
  g.normal = *std::move(normal);
  g.reduce = *std::move(reduce);
  g.normal_concat.assign(proto.normal_concat().begin(), proto.normal_concat().end());
  g.reduce_concat.assign(proto.reduce_concat().begin(), proto.reduce_concat().end());
  absl::Status valid = ValidateGenotype(g);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat("genotype text: ", valid.message()));
  return g;
}

absl::StatusOr<Genotype> ReadGenotypeFile(const std::string& path) {
  absl::StatusOr<std::string> text = io::ReadFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the genotype file (", text.status().message(), ")"));
  }
  absl::StatusOr<Genotype> g = GenotypeFromText(*text);
  if (!g.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", g.status().message()));
  return g;
}

absl::Status WriteGenotypeFile(const std::string& path, const Genotype& g) {
  absl::Status valid = ValidateGenotype(g);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": not writing an invalid genotype: ", valid.message()));
  return io::WriteFileAtomically(path, GenotypeToText(g));
}

}  // namespace nb360::nas::darts
