// engine/optim/fused.h: multi-tensor ("fused") optimizer kernels for parameters on a device.
//
// Parameters on the CPU are updated one by one by each optimizer's Update(). Parameters on another
// device are collected per group and handed to that device's fused kernels, which update many
// tensors per launch (engine/cuda/fused_optim.cu: one launch per 32 parameters). The arithmetic is
// the CPU kernels', operation for operation (explicit FMAs, IEEE division and square root), so a
// device step matches the CPU step.
#ifndef NB360_ENGINE_OPTIM_FUSED_H_
#define NB360_ENGINE_OPTIM_FUSED_H_

#include <cstdint>
#include <vector>

#include "engine/device.h"
#include "engine/dtype.h"

namespace nb360 {
namespace optim {

// One parameter of a fused launch: device pointers (buffers null when unused) and its element count.
struct FusedSlot {
  void* param = nullptr;
  const void* grad = nullptr;
  void* buf0 = nullptr;  // SGD: momentum buffer; Adam: exp_avg
  void* buf1 = nullptr;  // Adam: exp_avg_sq
  void* buf2 = nullptr;  // Adam with amsgrad: max_exp_avg_sq
  int64_t n = 0;
  bool first = false;    // SGD: the momentum buffer is new (initialised from the gradient)
  double step = 0.0;     // Adam: this parameter's step count (after increment)
};

struct SgdHyper {
  double lr, weight_decay, momentum, dampening;
  bool nesterov, maximize;
};

struct AdamHyper {
  double lr, weight_decay, beta1, beta2, eps;
  bool decoupled, maximize;
};

struct FusedOptimizerKernels {
  // All slots share `dtype` (float32 or float64) and the hyperparameters.
  void (*sgd)(DType dtype, const std::vector<FusedSlot>& slots, const SgdHyper& h);
  void (*adam)(DType dtype, const std::vector<FusedSlot>& slots, const AdamHyper& h);
};

// The fused-kernel interface over host memory, with the CPU optimizers' own per-parameter kernels
// (bit for bit their steps): for backends whose device memory is host memory (the stand-in device of
// tests/engine/host_device). Defined in sgd.cc / adam.cc.
void HostFusedSgd(DType dtype, const std::vector<FusedSlot>& slots, const SgdHyper& h);
void HostFusedAdam(DType dtype, const std::vector<FusedSlot>& slots, const AdamHyper& h);
inline constexpr FusedOptimizerKernels kHostFusedOptimizers = {HostFusedSgd, HostFusedAdam};

// Registered by a device backend when it starts (null removes).
void SetFusedOptimizerKernels(DeviceType type, const FusedOptimizerKernels* kernels);
// The device's kernels; throws an error naming the optimizer and the device when there are none.
const FusedOptimizerKernels& GetFusedOptimizerKernels(Device device, const char* optimizer);

}  // namespace optim
}  // namespace nb360

#endif  // NB360_ENGINE_OPTIM_FUSED_H_
