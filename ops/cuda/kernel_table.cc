// ops/cuda/kernel_table.cc: the CUDA backend's kernel table, one line per op family (the dtypes as
// the CPU table's), and the device reduction the engine's SumToShape uses (engine/reduce_kernel.h).
#include "engine/reduce_kernel.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/fft.h"
#include "ops/interpolate.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/pool.h"
#include "ops/reduce.h"
#include "ops/registry.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"
#include "ops/weighted_sum.h"

namespace nb360 {
namespace cuda {

const std::vector<KernelEntry>& KernelTable() {
  static const std::vector<KernelEntry> table = {
      {OpKind::kUnary, DeviceType::kCUDA, kFloatingTypes, &kUnary},
      {OpKind::kBinary, DeviceType::kCUDA, kAllTypes, &kBinary},
      {OpKind::kWhere, DeviceType::kCUDA, kAllTypes, &kWhere},
      {OpKind::kReduce, DeviceType::kCUDA, kAllTypes, &kReduce},
      {OpKind::kSoftmax, DeviceType::kCUDA, kFloatingTypes, &kSoftmax},
      {OpKind::kMatmul, DeviceType::kCUDA, kFloatingTypes, &kMatmul},
      {OpKind::kCat, DeviceType::kCUDA, kAllTypes, &kCopy},
      {OpKind::kPad, DeviceType::kCUDA, kAllTypes, &kCopy},
      {OpKind::kIndexSelect, DeviceType::kCUDA, kAllTypes, &kIndexSelect},
      {OpKind::kGather, DeviceType::kCUDA, kAllTypes, &kGather},
      {OpKind::kConv2d, DeviceType::kCUDA, kFloatingTypes, &kConv2d},
      {OpKind::kPool2d, DeviceType::kCUDA, kFloatingTypes, &kPool2d},
      {OpKind::kAdaptiveAvgPool2d, DeviceType::kCUDA, kFloatingTypes, &kAdaptiveAvgPool2d},
      {OpKind::kBatchNorm, DeviceType::kCUDA, kFloatingTypes, &kBatchNorm},
      {OpKind::kLayerNorm, DeviceType::kCUDA, kFloatingTypes, &kLayerNorm},
      {OpKind::kInterpolate, DeviceType::kCUDA, kFloatingTypes, &kInterpolate},
      {OpKind::kFft2, DeviceType::kCUDA, kFloatingTypes, &kFft2},
      {OpKind::kSpectralConv2d, DeviceType::kCUDA, kFloatingTypes, &kSpectralConv2d},
      {OpKind::kWeightedSum, DeviceType::kCUDA, kFloatingTypes, &kWeightedSum},
  };
  return table;
}

namespace {

// SumToShape (autograd's broadcast reductions) runs in the engine core, which sees no op table.
const bool kDeviceReduceRegistered = [] {
  SetDeviceReduceKernel(DeviceType::kCUDA, kReduce.forward);
  return true;
}();

}  // namespace
}  // namespace cuda
}  // namespace nb360
