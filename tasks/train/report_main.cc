// tasks/train/report_main.cc: `bazel run //tasks/train:report -- --runs=DIR[,DIR...] --out=PREFIX`
// writes PREFIX.md and PREFIX.csv (mean ± std over seeds per task, method and mode) and prints the
// Markdown table.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "tasks/train/report.h"

ABSL_FLAG(std::string, runs, "", "comma-separated directories searched recursively for results.json");
ABSL_FLAG(std::string, out, "", "output prefix: writes <out>.md and <out>.csv (empty: print only)");

// Relative paths are relative to where `bazel run` was invoked (BUILD_WORKING_DIRECTORY), not runfiles.
std::string UserPath(const std::string& path) {
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || !wd || !*wd) return path;
  return std::string(wd) + "/" + path;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Aggregates training runs into a results table: --runs=DIR[,DIR...] --out=PREFIX");
  absl::ParseCommandLine(argc, argv);
  const std::string runs = absl::GetFlag(FLAGS_runs);
  if (runs.empty()) {
    std::fprintf(stderr, "report: --runs is required (comma-separated run directories)\n");
    return 2;
  }
  std::vector<std::string> dirs;
  for (absl::string_view d : absl::StrSplit(runs, ',', absl::SkipEmpty())) dirs.push_back(UserPath(std::string(d)));
  const nb360::tasks::Report report = nb360::tasks::BuildReport(dirs);
  std::printf("%s", nb360::tasks::ReportMarkdown(report).c_str());
  for (const std::string& s : report.skipped) std::fprintf(stderr, "report: skipped %s\n", s.c_str());
  const std::string out = UserPath(absl::GetFlag(FLAGS_out));
  if (!out.empty()) {
    if (absl::Status s = nb360::tasks::WriteReport(report, out); !s.ok()) {
      std::fprintf(stderr, "report: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::fprintf(stderr, "report: wrote %s.md and %s.csv (%zu groups)\n", out.c_str(), out.c_str(),
                 report.rows.size());
  }
  return report.rows.empty() ? 1 : 0;
}
