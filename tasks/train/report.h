// tasks/train/report.h: the paper-style results table from training runs' results.json files.
//
// Finds every results.json under the given directories, groups runs by (task, method, mode) and gives
// the mean and sample standard deviation (n - 1 in the denominator; 0 for a single run) over seeds of the
// primary metric of each run's final evaluation, as Markdown and CSV. Groups holding synthetic or
// generated data say so in the table; files that cannot be read are listed, not fatal.
//
// Leaves out: significance tests, best-of selection, and metrics other than each run's primary one.
#ifndef NB360_TASKS_TRAIN_REPORT_H_
#define NB360_TASKS_TRAIN_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nb360::tasks {

struct RunSummary {
  std::string path;  // of its results.json
  std::string task, method, mode, data_source, metric, split;
  bool lower_is_better = true;
  uint64_t seed = 0;
  double value = 0;
};

struct ReportRow {
  std::string task, method, mode, metric, split;
  bool lower_is_better = true;
  std::vector<std::string> data_sources;  // distinct, sorted
  std::vector<uint64_t> seeds;            // in run order
  std::vector<double> values;
  double mean = 0, std = 0;
};

struct Report {
  std::vector<ReportRow> rows;        // tasks in the paper's order, then method, mode
  std::vector<std::string> skipped;   // "path: reason"
};

// One results.json document (the text) as a summary; errors name `path`.
absl::StatusOr<RunSummary> ParseRunSummary(const std::string& path, const std::string& text);
// Every results.json under `dirs` (recursively; a dir may also be the file itself).
Report BuildReport(const std::vector<std::string>& dirs);
// Groups runs into rows (mean, sample std).
std::vector<ReportRow> Aggregate(const std::vector<RunSummary>& runs);

std::string ReportMarkdown(const Report& report);
std::string ReportCsv(const Report& report);
// Writes <prefix>.md and <prefix>.csv atomically.
absl::Status WriteReport(const Report& report, const std::string& prefix);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_REPORT_H_
