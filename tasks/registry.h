// tasks/registry.h: the ten NAS-Bench-360 tasks by name.
//
// Names are the package names: cifar100, spherical, ninapro, fsd50k, darcy_flow, psicov, cosmic, ecg,
// satellite, deepsea (in the paper's order).
#ifndef NB360_TASKS_REGISTRY_H_
#define NB360_TASKS_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

// All task names, in the paper's order.
const std::vector<std::string>& TaskNames();

// A new instance of the named task, or an error listing the valid names.
absl::StatusOr<std::unique_ptr<Task>> MakeTask(const std::string& name);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_REGISTRY_H_
