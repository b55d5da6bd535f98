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

void DeviceOps::Bernoulli(const Tensor&, double, uint64_t, uint64_t) {
  ThrowError("random draws on the device are not supported by this device's backend");
}

std::unique_ptr<DeviceGraph> DeviceOps::Capture(const std::function<void()>&) {
  ThrowError("graph capture is not supported by this device's backend");
}

bool CapturingOn(Device device) {
  if (device.is_cpu()) return false;
  const DeviceOps* ops = GetDeviceOps(device.type);
  return ops != nullptr && ops->Capturing();
}

DeviceOps& RequireDeviceOps(Device device, const char* what) {
  DeviceOps* ops = GetDeviceOps(device.type);
  NB_CHECK(ops != nullptr, what, ": tensor on ", device.ToString(),
           ", but no backend for it is running (build with --config=cuda and call InitCudaBackend())");
  return *ops;
}

}  // namespace nb360
