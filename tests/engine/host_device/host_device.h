// tests/engine/host_device/host_device.h: a stand-in for the CUDA device in CPU builds, whose
// "device memory" is host memory, so every engine path that is taken only for tensors off the CPU
// (Module::To, Tensor::To/CopyFrom/item through DeviceOps, device random draws, the optimizers'
// fused-kernel path, ClipGradNorm and CrossEntropy on a device, the trainer's --device code, the
// graphed step's fallback) runs and can be checked in CI, where no GPU exists.
//
// InstallHostDevice() registers, for DeviceType::kCUDA: the CPU allocator; DeviceOps doing strided,
// casting copies and fills on host memory, Bernoulli draws with the CPU generator (the same values,
// as the real CUDA backend's), no graph capture; the CPU op kernels (ops/registry.h RegisterKernels)
// and the CPU reduction behind SumToShape; the host fused optimizer kernels (engine/optim/fused.h).
// Results therefore equal the CPU's bit for bit wherever the device code paths do the same
// arithmetic. Only for CPU builds (tests using it are incompatible with --config=cuda).
#ifndef NB360_TESTS_ENGINE_HOST_DEVICE_HOST_DEVICE_H_
#define NB360_TESTS_ENGINE_HOST_DEVICE_HOST_DEVICE_H_

namespace nb360::testing {

// Idempotent. Afterwards Device::CUDA() tensors live in host memory.
void InstallHostDevice();

}  // namespace nb360::testing

#endif  // NB360_TESTS_ENGINE_HOST_DEVICE_HOST_DEVICE_H_
