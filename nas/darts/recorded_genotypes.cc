// nas/darts/recorded_genotypes.cc: the spec's §A.7 genotype tables, transcribed in its shorthand
// (ops mp, ap, skip, sep3, sep5, dil3, dil5; "op<j" = op on state j; nodes separated by "|").
#include "nas/darts/recorded_genotypes.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/check.h"
#include "nas/darts/genotype_check.h"

namespace nb360::nas::darts {
namespace {

struct Entry {
  const char* name;
  const char* source;
  const char* normal;
  const char* reduce;
};

// Point tasks: darts/gaea/eval/searched_genotypes.py; 1D: darts_1d/gaea/eval/searched_genotypes.py;
// dense: darts/gaea-dense/model_def.py (normal half only, reduce all mp<0, mp<1).
constexpr Entry kEntries[] = {
    {"cifar100_s0", "point, GAEA seed 0 (commented out in searched_genotypes.py)",
     "dil5<1, dil5<0 | sep5<2, sep5<0 | sep3<0, sep5<3 | sep3<3, dil3<0",
     "mp<1, mp<0 | mp<1, sep5<2 | mp<1, sep5<2 | ap<1, dil3<3"},
    {"cifar100_s1", "point, GAEA seed 1 (commented out in searched_genotypes.py)",
     "sep3<1, dil5<0 | sep5<1, sep5<0 | sep3<2, mp<3 | sep5<0, sep5<2",
     "mp<0, mp<1 | sep5<0, sep5<1 | sep3<0, dil5<3 | dil5<3, dil5<4"},
    {"cifar100_s2", "point, GAEA seed 2 (commented out in searched_genotypes.py)",
     "sep5<1, sep3<0 | sep3<2, dil5<1 | sep5<3, sep5<2 | sep5<2, sep5<3",
     "sep5<1, sep3<0 | dil5<2, dil5<1 | dil3<2, sep5<3 | sep3<4, dil5<2"},
    {"ninapro_s0", "point, GAEA seed 0 (commented out in searched_genotypes.py)",
     "sep5<1, sep3<0 | sep5<1, ap<2 | sep5<1, sep5<3 | mp<3, mp<4",
     "dil3<1, skip<0 | sep3<0, sep3<1 | ap<0, sep3<1 | ap<1, dil5<2"},
    {"ninapro_s1", "point, GAEA seed 1 (commented out in searched_genotypes.py)",
     "dil5<0, dil3<1 | sep5<2, mp<1 | sep5<1, mp<2 | mp<3, mp<4",
     "dil5<0, mp<1 | ap<0, dil5<2 | ap<2, ap<3 | dil3<0, mp<4"},
    {"ninapro_s2", "point, GAEA seed 2 (commented out in searched_genotypes.py)",
     "sep5<1, dil5<0 | dil5<2, sep3<1 | sep5<2, mp<3 | dil5<4, sep5<1",
     "mp<0, sep5<1 | mp<2, ap<0 | mp<0, sep3<2 | sep5<3, mp<4"},
    {"scifar100_s0", "point, GAEA seed 0 (commented out in searched_genotypes.py)",
     "dil3<0, mp<1 | mp<0, mp<1 | ap<0, skip<1 | mp<1, ap<2",
     "skip<1, mp<0 | skip<1, ap<0 | mp<1, ap<2 | ap<1, ap<2"},
    {"scifar100_s1", "point, GAEA seed 1 (commented out in searched_genotypes.py)",
     "sep3<0, skip<1 | mp<0, mp<1 | mp<0, mp<3 | skip<0, mp<2",
     "ap<0, skip<1 | ap<1, ap<0 | mp<0, mp<1 | ap<0, dil3<2"},
    {"scifar100_s2", "point, GAEA seed 2 (commented out in searched_genotypes.py)",
     "mp<0, mp<1 | ap<0, mp<2 | mp<3, mp<2 | mp<0, mp<2",
     "ap<1, skip<0 | mp<1, dil5<0 | mp<1, mp<0 | mp<1, dil5<0"},
    {"permuted_s0", "point, GAEA seed 0 (commented out in searched_genotypes.py)",
     "skip<0, dil5<1 | dil5<0, dil5<1 | dil5<0, dil5<1 | sep3<3, dil3<1",
     "mp<0, mp<1 | sep3<1, skip<0 | sep3<0, sep3<1 | sep3<0, skip<1"},
    {"permuted_s1", "point, GAEA seed 1 (commented out in searched_genotypes.py)",
     "skip<0, skip<1 | dil3<2, dil3<1 | sep5<2, dil5<1 | dil5<1, dil5<0",
     "dil5<1, ap<0 | dil5<1, mp<0 | mp<1, ap<0 | sep5<1, ap<0"},
    {"permuted_s2", "point, GAEA seed 2 (commented out in searched_genotypes.py)",
     "dil5<0, dil5<1 | dil5<0, dil5<1 | dil5<3, dil5<2 | dil5<2, dil3<1",
     "skip<1, skip<0 | dil5<1, sep3<0 | dil3<1, skip<0 | dil5<1, dil3<0"},
    {"audio_s0", "point (FSD50K), GAEA seed 0, the second entry (the first repeats cifar100 s2)",
     "sep5<0, mp<1 | dil5<0, dil3<1 | sep5<2, dil5<0 | dil5<0, sep5<4",
     "mp<1, skip<0 | mp<1, skip<0 | mp<1, sep5<0 | mp<1, sep5<3"},
    {"audio_s1", "point (FSD50K), GAEA seed 1 (commented out)",
     "sep3<0, mp<1 | sep5<0, sep5<1 | ap<0, sep5<1 | sep5<0, sep3<4",
     "skip<1, skip<0 | skip<1, mp<0 | mp<0, skip<1 | mp<0, sep5<2"},
    {"audio_s2", "point (FSD50K), GAEA seed 2 (commented out)",
     "sep5<0, sep5<1 | ap<1, mp<2 | mp<0, sep5<3 | ap<0, mp<4",
     "mp<0, sep3<1 | mp<0, skip<1 | mp<0, skip<1 | mp<0, sep3<2"},
    {"ninapro_tenas", "point, darts/gaea/eval/searched_genotypes.py: active entry labelled TE-NAS",
     "mp<0, sep5<1 | skip<1, sep3<2 | dil5<0, sep3<1 | ap<0, dil5<4",
     "ap<0, skip<1 | skip<0, dil5<1 | dil3<1, sep3<3 | dil5<1, sep3<3"},
    {"cifar100_tenas", "point, darts/gaea/eval/searched_genotypes.py: active entry labelled TE-NAS",
     "sep5<0, dil5<1 | sep5<0, dil5<2 | sep3<0, dil5<1 | sep5<1, dil3<3",
     "dil5<0, sep3<1 | sep5<0, mp<1 | sep3<0, mp<2 | dil3<1, sep5<3"},
    {"scifar100_tenas", "point, darts/gaea/eval/searched_genotypes.py: active entry labelled TE-NAS",
     "sep5<0, dil5<1 | dil5<0, dil3<2 | ap<0, sep5<3 | dil3<2, sep5<4",
     "mp<0, sep5<1 | sep3<0, dil5<2 | dil3<2, sep3<3 | sep3<0, mp<4"},
    {"ecg_s0", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 0",
     "dil3<0, dil5<1 | dil5<1, dil5<2 | sep5<3, sep5<2 | dil5<4, dil5<0",
     "sep5<0, sep5<1 | dil5<2, sep5<1 | dil5<3, dil5<2 | dil5<3, dil3<4"},
    {"ecg_s1", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 1",
     "dil5<0, dil5<1 | sep5<2, sep5<1 | dil5<3, dil5<2 | skip<0, dil3<4",
     "sep5<1, sep5<0 | sep5<2, sep5<1 | sep5<3, dil5<2 | dil5<4, sep5<2"},
    {"ecg_s2", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 2 (active)",
     "dil5<1, dil5<0 | dil5<2, dil3<0 | dil5<3, dil5<2 | dil5<4, sep3<0",
     "sep5<1, sep5<0 | dil5<2, sep5<0 | dil5<2, dil5<3 | dil5<4, dil5<3"},
    {"satellite_s0", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 0",
     "dil5<0, dil5<1 | sep5<0, sep5<2 | sep5<0, dil5<2 | sep5<0, dil5<2",
     "sep3<1, sep3<0 | dil5<1, dil5<2 | dil5<3, sep5<1 | sep5<4, dil5<3"},
    {"satellite_s1", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 1",
     "dil5<0, dil5<1 | dil5<0, dil5<2 | dil5<0, dil5<3 | sep5<0, sep5<2",
     "dil5<0, ap<1 | dil5<1, dil5<2 | dil5<2, dil5<3 | dil3<3, sep3<2"},
    {"satellite_s2", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 2 (active)",
     "dil5<0, dil5<1 | dil5<0, dil5<2 | dil5<0, ap<3 | sep5<2, dil5<0",
     "dil3<0, mp<1 | dil5<2, ap<0 | dil5<3, ap<1 | sep5<3, dil5<2"},
    {"deepsea_s0", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 0",
     "sep5<0, sep3<1 | sep5<0, sep5<1 | dil3<0, sep5<2 | ap<0, mp<2",
     "mp<1, mp<0 | mp<1, mp<0 | mp<1, mp<2 | mp<1, sep5<0"},
    {"deepsea_s1", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 1",
     "ap<0, sep3<1 | ap<0, ap<2 | ap<0, sep3<2 | ap<0, skip<2",
     "dil3<0, sep5<1 | sep3<1, mp<0 | sep5<0, mp<1 | mp<0, ap<1"},
    {"deepsea_s2", "1D, darts_1d/gaea/eval/searched_genotypes.py seed 2 (active)",
     "ap<0, sep3<1 | dil5<0, sep3<2 | ap<0, sep3<3 | dil5<0, dil3<3",
     "skip<0, ap<1 | skip<0, sep5<1 | skip<1, mp<0 | sep3<0, ap<1"},
    {"pde_s2147483647", "dense, darts/gaea-dense/model_def.py, labelled \"seed 2^31-1\"",
     "sep5<0, sep3<1 | sep3<2, sep5<1 | sep3<1, sep3<0 | dil5<3, mp<0",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"pde_s1", "dense, darts/gaea-dense/model_def.py seed 1",
     "dil5<1, sep5<0 | sep5<1, dil5<2 | dil5<3, sep3<2 | dil3<3, dil3<2",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"pde_s2", "dense, darts/gaea-dense/model_def.py seed 2 (active)",
     "dil3<1, dil3<0 | dil3<2, dil3<0 | dil5<3, sep5<1 | dil5<4, mp<1",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"protein_s0", "dense, darts/gaea-dense/model_def.py seed 0",
     "ap<0, skip<1 | ap<0, dil5<1 | dil3<1, ap<0 | sep5<0, dil3<3",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"protein_s1", "dense, darts/gaea-dense/model_def.py seed 1",
     "mp<1, sep3<0 | sep3<1, skip<0 | sep3<0, dil3<3 | dil5<1, dil5<0",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"protein_s2", "dense, darts/gaea-dense/model_def.py seed 2 (active)",
     "dil3<0, skip<1 | sep3<1, skip<0 | sep5<2, dil5<0 | skip<0, dil3<3",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"cosmic", "dense, darts/gaea-dense/model_def.py active cosmic entry",
     "mp<0, dil5<1 | dil3<0, skip<2 | sep5<2, sep5<0 | sep3<1, sep5<0",
     "mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1 | mp<0, mp<1"},
    {"darts_v2", "DARTS_V2 (Liu et al., 2019, DARTS second order on CIFAR-10)",
     "sep3<0, sep3<1 | sep3<0, sep3<1 | sep3<1, skip<0 | skip<0, dil3<2",
     "mp<0, mp<1 | skip<2, mp<1 | mp<0, skip<2 | skip<2, mp<1"},
};

struct TaskActive {
  const char* task;
  const char* genotype;
};

constexpr TaskActive kActive[] = {
    {"cifar100", "cifar100_tenas"}, {"spherical", "scifar100_tenas"}, {"ninapro", "ninapro_tenas"},
    {"fsd50k", "audio_s2"},         {"darcy_flow", "pde_s2"},         {"psicov", "protein_s2"},
    {"cosmic", "cosmic"},           {"ecg", "ecg_s2"},                {"satellite", "satellite_s2"},
    {"deepsea", "deepsea_s2"},
};

const Entry* FindEntry(std::string_view name) {
  for (const Entry& e : kEntries) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

absl::Status NotFound(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("no recorded genotype named \"", std::string(name), "\" (known: ",
                                          absl::StrJoin(RecordedGenotypeNames(), ", "), ")"));
}

}  // namespace

std::vector<std::string> RecordedGenotypeNames() {
  std::vector<std::string> names;
  for (const Entry& e : kEntries) names.emplace_back(e.name);
  return names;
}

absl::StatusOr<Genotype> FindRecordedGenotype(std::string_view name) {
  const Entry* e = FindEntry(name);
  if (e == nullptr) return NotFound(name);
  absl::StatusOr<Genotype> g = ParseGenotypeShorthand(e->normal, e->reduce);
  // The table is fixed: a bad entry is a transcription bug, not bad input.
  NB_CHECK(g.ok(), "recorded genotype ", e->name, " is malformed: ", std::string(g.status().message()));
  return g;
}

absl::StatusOr<std::string> RecordedGenotypeSource(std::string_view name) {
  const Entry* e = FindEntry(name);
  if (e == nullptr) return NotFound(name);
  return std::string(e->source);
}

absl::StatusOr<std::string> ActiveGenotypeName(std::string_view task) {
  std::vector<std::string> tasks;
  for (const TaskActive& a : kActive) {
    if (task == a.task) return std::string(a.genotype);
    tasks.emplace_back(a.task);
  }
  return absl::NotFoundError(
      absl::StrCat("no active genotype for task \"", std::string(task), "\" (tasks: ", absl::StrJoin(tasks, ", "), ")"));
}

absl::StatusOr<Genotype> ActiveGenotype(std::string_view task) {
  absl::StatusOr<std::string> name = ActiveGenotypeName(task);
  if (!name.ok()) return name.status();
  return FindRecordedGenotype(*name);
}

}  // namespace nb360::nas::darts
