// engine/device_ops.h: what the engine core needs from a non-CPU backend.
//
// The core (Tensor, autograd) never includes a backend's headers. A backend (engine/cuda) registers
// one DeviceOps for its DeviceType when it starts (InitCudaBackend); Tensor::CopyFrom, Fill, To(Device),
// item() and ToVector() route tensors that live on that device through it. Without a registered
// backend those calls fail with a message naming the device.
#ifndef NB360_ENGINE_DEVICE_OPS_H_
#define NB360_ENGINE_DEVICE_OPS_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "engine/device.h"

namespace nb360 {

class Tensor;

// Device work recorded once and replayed (a CUDA graph): each Replay() queues the recorded kernels
// again, on the same buffers, in order with other work of the device.
class DeviceGraph {
 public:
  virtual ~DeviceGraph() = default;
  virtual void Replay() = 0;
};

class DeviceOps {
 public:
  virtual ~DeviceOps() = default;
  // dst = src element by element (dst's shape; src already expanded to it), converting the dtype;
  // either may be on the CPU, at least one is on this backend's device; any strides.
  virtual void Copy(const Tensor& dst, const Tensor& src) = 0;
  // Every element of dst (any strides) = value.
  virtual void Fill(const Tensor& dst, double value) = 0;
  // Waits until all work queued on the device is done.
  virtual void Synchronize() = 0;
  // Every element of dst (contiguous, floating) = 1 where the uniform draw for counter offset + i of
  // the Philox stream `seed` is below p, else 0: bit for bit Generator::Bernoulli's values (rng.h).
  // The default: not supported.
  virtual void Bernoulli(const Tensor& dst, double p, uint64_t seed, uint64_t offset);
  // Runs `record` on the host once while the device work it queues is recorded into a graph instead
  // of run (nothing runs until Replay). Memory allocated during the recording is kept for the graph.
  // Host reads and host <-> device copies are errors while recording. The default: not supported.
  virtual std::unique_ptr<DeviceGraph> Capture(const std::function<void()>& record);
  // True while this thread is recording a graph for this device.
  virtual bool Capturing() const { return false; }
};

// True while this thread records a graph for `device` (ops then leave out host-side checks).
bool CapturingOn(Device device);

// Registers (or, with null, removes) the ops of a non-CPU device type.
void SetDeviceOps(DeviceType type, DeviceOps* ops);
// The registered ops, or null.
DeviceOps* GetDeviceOps(DeviceType type);
// The registered ops; throws an error naming `what` and the device when there are none.
DeviceOps& RequireDeviceOps(Device device, const char* what);

}  // namespace nb360

#endif  // NB360_ENGINE_DEVICE_OPS_H_
