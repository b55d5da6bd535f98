// nas/darts/render_main.cc: `bazel run //nas/darts:render_genotype -- --genotype=FILE|--recorded=NAME
// --out=PATH.{dot,svg,png} [--title=TEXT]`.
//
// Writes the genotype's DOT graph (both cells, nas/darts/render.h). For .dot that is the output. For
// .svg/.png the DOT goes next to it (PATH with the extension replaced by .dot) and Graphviz's `dot`
// (Debian package graphviz, looked up on PATH, or --dot_program) turns it into the picture; without
// `dot` the program fails with a message naming it. Relative paths are relative to where `bazel run`
// was invoked (BUILD_WORKING_DIRECTORY).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "nas/darts/genotype_text.h"
#include "nas/darts/recorded_genotypes.h"
#include "nas/darts/render.h"

ABSL_FLAG(std::string, genotype, "", "A genotype text proto (nas/darts/genotype.proto).");
ABSL_FLAG(std::string, recorded, "", "A recorded genotype's name (e.g. darts_v2, ecg_s2, cifar100_tenas).");
ABSL_FLAG(std::string, out, "", "Output path ending in .dot, .svg or .png.");
ABSL_FLAG(std::string, title, "", "Graph title (default: the recorded name or the file's name).");
ABSL_FLAG(std::string, dot_program, "", "Graphviz dot to run (default: `dot` found on PATH).");

namespace nb360::nas::darts {
namespace {

std::string UserPath(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  return wd != nullptr ? (std::filesystem::path(wd) / p).string() : p;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "render_genotype: %s\n", what.c_str());
  return 1;
}

int Run() {
  const std::string file = absl::GetFlag(FLAGS_genotype), recorded = absl::GetFlag(FLAGS_recorded);
  const std::string out = UserPath(absl::GetFlag(FLAGS_out));
  if (file.empty() == recorded.empty()) return Fail("give exactly one of --genotype=FILE and --recorded=NAME");
  if (out.empty()) return Fail("--out=PATH.{dot,svg,png} is required");
  const std::string ext = std::filesystem::path(out).extension().string();
  if (ext != ".dot" && ext != ".svg" && ext != ".png") {
    return Fail(absl::StrCat("--out=", out, ": the extension must be .dot, .svg or .png"));
  }

  absl::StatusOr<Genotype> g =
      recorded.empty() ? ReadGenotypeFile(UserPath(file)) : FindRecordedGenotype(recorded);
  if (!g.ok()) return Fail(std::string(g.status().message()));
  std::string title = absl::GetFlag(FLAGS_title);
  if (title.empty()) title = recorded.empty() ? std::filesystem::path(file).filename().string() : recorded;

  const std::string dot_path = ext == ".dot" ? out : std::filesystem::path(out).replace_extension(".dot").string();
  absl::Status written = io::WriteFileAtomically(dot_path, GenotypeToDot(*g, title));
  if (!written.ok()) return Fail(absl::StrCat(dot_path, ": ", written.message()));
  if (ext == ".dot") {
    std::printf("wrote %s\n", dot_path.c_str());
    return 0;
  }

  std::string dot = absl::GetFlag(FLAGS_dot_program);
  if (dot.empty()) dot = FindDotProgram();
  if (dot.empty() || access(dot.c_str(), X_OK) != 0) {
    return Fail(absl::StrCat("cannot make ", out, ": Graphviz's `dot` program is not installed (",
                             dot.empty() ? std::string("not found on PATH") : absl::StrCat(dot, " is not executable"),
                             "; on Debian: apt-get install graphviz). The DOT graph was written to ", dot_path,
                             "; use --out=FILE.dot to skip the picture."));
  }
  if (absl::Status s = RenderDotFile(dot, dot_path, out); !s.ok()) return Fail(std::string(s.message()));
  std::printf("wrote %s and %s\n", dot_path.c_str(), out.c_str());
  return 0;
}

}  // namespace
}  // namespace nb360::nas::darts

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Renders a DARTS genotype: --genotype=FILE | --recorded=NAME, --out=PATH.{dot,svg,png} [--title=TEXT]");
  absl::ParseCommandLine(argc, argv);
  return nb360::nas::darts::Run();
}
