// tasks/fsd50k/csv.cc: RFC 4180 parsing as a small state machine over the bytes.
#include "tasks/fsd50k/csv.h"

#include "absl/strings/str_cat.h"

namespace nb360::tasks {

int CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> SplitOn(std::string_view s, char delimiter) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(delimiter, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

absl::StatusOr<CsvTable> ParseCsv(std::string_view text, std::string_view name) {
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  int64_t line = 1, row_line = 1;
  bool in_quotes = false, field_was_quoted = false, row_has_content = false;
  auto error = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": line ", line, ": ", what));
  };
  auto end_row = [&]() -> absl::Status {
    row.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
    const bool blank = !row_has_content && row.size() == 1 && row[0].empty();
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else {
        if (row.size() != table.header.size()) {
          return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": line ", row_line, ": ", row.size(),
                                                         " fields, the header has ", table.header.size()));
        }
        table.rows.push_back(std::move(row));
        table.row_lines.push_back(row_line);
      }
    }
    row.clear();
    row_has_content = false;
    return absl::OkStatus();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty() || field_was_quoted) return error("a quote inside an unquoted field");
      in_quotes = field_was_quoted = row_has_content = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_was_quoted = false;
      row_has_content = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the LF ends the row
    } else if (c == '\n') {
      absl::Status s = end_row();
      if (!s.ok()) return s;
      ++line;
      row_line = line;
    } else {
      if (field_was_quoted) return error("characters after a closing quote");
      field.push_back(c);
      row_has_content = true;
    }
  }
  if (in_quotes) return error("a quoted field is not closed before the end of the file");
  if (row_has_content || !field.empty() || !row.empty()) {
    absl::Status s = end_row();
    if (!s.ok()) return s;
  }
  if (table.header.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": no header row"));
  return table;
}

}  // namespace nb360::tasks
