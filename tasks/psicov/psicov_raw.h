// tasks/psicov/psicov_raw.h: reading the unzipped protein.zip files of PSICOV (tasks spec §6.1):
// list files, feature pickles and distance .npy files, converted into the packed protein layout.
//
//   <raw>/deepcov.lst, <raw>/psicov.lst              one id per line (first whitespace token)
//   <raw>/{deepcov,psicov}/features/<id>.pkl         dict: seq, ss (3, L), pssm (L, 22), sa (L),
//                                                    entropy (L), ccmpred/freecon/potential (L, L)
//   <raw>/{deepcov,psicov}/distance/<id>-cb.npy      object array (L, seq, Cβ distance map L x L)
// (or the same below <raw>/protein/). As the original, an id is looked up in deepcov/ then psicov/
// and the last folder holding the file wins. Every feature must lie inside (-100, 100); the map is
// repaired and checked (psicov_features.h). Errors name the file and the problem.
// Left out: CAMEO (NaN distances are rejected), blank lines in lists (skipped; the original fails).
#ifndef NB360_TASKS_PSICOV_PSICOV_RAW_H_
#define NB360_TASKS_PSICOV_PSICOV_RAW_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/common/pickle.h"
#include "tasks/psicov/psicov.h"

namespace nb360::tasks::psicov {

// The ids of a list file.
absl::StatusOr<std::vector<std::string>> ReadIdList(const std::string& path);

// The PyValue stored in an object-dtype .npy file ('|O': a pickle after the header).
absl::StatusOr<PyRef> ParseObjectNpy(std::string_view bytes, std::string_view name_for_errors);

// One protein from its feature dict and distance triple (already parsed; names for errors).
absl::StatusOr<PackedProtein> ConvertProtein(const PyValue& features, std::string_view feature_name,
                                             const PyValue& distance, std::string_view distance_name);

// Reads and converts protein `id` found under `roots` (later roots win).
absl::StatusOr<PackedProtein> ReadProtein(const std::vector<std::string>& roots, const std::string& id);

// All proteins of `ids` with `threads` workers, in list order; the first failure (by index) wins.
absl::StatusOr<std::vector<PackedProtein>> ReadProteins(const std::vector<std::string>& roots,
                                                        const std::vector<std::string>& ids, int threads);

}  // namespace nb360::tasks::psicov

#endif  // NB360_TASKS_PSICOV_PSICOV_RAW_H_
