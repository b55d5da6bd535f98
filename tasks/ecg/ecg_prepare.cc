// tasks/ecg/ecg_prepare.cc: EcgTask::Prepare (placeholder until the pickle reader lands).
#include "tasks/ecg/ecg.h"

namespace nb360::tasks {

absl::Status EcgTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                              const PrepareOptions& options) const {
  return absl::UnimplementedError("ecg prepare: pickle reader not yet available");
}

}  // namespace nb360::tasks
