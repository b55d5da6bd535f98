// tests/nas/darts/genotype_test.cc: primitive names, validation, the shorthand, text protos and files,
// and the recorded genotypes (spec nas_darts_densenas.md §A.1, §A.7).
#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/io/atomic_file.h"
#include "gtest/gtest.h"
#include "nas/darts/genotype.h"
#include "nas/darts/genotype_check.h"
#include "nas/darts/genotype_text.h"
#include "nas/darts/recorded_genotypes.h"

namespace nb360::nas::darts {
namespace {

using P = Primitive;

std::string Message(const absl::Status& s) { return std::string(s.message()); }
bool Has(const absl::Status& s, const std::string& part) { return Message(s).find(part) != std::string::npos; }

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return (std::filesystem::path(dir != nullptr ? dir : "/tmp") / name).string();
}

Genotype DartsV2ByHand() {
  Genotype g;
  g.normal = {{P::kSepConv3x3, 0}, {P::kSepConv3x3, 1}, {P::kSepConv3x3, 0}, {P::kSepConv3x3, 1},
              {P::kSepConv3x3, 1}, {P::kSkipConnect, 0}, {P::kSkipConnect, 0}, {P::kDilConv3x3, 2}};
  g.reduce = {{P::kMaxPool3x3, 0}, {P::kMaxPool3x3, 1}, {P::kSkipConnect, 2}, {P::kMaxPool3x3, 1},
              {P::kMaxPool3x3, 0}, {P::kSkipConnect, 2}, {P::kSkipConnect, 2}, {P::kMaxPool3x3, 1}};
  return g;
}

TEST(Primitive, NamesInTheBenchmarksOrderRoundTrip) {
  const char* expected[] = {"none",         "max_pool_3x3", "avg_pool_3x3", "skip_connect",
                            "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};
  for (int i = 0; i < kNumPrimitives; ++i) {
    const Primitive p = static_cast<Primitive>(i);
    EXPECT_EQ(PrimitiveName(p), expected[i]);
    absl::StatusOr<Primitive> back = PrimitiveFromName(expected[i]);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, p);
  }
  absl::StatusOr<Primitive> bad = PrimitiveFromName("sep_conv_7x7");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Has(bad.status(), "\"sep_conv_7x7\"")) << bad.status();
  EXPECT_TRUE(Has(bad.status(), "dil_conv_5x5")) << bad.status();  // lists the valid names
}

TEST(Validate, AcceptsDartsV2AndNamesEachProblem) {
  Genotype g = DartsV2ByHand();
  EXPECT_TRUE(ValidateGenotype(g).ok()) << ValidateGenotype(g);

  Genotype bad = g;
  bad.normal.pop_back();
  EXPECT_TRUE(Has(ValidateGenotype(bad), "normal half: has 7 (op, input) pairs, needs 8")) << ValidateGenotype(bad);

  bad = g;
  bad.reduce[3].input = 3;  // node 1 sees states 0..2
  EXPECT_TRUE(Has(ValidateGenotype(bad), "reduce half, node 1 (pair 3): input 3 out of range [0, 3)"))
      << ValidateGenotype(bad);

  bad = g;
  bad.normal[7].input = -1;
  EXPECT_TRUE(Has(ValidateGenotype(bad), "normal half, node 3 (pair 7): input -1 out of range [0, 5)"))
      << ValidateGenotype(bad);

  bad = g;
  bad.normal[4].op = P::kNone;
  EXPECT_TRUE(Has(ValidateGenotype(bad), "normal half, node 2 (pair 4): operation none")) << ValidateGenotype(bad);

  bad = g;
  bad.reduce[0].op = static_cast<Primitive>(8);
  EXPECT_TRUE(Has(ValidateGenotype(bad), "reduce half, node 0 (pair 0): operation index 8")) << ValidateGenotype(bad);

  bad = g;
  bad.reduce_concat = {2, 3, 6};
  EXPECT_TRUE(Has(ValidateGenotype(bad), "reduce half: concat state 6 out of range [2, 6)")) << ValidateGenotype(bad);
  bad.reduce_concat = {1, 2};
  EXPECT_TRUE(Has(ValidateGenotype(bad), "concat state 1 out of range")) << ValidateGenotype(bad);
  bad.reduce_concat = {2, 2};
  EXPECT_TRUE(Has(ValidateGenotype(bad), "concat state 2 listed twice")) << ValidateGenotype(bad);
  bad.reduce_concat = {};
  EXPECT_TRUE(Has(ValidateGenotype(bad), "reduce half: concat is empty")) << ValidateGenotype(bad);
}

TEST(Shorthand, ParsesTheSpecsNotationAndPrintsItBack) {
  const std::string normal = "sep3<0, sep3<1 | sep3<0, sep3<1 | sep3<1, skip<0 | skip<0, dil3<2";
  const std::string reduce = "mp<0, mp<1 | skip<2, mp<1 | mp<0, skip<2 | skip<2, mp<1";
  absl::StatusOr<Genotype> g = ParseGenotypeShorthand(normal, reduce);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, DartsV2ByHand());
  EXPECT_EQ(HalfShorthand(g->normal), normal);
  EXPECT_EQ(GenotypeShorthand(*g), "normal: " + normal + " ; reduce: " + reduce);
  // Full names work too.
  absl::StatusOr<std::vector<GenotypeEdge>> full =
      ParseHalfShorthand("avg_pool_3x3<0, dil5<1 | ap<2, sep5<0 | mp<3, skip<1 | dil3<4, sep_conv_5x5<0");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ((*full)[0], (GenotypeEdge{P::kAvgPool3x3, 0}));
  EXPECT_EQ((*full)[7], (GenotypeEdge{P::kSepConv5x5, 0}));

  EXPECT_TRUE(Has(ParseGenotypeShorthand("sep3<0, sep3 | ...", reduce).status(),
                  "normal half, node 0: \"sep3\" is not of the form op<input"));
  EXPECT_TRUE(Has(ParseGenotypeShorthand(normal, "mp<0, mp<1 | conv<2, mp<1 | mp<0, skip<2 | skip<2, mp<1").status(),
                  "reduce half, node 1: unknown operation \"conv\""));
  EXPECT_TRUE(Has(ParseGenotypeShorthand(normal, "mp<0 | skip<2, mp<1 | mp<0, skip<2 | skip<2, mp<1").status(),
                  "reduce half, node 0: has 1 pairs, needs 2"));
  EXPECT_TRUE(Has(ParseGenotypeShorthand(normal, "mp<0, mp<1 | skip<3, mp<1 | mp<0, skip<2 | skip<2, mp<1").status(),
                  "reduce half, node 1 (pair 2): input 3 out of range [0, 3)"));
}

TEST(Recorded, DartsV2IsThePublicGenotype) {
  absl::StatusOr<Genotype> g = FindRecordedGenotype("darts_v2");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, DartsV2ByHand());
}

TEST(Recorded, EveryTableEntryIsThereAndValid) {
  const std::vector<std::string> names = RecordedGenotypeNames();
  // §A.7: 18 point (12 per-seed GAEA for 4 labels, 3 audio, 3 TE-NAS), 9 1D, 7 dense; + DARTS_V2.
  EXPECT_EQ(names.size(), 35u);
  for (const char* n : {"cifar100_s0", "cifar100_s1", "cifar100_s2", "cifar100_tenas", "ninapro_tenas",
                        "scifar100_tenas", "scifar100_s2", "permuted_s1", "audio_s0", "audio_s2", "ecg_s0",
                        "ecg_s2", "satellite_s1", "deepsea_s2", "pde_s2147483647", "pde_s1", "pde_s2",
                        "protein_s0", "protein_s2", "cosmic", "darts_v2"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  for (const std::string& n : names) {
    absl::StatusOr<Genotype> g = FindRecordedGenotype(n);
    ASSERT_TRUE(g.ok()) << n << ": " << g.status();
    EXPECT_TRUE(ValidateGenotype(*g).ok()) << n << ": " << ValidateGenotype(*g);
    EXPECT_EQ(g->normal_concat, (std::vector<int>{2, 3, 4, 5})) << n;
    EXPECT_EQ(g->reduce_concat, (std::vector<int>{2, 3, 4, 5})) << n;
    EXPECT_TRUE(RecordedGenotypeSource(n).ok()) << n;
  }
  absl::StatusOr<Genotype> missing = FindRecordedGenotype("cifar10");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Has(missing.status(), "\"cifar10\"")) << missing.status();
  EXPECT_TRUE(Has(missing.status(), "darts_v2")) << missing.status();
}

TEST(Recorded, SpotChecksAgainstTheSpecsTables) {
  // cifar100 s0, first and last pairs of both halves.
  Genotype g = *FindRecordedGenotype("cifar100_s0");
  EXPECT_EQ(g.normal[0], (GenotypeEdge{P::kDilConv5x5, 1}));
  EXPECT_EQ(g.normal[7], (GenotypeEdge{P::kDilConv3x3, 0}));
  EXPECT_EQ(g.reduce[6], (GenotypeEdge{P::kAvgPool3x3, 1}));
  EXPECT_EQ(g.reduce[7], (GenotypeEdge{P::kDilConv3x3, 3}));
  // Active TE-NAS CIFAR-100.
  EXPECT_EQ(HalfShorthand(FindRecordedGenotype("cifar100_tenas")->normal),
            "sep5<0, dil5<1 | sep5<0, dil5<2 | sep3<0, dil5<1 | sep5<1, dil3<3");
  EXPECT_EQ(HalfShorthand(FindRecordedGenotype("scifar100_tenas")->reduce),
            "mp<0, sep5<1 | sep3<0, dil5<2 | dil3<2, sep3<3 | sep3<0, mp<4");
  // 1D seed 2.
  EXPECT_EQ(HalfShorthand(FindRecordedGenotype("ecg_s2")->normal),
            "dil5<1, dil5<0 | dil5<2, dil3<0 | dil5<3, dil5<2 | dil5<4, sep3<0");
  EXPECT_EQ(HalfShorthand(FindRecordedGenotype("deepsea_s2")->reduce),
            "skip<0, ap<1 | skip<0, sep5<1 | skip<1, mp<0 | sep3<0, ap<1");
  // Dense: the reduce half is the untouched discretisation.
  for (const char* n : {"pde_s2147483647", "pde_s1", "pde_s2", "protein_s0", "protein_s1", "protein_s2", "cosmic"}) {
    EXPECT_EQ(HalfShorthand(FindRecordedGenotype(n)->reduce), "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1")
        << n;
  }
  EXPECT_EQ(HalfShorthand(FindRecordedGenotype("pde_s2")->normal),
            "dil3<1, dil3<0 | dil3<2, dil3<0 | dil5<3, sep5<1 | dil5<4, mp<1");
  EXPECT_EQ(HalfShorthand(FindRecordedGenotype("cosmic")->normal),
            "mp<0, dil5<1 | dil3<0, skip<2 | sep5<2, sep5<0 | sep3<1, sep5<0");
}

TEST(Recorded, ActiveGenotypePerTask) {
  const std::pair<const char*, const char*> expected[] = {
      {"cifar100", "cifar100_tenas"}, {"spherical", "scifar100_tenas"}, {"ninapro", "ninapro_tenas"},
      {"fsd50k", "audio_s2"},         {"darcy_flow", "pde_s2"},         {"psicov", "protein_s2"},
      {"cosmic", "cosmic"},           {"ecg", "ecg_s2"},                {"satellite", "satellite_s2"},
      {"deepsea", "deepsea_s2"}};
  for (const auto& [task, name] : expected) {
    absl::StatusOr<std::string> got = ActiveGenotypeName(task);
    ASSERT_TRUE(got.ok()) << task << ": " << got.status();
    EXPECT_EQ(*got, name) << task;
    absl::StatusOr<Genotype> g = ActiveGenotype(task);
    ASSERT_TRUE(g.ok()) << task;
    EXPECT_EQ(*g, *FindRecordedGenotype(name)) << task;
  }
  absl::StatusOr<std::string> bad = ActiveGenotypeName("cifar10");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Has(bad.status(), "\"cifar10\"") && Has(bad.status(), "deepsea")) << bad.status();
}

TEST(Text, EveryRecordedGenotypeRoundTrips) {
  for (const std::string& n : RecordedGenotypeNames()) {
    const Genotype g = *FindRecordedGenotype(n);
    const std::string text = GenotypeToText(g);
    absl::StatusOr<Genotype> back = GenotypeFromText(text);
    ASSERT_TRUE(back.ok()) << n << ": " << back.status() << "\n" << text;
    EXPECT_EQ(*back, g) << n;
  }
}

TEST(Text, FormatIsOneLinePerPair) {
  const std::string text = GenotypeToText(DartsV2ByHand());
  EXPECT_NE(text.find("# normal cell, node 3\nnormal { op: \"skip_connect\" input: 0 }\n"
                      "normal { op: \"dil_conv_3x3\" input: 2 }\nnormal_concat: [2, 3, 4, 5]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("reduce { op: \"max_pool_3x3\" input: 0 }"), std::string::npos) << text;
  // Other text-proto spellings of the same message parse too (repeated scalars one by one, ':' before '{').
  std::string alt;
  for (const GenotypeEdge& e : DartsV2ByHand().normal) {
    alt += "normal: { input: " + std::to_string(e.input) + " op: '" + std::string(PrimitiveName(e.op)) + "' }\n";
  }
  for (const GenotypeEdge& e : DartsV2ByHand().reduce) {
    alt += "reduce { op: \"" + std::string(PrimitiveName(e.op)) + "\" input: " + std::to_string(e.input) + " }\n";
  }
  alt += "normal_concat: 2 normal_concat: 3 normal_concat: 4 normal_concat: 5\nreduce_concat: [2, 3, 4, 5]\n";
  absl::StatusOr<Genotype> g = GenotypeFromText(alt);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, DartsV2ByHand());
}

TEST(Text, BadTextGivesErrorsNamingTheProblem) {
  const std::string good = GenotypeToText(DartsV2ByHand());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  // Syntax: located.
  absl::StatusOr<Genotype> g = GenotypeFromText("normal { op: \"sep_conv_3x3\" input: }\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "genotype text: line 1, column")) << g.status();
  g = GenotypeFromText("normal { op: \"sep_conv_3x3\" input: 0 kernel: 3 }\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "kernel")) << g.status();
  // Bad op: names the op, the half, node and pair.
  g = GenotypeFromText(replace("normal { op: \"sep_conv_3x3\" input: 1 }", "normal { op: \"sep_conv_9x9\" input: 1 }"));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "normal half, node 0 (pair 1): unknown operation \"sep_conv_9x9\"")) << g.status();
  // Out-of-range input.
  g = GenotypeFromText(replace("reduce { op: \"skip_connect\" input: 2 }", "reduce { op: \"skip_connect\" input: 4 }"));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "reduce half, node 1 (pair 2): input 4 out of range [0, 3)")) << g.status();
  // none.
  g = GenotypeFromText(replace("reduce { op: \"skip_connect\" input: 2 }", "reduce { op: \"none\" input: 2 }"));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "reduce half, node 1 (pair 2): operation none")) << g.status();
  // Missing fields are errors, not zeros.
  g = GenotypeFromText(replace("reduce { op: \"skip_connect\" input: 2 }", "reduce { op: \"skip_connect\" }"));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "reduce half, node 1 (pair 2): input is missing")) << g.status();
  g = GenotypeFromText(replace("reduce { op: \"skip_connect\" input: 2 }", "reduce { input: 2 }"));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "reduce half, node 1 (pair 2): op is missing")) << g.status();
  g = GenotypeFromText(replace("normal_concat: [2, 3, 4, 5]\n", ""));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "normal half: concat is empty")) << g.status();
  // Too few pairs.
  g = GenotypeFromText(replace("normal { op: \"dil_conv_3x3\" input: 2 }\n", ""));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Has(g.status(), "normal half: has 7 (op, input) pairs, needs 8")) << g.status();
}

TEST(File, WriteThenReadAndErrors) {
  const std::string path = TempPath("genotype_test_ecg.pbtxt");
  const Genotype g = *FindRecordedGenotype("ecg_s2");
  ASSERT_TRUE(WriteGenotypeFile(path, g).ok());
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, GenotypeToText(g));
  absl::StatusOr<Genotype> back = ReadGenotypeFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, g);
  // Overwrite in place; no temporary files left next to it.
  ASSERT_TRUE(WriteGenotypeFile(path, DartsV2ByHand()).ok());
  EXPECT_EQ(*ReadGenotypeFile(path), DartsV2ByHand());
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    EXPECT_FALSE(io::IsAtomicWriteTempName(entry.path().filename().string())) << entry.path();
  }
  // An invalid genotype is refused and the file keeps its contents.
  Genotype bad = g;
  bad.normal[1].op = P::kNone;
  absl::Status s = WriteGenotypeFile(path, bad);
  EXPECT_TRUE(Has(s, "normal half, node 0 (pair 1): operation none")) << s;
  EXPECT_EQ(*ReadGenotypeFile(path), DartsV2ByHand());
  // Missing and malformed files name the path.
  absl::StatusOr<Genotype> missing = ReadGenotypeFile(TempPath("no_such_genotype.pbtxt"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(Has(missing.status(), "no_such_genotype.pbtxt")) << missing.status();
  const std::string junk = TempPath("junk_genotype.pbtxt");
  ASSERT_TRUE(io::WriteFileAtomically(junk, "normal { op: 3 }").ok());
  absl::StatusOr<Genotype> bad_file = ReadGenotypeFile(junk);
  ASSERT_FALSE(bad_file.ok());
  EXPECT_TRUE(Has(bad_file.status(), "junk_genotype.pbtxt: genotype text: line 1")) << bad_file.status();
}

}  // namespace
}  // namespace nb360::nas::darts
