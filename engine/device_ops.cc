#include "engine/device_ops.h"

#include <array>
#include <atomic>

#include "engine/check.h"

namespace nb360 {
namespace {

std::array<std::atomic<DeviceOps*>, 2>& Registry() {
  static std::array<std::atomic<DeviceOps*>, 2> ops{};
  return ops;
}

}  // namespace

void SetDeviceOps(DeviceType type, DeviceOps* ops) { Registry()[static_cast<int>(type)].store(ops); }

DeviceOps* GetDeviceOps(DeviceType type) { return Registry()[static_cast<int>(type)].load(); }

DeviceOps& RequireDeviceOps(Device device, const char* what) {
  DeviceOps* ops = GetDeviceOps(device.type);
  NB_CHECK(ops != nullptr, what, ": tensor on ", device.ToString(),
           ", but no backend for it is running (build with --config=cuda and call InitCudaBackend())");
  return *ops;
}

}  // namespace nb360
