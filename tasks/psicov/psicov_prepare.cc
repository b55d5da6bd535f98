// tasks/psicov/psicov_prepare.cc: PsicovTask::Prepare (unzipped protein.zip -> canonical dataset).
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tasks/psicov/psicov.h"
#include "tasks/psicov/psicov_raw.h"

namespace nb360::tasks {
namespace {

absl::Status CheckCount(const std::string& what, int64_t got, int64_t want, bool allow_mismatch) {
  if (got != want && !allow_mismatch) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", got, " protein ids, the published list has ", want,
                                                   " (pass --allow_count_mismatch to accept a partial download)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PsicovTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                 const PrepareOptions& options) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string root = raw_dir;
  if (!fs::exists(fs::path(root) / "deepcov.lst", ec) && fs::exists(fs::path(root) / "protein" / "deepcov.lst", ec)) {
    root = (fs::path(root) / "protein").string();
  }
  const std::string deepcov_list = root + "/deepcov.lst", psicov_list = root + "/psicov.lst";
  absl::StatusOr<std::vector<std::string>> deepcov_ids = psicov::ReadIdList(deepcov_list);
  if (!deepcov_ids.ok()) return deepcov_ids.status();
  absl::Status s = CheckCount(deepcov_list, deepcov_ids->size(), psicov::kDeepCov, options.allow_count_mismatch);
  if (!s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> psicov_ids = psicov::ReadIdList(psicov_list);
  if (!psicov_ids.ok()) return psicov_ids.status();
  s = CheckCount(psicov_list, psicov_ids->size(), psicov::kPsicov, options.allow_count_mismatch);
  if (!s.ok()) return s;
  // As the original: an id is looked up in deepcov/ then psicov/; the last folder holding it wins.
  const std::vector<std::string> roots = {root + "/deepcov", root + "/psicov"};
  std::map<std::string, Tensor> arrays;
  {
    absl::StatusOr<std::vector<psicov::PackedProtein>> deepcov = psicov::ReadProteins(roots, *deepcov_ids, options.threads);
    if (!deepcov.ok()) return deepcov.status();
    psicov::PackProteins("deepcov", &*deepcov, &arrays);
  }
  {
    absl::StatusOr<std::vector<psicov::PackedProtein>> test = psicov::ReadProteins(roots, *psicov_ids, options.threads);
    if (!test.ok()) return test.status();
    psicov::PackProteins("psicov", &*test, &arrays);
  }
  DatasetManifest manifest;
  manifest.task = info_.name;
  manifest.source = "real";
  manifest.description = absl::StrCat(
      "PSICOV/DeepCov from ", root, ": ", deepcov_ids->size(), " DeepCov and ", psicov_ids->size(),
      " PSICOV proteins in list order; 1-D features (ss, pssm, sa, entropy) and ccmpred/freecon/potential checked in "
      "(-100, 100); Cβ distance maps repaired (< 1 -> 1, diagonal) and checked in [1, 500]",
      options.allow_count_mismatch ? "; counts not checked (--allow_count_mismatch)" : "");
  return WriteDataset(out_dir, manifest, arrays);
}

}  // namespace nb360::tasks
