// ops/cuda/kernel_table.cc: the CUDA backend's kernel table. Empty until the CUDA backend lands:
// every op reports Supports(op, dtype, kCUDA) == false and fails with a clear message.
#include "ops/registry.h"

namespace nb360 {
namespace cuda {

const std::vector<KernelEntry>& KernelTable() {
  static const std::vector<KernelEntry> table = {};
  return table;
}

}  // namespace cuda
}  // namespace nb360
