#include "tasks/train/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_format.h"
#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "tasks/registry.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(path + ": " + what);
}

absl::StatusOr<std::string> StringField(const io::JsonValue& v, const char* key, const std::string& path) {
  const io::JsonValue* f = v.Find(key);
  if (!f || !f->is_string()) return Bad(path, std::string("missing or non-string '") + key + "'");
  return f->as_string();
}

int TaskOrder(const std::string& task) {
  const std::vector<std::string>& names = TaskNames();
  auto it = std::find(names.begin(), names.end(), task);
  return it == names.end() ? static_cast<int>(names.size()) : static_cast<int>(it - names.begin());
}

// Quotes a CSV field when it needs it.
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string SeedList(const std::vector<uint64_t>& seeds) {
  std::vector<std::string> s;
  for (uint64_t x : seeds) s.push_back(std::to_string(x));
  return Join(s, " ");
}

std::string DataLabel(const ReportRow& r) {
  std::vector<std::string> out;
  for (const std::string& s : r.data_sources) out.push_back(s == "synthetic" ? "SYNTHETIC" : s);
  return Join(out, "+");
}

}  // namespace

absl::StatusOr<RunSummary> ParseRunSummary(const std::string& path, const std::string& text) {
  absl::StatusOr<io::JsonValue> v = io::ParseJson(text);
  if (!v.ok()) return Bad(path, std::string(v.status().message()));
  RunSummary r;
  r.path = path;
  for (auto [key, dst] : {std::pair<const char*, std::string*>{"task", &r.task}, {"method", &r.method},
                          {"mode", &r.mode}, {"data_source", &r.data_source}}) {
    absl::StatusOr<std::string> s = StringField(*v, key, path);
    if (!s.ok()) return s.status();
    *dst = *s;
  }
  const io::JsonValue* seed = v->Find("seed");
  if (!seed || !seed->is_int() || seed->as_int() < 0) return Bad(path, "missing or invalid 'seed'");
  r.seed = static_cast<uint64_t>(seed->as_int());
  const io::JsonValue* fin = v->Find("final");
  if (!fin || !fin->is_object()) return Bad(path, "missing 'final'");
  absl::StatusOr<std::string> metric = StringField(*fin, "primary", path);
  if (!metric.ok()) return metric.status();
  r.metric = *metric;
  if (const io::JsonValue* split = fin->Find("split"); split && split->is_string()) r.split = split->as_string();
  const io::JsonValue* lower = fin->Find("lower_is_better");
  if (!lower || !lower->is_bool()) return Bad(path, "missing 'final.lower_is_better'");
  r.lower_is_better = lower->as_bool();
  const io::JsonValue* value = fin->Find("primary_value");
  if (!value || !(value->is_number() || value->is_null())) return Bad(path, "missing 'final.primary_value'");
  r.value = value->is_null() ? std::nan("") : value->as_double();
  return r;
}

std::vector<ReportRow> Aggregate(const std::vector<RunSummary>& runs) {
  using Key = std::tuple<int, std::string, std::string, std::string, std::string>;
  std::map<Key, ReportRow> groups;
  std::map<Key, std::set<std::string>> sources;
  for (const RunSummary& r : runs) {
    const Key key{TaskOrder(r.task), r.task, r.method, r.mode, r.metric};
    ReportRow& row = groups[key];
    row.task = r.task;
    row.method = r.method;
    row.mode = r.mode;
    row.metric = r.metric;
    row.split = r.split;
    row.lower_is_better = r.lower_is_better;
    row.seeds.push_back(r.seed);
    row.values.push_back(r.value);
    sources[key].insert(r.data_source);
  }
  std::vector<ReportRow> out;
  for (auto& [key, row] : groups) {
    row.data_sources.assign(sources[key].begin(), sources[key].end());
    const double n = static_cast<double>(row.values.size());
    double sum = 0;
    for (double x : row.values) sum += x;
    row.mean = sum / n;
    double ss = 0;
    for (double x : row.values) ss += (x - row.mean) * (x - row.mean);
    row.std = row.values.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
    out.push_back(std::move(row));
  }
  return out;
}

Report BuildReport(const std::vector<std::string>& dirs) {
  Report report;
  std::vector<std::string> files;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(dir, ec)) {
      files.push_back(dir);
      continue;
    }
    if (!fs::is_directory(dir, ec)) {
      report.skipped.push_back(dir + ": not a directory or file");
      continue;
    }
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename() == "results.json" && it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    if (ec) report.skipped.push_back(dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<RunSummary> runs;
  for (const std::string& f : files) {
    absl::StatusOr<std::string> text = io::ReadFile(f);
    absl::StatusOr<RunSummary> r = text.ok() ? ParseRunSummary(f, *text) : absl::StatusOr<RunSummary>(text.status());
    if (r.ok()) {
      runs.push_back(std::move(*r));
    } else {
      report.skipped.push_back(std::string(r.status().message()));
    }
  }
  report.rows = Aggregate(runs);
  return report;
}

std::string ReportMarkdown(const Report& report) {
  std::string md =
      "| Task | Method | Mode | Data | Metric | Split | Runs | Mean ± Std | Seeds |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  bool synthetic = false;
  for (const ReportRow& r : report.rows) {
    const std::string data = DataLabel(r);
    synthetic |= data.find("SYNTHETIC") != std::string::npos;
    md += absl::StrFormat("| %s | %s | %s | %s | %s (%s) | %s | %d | %.4f ± %.4f | %s |\n", r.task, r.method,
                          r.mode, data, r.metric, r.lower_is_better ? "lower is better" : "higher is better",
                          r.split, r.values.size(), r.mean, r.std, SeedList(r.seeds));
  }
  md += "\nStd is the sample standard deviation over runs (n - 1; 0 for one run).\n";
  if (synthetic) {
    md += "\n**SYNTHETIC rows were trained and evaluated on small generated stand-in data, not the "
          "benchmark datasets: their numbers are not comparable to the paper.**\n";
  }
  if (!report.skipped.empty()) {
    md += "\nSkipped files:\n\n";
    for (const std::string& s : report.skipped) md += "- " + s + "\n";
  }
  return md;
}

std::string ReportCsv(const Report& report) {
  std::string csv = "task,method,mode,data_source,metric,lower_is_better,split,runs,mean,std,seeds,values\n";
  for (const ReportRow& r : report.rows) {
    std::vector<std::string> values;
    for (double v : r.values) values.push_back(absl::StrFormat("%.10g", v));
    csv += absl::StrFormat("%s,%s,%s,%s,%s,%s,%s,%d,%.10g,%.10g,%s,%s\n", Csv(r.task), Csv(r.method), Csv(r.mode),
                           Csv(Join(r.data_sources, "+")), Csv(r.metric), r.lower_is_better ? "true" : "false",
                           Csv(r.split), r.values.size(), r.mean, r.std, SeedList(r.seeds), Join(values, " "));
  }
  return csv;
}

absl::Status WriteReport(const Report& report, const std::string& prefix) {
  if (absl::Status s = io::WriteFileAtomically(prefix + ".md", ReportMarkdown(report)); !s.ok()) return s;
  return io::WriteFileAtomically(prefix + ".csv", ReportCsv(report));
}

}  // namespace nb360::tasks
