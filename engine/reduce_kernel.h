// engine/reduce_kernel.h: the strided reduction kernel shared by SumToShape and ops/reduce.
#ifndef NB360_ENGINE_REDUCE_KERNEL_H_
#define NB360_ENGINE_REDUCE_KERNEL_H_

#include <vector>

#include "engine/tensor.h"

namespace nb360 {

enum class ReduceKind { kSum, kMax, kMin, kArgMax, kArgMin, kSumSquares };

// out[kept index] = reduction over the dims with reduce[d] = true of src. `out` is contiguous with
// src's shape where reduced dims are 1 (or dropped: only its element order matters). Float sums
// accumulate in double. ArgMax/ArgMin write int64 indices into the flattened reduced block.
// Tensors on another device go to the kernel that device's backend registered (the CUDA op table
// registers its reduction, ops/cuda/kernel_table.cc), so SumToShape works there too.
void ReduceKernel(const Tensor& src, const std::vector<bool>& reduce, ReduceKind kind, const Tensor& out);
// The CPU algorithm of ReduceKernel on tensors in host memory, whatever their device says (the
// host-memory stand-in device of tests/engine/host_device registers it as its device reduction).
void HostReduceKernel(const Tensor& src, const std::vector<bool>& reduce, ReduceKind kind, const Tensor& out);

using DeviceReduceFn = void (*)(const Tensor& src, const std::vector<bool>& reduce, ReduceKind kind,
                                const Tensor& out);
void SetDeviceReduceKernel(DeviceType type, DeviceReduceFn fn);

}  // namespace nb360

#endif  // NB360_ENGINE_REDUCE_KERNEL_H_
