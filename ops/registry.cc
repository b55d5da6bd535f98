#include "ops/registry.h"

namespace nb360 {

#ifdef NB360_WITH_CUDA
namespace cuda {
const std::vector<KernelEntry>& KernelTable();
}
#endif

std::string_view OpKindName(OpKind op) {
  switch (op) {
    case OpKind::kUnary: return "unary";
    case OpKind::kBinary: return "binary";
    case OpKind::kWhere: return "where";
    case OpKind::kReduce: return "reduce";
    case OpKind::kSoftmax: return "softmax";
    case OpKind::kMatmul: return "matmul";
    case OpKind::kCat: return "cat";
    case OpKind::kPad: return "pad";
    case OpKind::kIndexSelect: return "index_select";
    case OpKind::kGather: return "gather";
    case OpKind::kConv2d: return "conv2d";
    case OpKind::kPool2d: return "pool2d";
    case OpKind::kAdaptiveAvgPool2d: return "adaptive_avg_pool2d";
    case OpKind::kBatchNorm: return "batch_norm";
    case OpKind::kLayerNorm: return "layer_norm";
    case OpKind::kInterpolate: return "interpolate";
    case OpKind::kFft2: return "fft2";
    case OpKind::kSpectralConv2d: return "spectral_conv2d";
    case OpKind::kWeightedSum: return "weighted_sum";
    case OpKind::kCount: break;
  }
  return "?";
}

const std::vector<KernelEntry>& KernelTable() {
  static const std::vector<KernelEntry>* table = [] {
    auto* t = new std::vector<KernelEntry>(cpu::KernelTable());
#ifdef NB360_WITH_CUDA
    const auto& c = cuda::KernelTable();
    t->insert(t->end(), c.begin(), c.end());
#endif
    return t;
  }();
  return *table;
}

static std::vector<KernelEntry>& Added() {
  static auto* added = new std::vector<KernelEntry>();
  return *added;
}

void RegisterKernels(const std::vector<KernelEntry>& entries) {
  Added().insert(Added().end(), entries.begin(), entries.end());
}

static const KernelEntry* Find(OpKind op, DType dtype, DeviceType device) {
  const std::vector<KernelEntry>* tables[] = {&KernelTable(), &Added()};
  for (const std::vector<KernelEntry>* table : tables) {
    for (const KernelEntry& e : *table) {
      if (e.op == op && e.device == device && e.dtypes.Contains(dtype)) return &e;
    }
  }
  return nullptr;
}

bool Supports(OpKind op, DType dtype, DeviceType device) { return Find(op, dtype, device) != nullptr; }

const void* FindKernels(OpKind op, DType dtype, Device device) {
  const KernelEntry* e = Find(op, dtype, device.type);
  NB_CHECK(e != nullptr, "op ", OpKindName(op), " has no kernel for dtype ", DTypeName(dtype),
           " on device ", device.ToString());
  return e->kernels;
}

}  // namespace nb360
