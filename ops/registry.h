// ops/registry.h: the one table of op kernels, and the Supports() query.
//
// Each op family has a typed kernel struct declared in its header (ops/<op>.h), with one instance
// per backend (cpu::k<Op> in ops/cpu/<op>.cc, cuda::k<Op> in ops/cuda/<op>.cu). The backend's
// kernel table (ops/cpu/kernel_table.cc, ops/cuda/kernel_table.cc) lists each instance once, with
// the dtypes it handles. Front-end functions look their kernels up here, so a missing kernel is a
// clear error naming the op, dtype and device, and the conformance harness walks the same table.
#ifndef NB360_OPS_REGISTRY_H_
#define NB360_OPS_REGISTRY_H_

#include <string_view>
#include <vector>

#include "engine/tensor.h"

namespace nb360 {

enum class OpKind {
  kUnary,
  kBinary,
  kWhere,
  kReduce,
  kSoftmax,
  kMatmul,
  kCat,
  kPad,
  kIndexSelect,
  kGather,
  kConv2d,
  kPool2d,
  kAdaptiveAvgPool2d,
  kBatchNorm,
  kLayerNorm,
  kInterpolate,
  kFft2,
  kSpectralConv2d,
  kWeightedSum,
  kCount,
};

std::string_view OpKindName(OpKind op);

struct KernelEntry {
  OpKind op;
  DeviceType device;
  DTypeSet dtypes;
  const void* kernels;  // points at the op's typed kernel struct
};

// Every registered entry, all backends.
const std::vector<KernelEntry>& KernelTable();

bool Supports(OpKind op, DType dtype, DeviceType device);

// The kernels for (op, dtype, device); throws nb360::Error naming all three if there are none.
const void* FindKernels(OpKind op, DType dtype, Device device);

template <class K>
const K& GetKernels(OpKind op, const Tensor& like) {
  return *static_cast<const K*>(FindKernels(op, like.dtype(), like.device()));
}

// Adds kernel entries at run time (a backend started after the static tables were built, e.g. the
// host-memory stand-in device of tests/engine/host_device). They are consulted after the static
// tables. Call before ops run, not concurrently with them.
void RegisterKernels(const std::vector<KernelEntry>& entries);

// Backend tables (defined by each backend library).
namespace cpu {
const std::vector<KernelEntry>& KernelTable();
}

}  // namespace nb360

#endif  // NB360_OPS_REGISTRY_H_
