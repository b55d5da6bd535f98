// tasks/fsd50k/csv.h: a strict RFC 4180 CSV reader for the FSD50K chunk manifests.
//
// The manifests (pandas DataFrame.to_csv) hold a header row and one row per chunk; the label list is
// a quoted field with commas inside ("Guitar,Music"). Fields may be quoted with '"', a doubled quote
// inside a quoted field is one quote, rows end with LF or CRLF, a final newline is optional and blank
// lines are skipped. Every row must have as many fields as the header. Errors name the file, the
// line and the problem. Left out: other delimiters, comments, type inference, multi-byte encodings
// beyond passing UTF-8 bytes through.
#ifndef NB360_TASKS_FSD50K_CSV_H_
#define NB360_TASKS_FSD50K_CSV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nb360::tasks {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> row_lines;  // 1-based line number where each row starts

  // Index of the header column `name`, or -1.
  int Column(std::string_view name) const;
};

// Parses CSV text; `name` starts every error message.
absl::StatusOr<CsvTable> ParseCsv(std::string_view text, std::string_view name);

// Splits `s` at `delimiter` (no quoting; "a,b" -> {"a", "b"}, "" -> {""}).
std::vector<std::string> SplitOn(std::string_view s, char delimiter);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_FSD50K_CSV_H_
