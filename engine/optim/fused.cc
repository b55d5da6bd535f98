#include "engine/optim/fused.h"

#include <array>
#include <atomic>

#include "engine/check.h"

namespace nb360 {
namespace optim {
namespace {

std::array<std::atomic<const FusedOptimizerKernels*>, 2>& Registry() {
  static std::array<std::atomic<const FusedOptimizerKernels*>, 2> kernels{};
  return kernels;
}

}  // namespace

void SetFusedOptimizerKernels(DeviceType type, const FusedOptimizerKernels* kernels) {
  Registry()[static_cast<int>(type)].store(kernels);
}

const FusedOptimizerKernels& GetFusedOptimizerKernels(Device device, const char* optimizer) {
  const FusedOptimizerKernels* k = Registry()[static_cast<int>(device.type)].load();
  NB_CHECK(k != nullptr, optimizer, ": parameters on ", device.ToString(),
           " but no fused optimizer kernels for it (start the CUDA backend: InitCudaBackend())");
  return *k;
}

}  // namespace optim
}  // namespace nb360
