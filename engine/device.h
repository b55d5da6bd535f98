// engine/device.h: where a tensor's memory lives, as a runtime value.
#ifndef NB360_ENGINE_DEVICE_H_
#define NB360_ENGINE_DEVICE_H_

#include <cstdint>
#include <string>

namespace nb360 {

enum class DeviceType : uint8_t { kCPU, kCUDA };

struct Device {
  DeviceType type = DeviceType::kCPU;
  int index = 0;

  static Device CPU() { return Device{DeviceType::kCPU, 0}; }
  static Device CUDA(int index = 0) { return Device{DeviceType::kCUDA, index}; }
  bool is_cpu() const { return type == DeviceType::kCPU; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string ToString() const {
    return type == DeviceType::kCPU ? "cpu" : "cuda:" + std::to_string(index);
  }
};

}  // namespace nb360

#endif  // NB360_ENGINE_DEVICE_H_
