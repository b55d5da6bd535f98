// tasks/registry.cc: name -> task factory for the ten tasks.
#include "tasks/registry.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tasks/cifar100/cifar100.h"
#include "tasks/cosmic/cosmic.h"
#include "tasks/darcy_flow/darcy_flow.h"
#include "tasks/deepsea/deepsea.h"
#include "tasks/ecg/ecg.h"
#include "tasks/fsd50k/fsd50k.h"
#include "tasks/ninapro/ninapro.h"
#include "tasks/psicov/psicov.h"
#include "tasks/satellite/satellite.h"
#include "tasks/spherical/spherical.h"

namespace nb360::tasks {
namespace {

using Factory = std::function<std::unique_ptr<Task>()>;

const std::vector<std::pair<std::string, Factory>>& Factories() {
  static const auto* f = new std::vector<std::pair<std::string, Factory>>{
      {"cifar100", NewCifar100Task}, {"spherical", NewSphericalTask}, {"ninapro", NewNinaProTask},
      {"fsd50k", NewFsd50kTask},     {"darcy_flow", NewDarcyFlowTask}, {"psicov", NewPsicovTask},
      {"cosmic", NewCosmicTask},     {"ecg", NewEcgTask},             {"satellite", NewSatelliteTask},
      {"deepsea", NewDeepSeaTask},
  };
  return *f;
}

}  // namespace

const std::vector<std::string>& TaskNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& [name, f] : Factories()) v->push_back(name);
    return v;
  }();
  return *names;
}

absl::StatusOr<std::unique_ptr<Task>> MakeTask(const std::string& name) {
  for (const auto& [n, f] : Factories()) {
    if (n == name) return f();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown task '", name, "'; the tasks are: ",
                                                 absl::StrJoin(TaskNames(), ", ")));
}

}  // namespace nb360::tasks
