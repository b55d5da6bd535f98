// nas/darts/render.cc: Genotype -> Graphviz DOT with a cluster per cell.
#include "nas/darts/render.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nb360::nas::darts {
namespace {

// A DOT double-quoted string's contents.
std::string Quote(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// The node id of state `s` (0 = c_{k-2}, 1 = c_{k-1}, 2.. = intermediate node s - 2) in a cell.
std::string StateId(const std::string& cell, int s) {
  if (s == 0) return absl::StrCat(cell, "_c_k_minus_2");
  if (s == 1) return absl::StrCat(cell, "_c_k_minus_1");
  if (s >= 2) return absl::StrCat(cell, "_n", s - 2);
  return absl::StrCat(cell, "_bad_input_m", -s);
}

void AppendCell(const std::string& cell, const std::string& label, const std::vector<GenotypeEdge>& edges,
                const std::vector<int>& concat, std::string* out) {
  absl::StrAppend(out, "  subgraph cluster_", cell, " {\n    label=\"", label, "\";\n    style=rounded;\n");
  absl::StrAppend(out, "    ", StateId(cell, 0), " [label=\"c_{k-2}\", fillcolor=darkseagreen2];\n");
  absl::StrAppend(out, "    ", StateId(cell, 1), " [label=\"c_{k-1}\", fillcolor=darkseagreen2];\n");
  for (int i = 0; i < kNumNodes; ++i) {
    absl::StrAppend(out, "    ", StateId(cell, i + 2), " [label=\"", i, "\", fillcolor=lightblue];\n");
  }
  absl::StrAppend(out, "    ", cell, "_c_k [label=\"c_{k}\", fillcolor=palegoldenrod];\n");
  for (size_t k = 0; k < edges.size(); ++k) {
    const int node = static_cast<int>(k) / kEdgesPerNode;
    absl::StrAppend(out, "    ", StateId(cell, edges[k].input), " -> ", StateId(cell, node + 2), " [label=\"",
                    Quote(PrimitiveName(edges[k].op)), "\"];\n");
  }
  for (int s : concat) absl::StrAppend(out, "    ", StateId(cell, s), " -> ", cell, "_c_k [color=gray];\n");
  absl::StrAppend(out, "  }\n");
}

}  // namespace

std::string GenotypeToDot(const Genotype& g, std::string_view title) {
  std::string out = "digraph genotype {\n  rankdir=LR;\n";
  if (!title.empty()) absl::StrAppend(&out, "  label=\"", Quote(title), "\";\n  labelloc=t;\n  fontsize=20;\n");
  absl::StrAppend(&out,
                  "  node [style=filled, shape=rect, fontsize=14, height=0.5, width=0.5, "
                  "penwidth=2, fontname=\"helvetica\"];\n"
                  "  edge [fontsize=12, fontname=\"helvetica\"];\n");
  AppendCell("normal", "normal cell", g.normal, g.normal_concat, &out);
  AppendCell("reduce", "reduction cell", g.reduce, g.reduce_concat, &out);
  out += "}\n";
  return out;
}

std::string FindDotProgram() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/dot");
    if (access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
  }
  return "";
}

absl::Status RenderDotFile(const std::string& dot_program, const std::string& dot_path,
                           const std::string& out_path) {
  const std::string format = std::filesystem::path(out_path).extension().string();
  if (format != ".svg" && format != ".png") {
    return absl::InvalidArgumentError(absl::StrCat(out_path, ": a picture must end in .svg or .png"));
  }
  const std::vector<std::string> args = {dot_program, absl::StrCat("-T", format.substr(1)), dot_path, "-o",
                                         out_path};
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("running ", dot_program, ": fork failed: ", std::strerror(errno)));
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) {
    return absl::InternalError(absl::StrCat("running ", dot_program, ": waitpid failed: ", std::strerror(errno)));
  }
  if (!WIFEXITED(status)) {
    return absl::InternalError(absl::StrCat(dot_program, " was killed by signal ", WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(dot_program, " exited with status ", WEXITSTATUS(status),
                                            " rendering ", dot_path));
  }
  return absl::OkStatus();
}

}  // namespace nb360::nas::darts
