// ops/cpu/kernel_table.cc: the CPU backend's kernel table, one line per op family.
// conv-include
#include "ops/elementwise.h"
// pool-include
// norm-include
// fft-include
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/registry.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"

namespace nb360 {
namespace cpu {

const std::vector<KernelEntry>& KernelTable() {
  static const std::vector<KernelEntry> table = {
      {OpKind::kUnary, DeviceType::kCPU, kFloatingTypes, &kUnary},
      {OpKind::kBinary, DeviceType::kCPU, kAllTypes, &kBinary},
      {OpKind::kWhere, DeviceType::kCPU, kAllTypes, &kWhere},
      {OpKind::kReduce, DeviceType::kCPU, kAllTypes, &kReduce},
      {OpKind::kSoftmax, DeviceType::kCPU, kFloatingTypes, &kSoftmax},
      {OpKind::kMatmul, DeviceType::kCPU, kFloatingTypes, &kMatmul},
      {OpKind::kCat, DeviceType::kCPU, kAllTypes, &kCopy},
      {OpKind::kPad, DeviceType::kCPU, kAllTypes, &kCopy},
      {OpKind::kIndexSelect, DeviceType::kCPU, kAllTypes, &kIndexSelect},
      {OpKind::kGather, DeviceType::kCPU, kAllTypes, &kGather},
      // conv
      // pool
      // norm
      // interpolate
      // fft
  };
  return table;
}

}  // namespace cpu
}  // namespace nb360
