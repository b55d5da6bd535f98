// tests/nas/darts/render_test.cc: the DOT picture of a genotype (both cells, every op), and the
// //nas/darts:render_genotype binary (.dot always; .svg when Graphviz's `dot` is installed; a clear
// error naming `dot` when it is not).
#include "nas/darts/render.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/io/atomic_file.h"
#include "gtest/gtest.h"
#include "nas/darts/genotype_check.h"
#include "nas/darts/genotype_text.h"
#include "nas/darts/recorded_genotypes.h"

namespace nb360::nas::darts {
namespace {

int Count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return (std::filesystem::path(dir != nullptr ? dir : "/tmp") / name).string();
}

std::string BinaryPath() {
  const char* src = std::getenv("TEST_SRCDIR");
  const std::string runfiles = src != nullptr ? std::string(src) + "/nb360/nas/darts/render_genotype" : "";
  if (!runfiles.empty() && std::filesystem::exists(runfiles)) return runfiles;
  return "nas/darts/render_genotype";
}

bool DotInstalled() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && access((dir + "/dot").c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Runs the binary with `args` (shell words) and optional environment prefix; stderr into *err.
int RunBinary(const std::string& env, const std::string& args, std::string* err) {
  const std::string err_path = TempPath("render_stderr.txt");
  const std::string cmd = env + " '" + BinaryPath() + "' " + args + " > /dev/null 2> '" + err_path + "'";
  const int status = std::system(cmd.c_str());
  absl::StatusOr<std::string> text = io::ReadFile(err_path);
  *err = text.ok() ? *text : "";
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Render, DartsV2HasBothClustersAndEveryEdge) {
  const std::string dot = GenotypeToDot(*FindRecordedGenotype("darts_v2"), "DARTS_V2");
  EXPECT_EQ(dot.rfind("digraph genotype {", 0), 0u) << dot;
  EXPECT_EQ(Count(dot, "subgraph cluster_normal {"), 1) << dot;
  EXPECT_EQ(Count(dot, "subgraph cluster_reduce {"), 1) << dot;
  EXPECT_EQ(Count(dot, "label=\"DARTS_V2\""), 1) << dot;
  for (const char* label : {"c_{k-2}", "c_{k-1}", "c_{k}"}) EXPECT_EQ(Count(dot, label), 2) << label;
  for (int i = 0; i < kNumNodes; ++i) EXPECT_EQ(Count(dot, "[label=\"" + std::to_string(i) + "\""), 2) << i;
  // 16 op edges and 8 concat edges.
  EXPECT_EQ(Count(dot, " -> "), 24) << dot;
  EXPECT_EQ(Count(dot, "[label=\"sep_conv_3x3\"]"), 5);
  EXPECT_EQ(Count(dot, "[label=\"skip_connect\"]"), 2 + 3);
  EXPECT_EQ(Count(dot, "[label=\"dil_conv_3x3\"]"), 1);
  EXPECT_EQ(Count(dot, "[label=\"max_pool_3x3\"]"), 5);
  // Specific edges: normal node 3 <- dil_conv_3x3(node 0); reduce node 1 <- skip(node 0 = state 2).
  EXPECT_EQ(Count(dot, "normal_n0 -> normal_n3 [label=\"dil_conv_3x3\"]"), 1) << dot;
  EXPECT_EQ(Count(dot, "reduce_n0 -> reduce_n1 [label=\"skip_connect\"]"), 1) << dot;
  EXPECT_EQ(Count(dot, "reduce_c_k_minus_1 -> reduce_n1 [label=\"max_pool_3x3\"]"), 1) << dot;
  EXPECT_EQ(Count(dot, "normal_n3 -> normal_c_k"), 1) << dot;
  EXPECT_EQ(dot.back(), '\n');
  EXPECT_EQ(Count(dot, "{"), Count(dot, "}")) << dot;  // balanced braces
}

TEST(Render, EveryOpIsNamedAndTitlesAreQuoted) {
  absl::StatusOr<Genotype> g = ParseGenotypeShorthand(
      "mp<0, ap<1 | skip<0, sep3<2 | sep5<1, dil3<3 | dil5<4, mp<0", "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1");
  ASSERT_TRUE(g.ok()) << g.status();
  const std::string dot = GenotypeToDot(*g, "say \"hi\"");
  for (int o = 1; o < kNumPrimitives; ++o) {
    EXPECT_GE(Count(dot, "[label=\"" + std::string(PrimitiveName(static_cast<Primitive>(o))) + "\"]"), 1) << o;
  }
  EXPECT_EQ(Count(dot, "none"), 0);
  EXPECT_EQ(Count(dot, "label=\"say \\\"hi\\\"\""), 1) << dot;
  EXPECT_EQ(Count(GenotypeToDot(*g, ""), "labelloc"), 0);
}

TEST(RenderBinary, WritesDotFromARecordedNameAndFromAFile) {
  std::string err;
  const std::string out = TempPath("darts_v2.dot");
  ASSERT_EQ(RunBinary("", "--recorded=darts_v2 --out='" + out + "'", &err), 0) << err;
  absl::StatusOr<std::string> dot = io::ReadFile(out);
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(*dot, GenotypeToDot(*FindRecordedGenotype("darts_v2"), "darts_v2"));

  const std::string file = TempPath("ecg.pbtxt"), out2 = TempPath("ecg.dot");
  ASSERT_TRUE(WriteGenotypeFile(file, *FindRecordedGenotype("ecg_s2")).ok());
  ASSERT_EQ(RunBinary("", "--genotype='" + file + "' --title=ECG --out='" + out2 + "'", &err), 0) << err;
  EXPECT_EQ(*io::ReadFile(out2), GenotypeToDot(*FindRecordedGenotype("ecg_s2"), "ECG"));
}

TEST(RenderBinary, BadArgumentsAreExplained) {
  std::string err;
  EXPECT_EQ(RunBinary("", "--recorded=nope --out=x.dot", &err), 1);
  EXPECT_NE(err.find("no recorded genotype named \"nope\""), std::string::npos) << err;
  EXPECT_EQ(RunBinary("", "--recorded=darts_v2 --out=x.pdf", &err), 1);
  EXPECT_NE(err.find("must be .dot, .svg or .png"), std::string::npos) << err;
  EXPECT_EQ(RunBinary("", "--out=x.dot", &err), 1);
  EXPECT_NE(err.find("exactly one of --genotype"), std::string::npos) << err;
}

TEST(RenderBinary, WithoutDotTheErrorNamesIt) {
  std::string err;
  const std::string out = TempPath("no_dot.svg");
  EXPECT_EQ(RunBinary("PATH=/nonexistent", "--recorded=cosmic --out='" + out + "'", &err), 1);
  EXPECT_NE(err.find("Graphviz's `dot` program is not installed"), std::string::npos) << err;
  EXPECT_NE(err.find("graphviz"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::exists(TempPath("no_dot.dot")));  // the DOT is still written
}

TEST(RenderBinary, MakesAnSvgWhenDotIsInstalled) {
  if (!DotInstalled()) GTEST_SKIP() << "Graphviz's dot is not installed here; SVG rendering not checked";
  std::string err;
  const std::string out = TempPath("darts_v2.svg");
  ASSERT_EQ(RunBinary("", "--recorded=darts_v2 --out='" + out + "'", &err), 0) << err;
  absl::StatusOr<std::string> svg = io::ReadFile(out);
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  EXPECT_NE(svg->find("sep_conv_3x3"), std::string::npos);
  EXPECT_NE(svg->find("normal cell"), std::string::npos);
}

}  // namespace
}  // namespace nb360::nas::darts
