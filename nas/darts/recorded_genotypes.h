// nas/darts/recorded_genotypes.h: the genotypes the benchmark records (spec nas_darts_densenas.md §A.7
// tables) plus the public DARTS_V2 genotype (Liu et al., 2019), by name; and the genotype the benchmark
// retrains per task.
//
// Names are "<label>_s<seed>" with the spec's labels: cifar100, ninapro, scifar100, permuted, audio
// (FSD50K) for point tasks; ecg, satellite, deepsea (1D); pde, protein (dense). "<label>_tenas" are the
// active "TE-NAS genotypes" entries (cifar100, ninapro, scifar100); "pde_s2147483647" is the pde entry
// labelled "seed 2^31-1"; "audio_s0" is the second seed-0 audio entry (the first repeats cifar100_s2);
// "cosmic" is the active cosmic entry; "darts_v2" is DARTS_V2. Concat is 2..5 everywhere; dense
// genotypes' reduce half is all (max_pool_3x3, 0), (max_pool_3x3, 1) (an artefact: dense nets ignore it).
//
// Example:
//   absl::StatusOr<Genotype> g = FindRecordedGenotype("ecg_s2");
//   absl::StatusOr<std::string> name = ActiveGenotypeName("darcy_flow");   // "pde_s2"
#ifndef NB360_NAS_DARTS_RECORDED_GENOTYPES_H_
#define NB360_NAS_DARTS_RECORDED_GENOTYPES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nas/darts/genotype.h"

namespace nb360::nas::darts {

// Every recorded name, in the spec's table order, darts_v2 last.
std::vector<std::string> RecordedGenotypeNames();

// The genotype with that name, or NotFound listing the valid names.
absl::StatusOr<Genotype> FindRecordedGenotype(std::string_view name);

// Where a recorded genotype comes from (file and status in the original), or NotFound.
absl::StatusOr<std::string> RecordedGenotypeSource(std::string_view name);

// The recorded genotype the benchmark retrains for a task (registry names: cifar100, spherical,
// ninapro, fsd50k, darcy_flow, psicov, cosmic, ecg, satellite, deepsea):
//   cifar100 -> cifar100_tenas, spherical -> scifar100_tenas, ninapro -> ninapro_tenas (the active
//   TE-NAS entries); ecg/satellite/deepsea -> <task>_s2 (seed 2 is active in 1D); darcy_flow -> pde_s2,
//   psicov -> protein_s2, cosmic -> cosmic (the active dense entries);
//   fsd50k -> audio_s2: the original has no active audio entry (spec §C.3). We take seed 2 because seed
//   2 is the active seed wherever the original marks one per seed (1D, pde, protein) and is the seed of
//   every search YAML but CIFAR-100's; audio_s0 is avoided because its first entry is a copy slip.
// Unknown tasks give NotFound listing the task names.
absl::StatusOr<std::string> ActiveGenotypeName(std::string_view task);
absl::StatusOr<Genotype> ActiveGenotype(std::string_view task);

}  // namespace nb360::nas::darts

#endif  // NB360_NAS_DARTS_RECORDED_GENOTYPES_H_
