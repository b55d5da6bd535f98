// nas/darts/genotype_text.h: genotypes as text protos (nas/darts/genotype.proto) and files.
//
// GenotypeToText writes one line per (op, input) pair, with a comment per node, and parses back to an
// equal Genotype. GenotypeFromText reports text-proto syntax errors with line and column, missing
// fields, unknown op names, and every ValidateGenotype problem (half, node, what). Files are written
// atomically (engine/io/atomic_file.h), so a crash never leaves half a genotype.
//
// Example:
//   absl::Status s = WriteGenotypeFile("/runs/ecg/genotype.pbtxt", g);
//   absl::StatusOr<Genotype> back = ReadGenotypeFile("/runs/ecg/genotype.pbtxt");
#ifndef NB360_NAS_DARTS_GENOTYPE_TEXT_H_
#define NB360_NAS_DARTS_GENOTYPE_TEXT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

// The genotype as a text proto (no validation: an invalid genotype prints as it is).
std::string GenotypeToText(const Genotype& g);

// Parses and validates; errors say "genotype text: ..." plus the location or the ValidateGenotype message.
absl::StatusOr<Genotype> GenotypeFromText(std::string_view text);

// Reads and parses `path`; errors name the path.
absl::StatusOr<Genotype> ReadGenotypeFile(const std::string& path);
// Validates `g`, then replaces `path` atomically with GenotypeToText(g).
absl::Status WriteGenotypeFile(const std::string& path, const Genotype& g);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_GENOTYPE_TEXT_H_
