// ops/cpu/kernel_table.cc: the CPU backend's kernel table, one line per op family.
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "ops/interpolate.h"
#include "ops/norm.h"
#include "ops/fft.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/registry.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"
#include "ops/weighted_sum.h"

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
      {OpKind::kConv2d, DeviceType::kCPU, kFloatingTypes, &kConv2d},
      {OpKind::kPool2d, DeviceType::kCPU, kFloatingTypes, &kPool2d},
      {OpKind::kAdaptiveAvgPool2d, DeviceType::kCPU, kFloatingTypes, &kAdaptiveAvgPool2d},
      {OpKind::kBatchNorm, DeviceType::kCPU, kFloatingTypes, &kBatchNorm},
      {OpKind::kLayerNorm, DeviceType::kCPU, kFloatingTypes, &kLayerNorm},
      {OpKind::kInterpolate, DeviceType::kCPU, kFloatingTypes, &kInterpolate},
      {OpKind::kFft2, DeviceType::kCPU, kFloatingTypes, &kFft2},
      {OpKind::kSpectralConv2d, DeviceType::kCPU, kFloatingTypes, &kSpectralConv2d},
      {OpKind::kWeightedSum, DeviceType::kCPU, kFloatingTypes, &kWeightedSum},
  };
  return table;
}

}  // namespace cpu
}  // namespace nb360
