// tasks/common/prepare_main.cc: flag parsing and reporting around Task::Prepare.
#include "tasks/common/prepare_main.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, raw, "", "Directory holding the downloaded (and extracted) raw files.");
ABSL_FLAG(std::string, out, "", "Output dataset directory (default: $NB360_DATA/<task>).");
ABSL_FLAG(bool, allow_count_mismatch, false,
          "Accept sample counts that differ from the published ones (partial downloads, tests).");
ABSL_FLAG(int, threads, 2, "Worker threads for the conversion.");

namespace nb360::tasks {

int PrepareMain(const Task& task, int argc, char** argv) {
  const std::string name = task.info().name;
  absl::SetProgramUsageMessage(absl::StrCat("Converts the downloaded ", task.info().title,
                                            " files into nb360's canonical dataset format.\n  bazel run //tasks/",
                                            name, ":prepare -- --raw=DIR [--out=DIR]"));
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "prepare %s: unexpected argument '%s' (flags are --raw, --out, ...)\n", name.c_str(),
                 rest[1]);
    return 1;
  }
  const std::string raw = absl::GetFlag(FLAGS_raw);
  if (raw.empty()) {
    std::fprintf(stderr, "prepare %s: --raw=DIR is required (see docs/DATA.md for the files to download)\n",
                 name.c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_threads) < 1) {
    std::fprintf(stderr, "prepare %s: --threads must be at least 1\n", name.c_str());
    return 1;
  }
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) out = DefaultDataDir(name);
  PrepareOptions options;
  options.allow_count_mismatch = absl::GetFlag(FLAGS_allow_count_mismatch);
  options.threads = absl::GetFlag(FLAGS_threads);
  std::printf("prepare %s: reading %s\n", name.c_str(), raw.c_str());
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status s = task.Prepare(raw, out, options);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!s.ok()) {
    std::fprintf(stderr, "prepare %s: FAILED: %s\n(nothing was written to %s)\n", name.c_str(),
                 std::string(s.message()).c_str(), out.c_str());
    return 1;
  }
  absl::StatusOr<Dataset> d = OpenDataset(out, name);
  if (!d.ok()) {
    std::fprintf(stderr, "prepare %s: the written dataset does not open: %s\n", name.c_str(),
                 std::string(d.status().message()).c_str());
    return 1;
  }
  std::printf("prepare %s: wrote %s in %.1f s\n", name.c_str(), out.c_str(), secs);
  for (const auto& [array, v] : d->arrays) {
    std::printf("  %-24s %-8s %s\n", array.c_str(), std::string(DTypeName(v.dtype)).c_str(),
                ShapeString(v.shape).c_str());
  }
  return 0;
}

}  // namespace nb360::tasks
