// tests/engine/host_device/host_device.cc: see host_device.h.
#include "tests/engine/host_device/host_device.h"

#include <cstring>
#include <vector>

#include "engine/allocator.h"
#include "engine/device_ops.h"
#include "engine/dtype.h"
#include "engine/optim/fused.h"
#include "engine/reduce_kernel.h"
#include "engine/rng.h"
#include "engine/strided.h"
#include "engine/tensor.h"
#include "ops/registry.h"

namespace nb360::testing {
namespace {

class HostDeviceOps : public DeviceOps {
 public:
  void Copy(const Tensor& dst, const Tensor& src) override {
    DispatchAll(dst.dtype(), [&](auto dtag) {
      DispatchAll(src.dtype(), [&](auto stag) {
        using D = decltype(dtag);
        using S = decltype(stag);
        D* d = static_cast<D*>(dst.raw_data());
        const S* s = static_cast<const S*>(src.raw_data());
        ForEachRow<2>(dst.shape(), {dst.strides(), src.strides()},
                      [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                        for (int64_t i = 0; i < n; ++i) d[off[0] + i * st[0]] = static_cast<D>(s[off[1] + i * st[1]]);
                      });
      });
    });
  }

  void Fill(const Tensor& dst, double value) override {
    DispatchAll(dst.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* d = static_cast<T*>(dst.raw_data());
      const T v = static_cast<T>(value);
      ForEachRow<1>(dst.shape(), {dst.strides()},
                    [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& st) {
                      for (int64_t i = 0; i < n; ++i) d[off[0] + i * st[0]] = v;
                    });
    });
  }

  void Bernoulli(const Tensor& dst, double p, uint64_t seed, uint64_t offset) override {
    const Tensor host = Tensor::Empty(dst.shape(), dst.dtype());
    Generator(seed, offset).Bernoulli(host, p);
    std::memcpy(dst.raw_data(), host.raw_data(), static_cast<size_t>(host.numel()) * DTypeSize(host.dtype()));
  }

  void Synchronize() override {}
};

}  // namespace

void InstallHostDevice() {
  static const bool installed = [] {
    SetAllocator(DeviceType::kCUDA, CpuAllocator());
    static HostDeviceOps ops;
    SetDeviceOps(DeviceType::kCUDA, &ops);
    optim::SetFusedOptimizerKernels(DeviceType::kCUDA, &optim::kHostFusedOptimizers);
    SetDeviceReduceKernel(DeviceType::kCUDA, HostReduceKernel);
    std::vector<KernelEntry> entries = cpu::KernelTable();
    for (KernelEntry& e : entries) e.device = DeviceType::kCUDA;
    RegisterKernels(entries);
    return true;
  }();
  (void)installed;
}

}  // namespace nb360::testing
