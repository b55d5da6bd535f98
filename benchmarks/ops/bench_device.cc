// benchmarks/ops/bench_device.cc: see bench_device.h.
#include "benchmarks/ops/bench_device.h"

#include "engine/device_ops.h"
#include "engine/dtype.h"
#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif

namespace nb360::bench {

bool CudaRunning() {
#ifdef NB360_WITH_CUDA
  static const bool running = InitCudaBackend().ok();
  return running;
#else
  return false;
#endif
}

std::vector<std::pair<std::string, Device>> BenchDevices() {
  std::vector<std::pair<std::string, Device>> devices = {{"", Device::CPU()}};
  if (CudaRunning()) devices.push_back({"_CUDA", Device::CUDA()});
  return devices;
}

void SyncDevice(Device device) {
  if (device.is_cpu()) return;
  RequireDeviceOps(device, "SyncDevice").Synchronize();
}

double TensorBytes(std::initializer_list<Tensor> tensors) {
  double bytes = 0;
  for (const Tensor& t : tensors) {
    if (t.defined()) bytes += static_cast<double>(t.numel()) * DTypeSize(t.dtype());
  }
  return bytes;
}

}  // namespace nb360::bench
