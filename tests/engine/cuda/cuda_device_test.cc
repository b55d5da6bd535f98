// CUDA smoke test: libraries load, and on a machine with a GPU the allocator round-trips a tensor.
// Skips (not fails) where there is no driver or device, as on CI.
#include <gtest/gtest.h>

#include "engine/cuda/cuda_device.h"
#include "engine/tensor.h"
#include "ops/registry.h"

namespace nb360 {
namespace {

TEST(Cuda, LibrariesReportVersions) {
  absl::StatusOr<CudaDeviceInfo> info = QueryCudaDevice();
  if (!info.ok()) GTEST_SKIP() << "no usable GPU: " << info.status();
  EXPECT_GT(info->runtime_version, 0);
  EXPECT_GT(info->cudnn_version, 0);
  EXPECT_GT(info->total_memory, 0u);
}

TEST(Cuda, AllocatesDeviceTensors) {
  if (!InitCudaBackend().ok()) GTEST_SKIP() << "no usable GPU";
  Tensor t = Tensor::Empty({1024}, DType::kFloat32, Device::CUDA());
  EXPECT_EQ(t.device(), Device::CUDA());
  EXPECT_NE(t.raw_data(), nullptr);
}

TEST(Cuda, UnsupportedOpsSayso) {
  EXPECT_FALSE(Supports(OpKind::kConv2d, DType::kFloat32, DeviceType::kCUDA));
}

}  // namespace
}  // namespace nb360
