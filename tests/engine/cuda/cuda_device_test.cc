// CUDA backend runtime tests: device query, copies between host and device (strided, casting),
// fills, To(Device) with autograd, the caching allocator's steady state, Module::To, and the fused
// SGD/Adam steps against the CPU optimizers. Every test skips (not fails) where there is no driver
// or device, as on CI; with --config=cuda on a GPU machine they all run (benchmarks/gpu/check.sh).
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "engine/autograd.h"
#include "engine/cuda/cuda_allocator.h"
#include "engine/cuda/cuda_device.h"
#include "engine/nn/nn.h"
#include "engine/optim/optim.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

bool HaveGpu() { return InitCudaBackend().ok(); }

Tensor Random(const Shape& shape, uint64_t seed, DType dt = DType::kFloat32) {
  Tensor t = Tensor::Empty(shape, dt);
  Generator(seed).Normal(t, 0.0, 1.0);
  return t;
}

TEST(Cuda, LibrariesReportVersions) {
  absl::StatusOr<CudaDeviceInfo> info = QueryCudaDevice();
  if (!info.ok()) GTEST_SKIP() << "no usable GPU: " << info.status();
  EXPECT_GT(info->runtime_version, 0);
  EXPECT_GT(info->cudnn_version, 0);
  EXPECT_GT(info->total_memory, 0u);
  std::cout << "device 0: " << info->name << ", sm_" << info->compute_major << info->compute_minor << "\n";
}

TEST(Cuda, NoDeviceIsAClearError) {
  if (HaveGpu()) GTEST_SKIP() << "a GPU is present";
  const absl::Status s = InitCudaBackend();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("cuda"), std::string::npos) << s;
}

TEST(Cuda, DeviceSelectionIsCheckedAndOnePerProcess) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";  // started on cuda:0
  const absl::Status missing = InitCudaBackend(99);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.ToString().find("99"), std::string::npos) << missing;
  EXPECT_TRUE(InitCudaBackend(0).ok());  // idempotent
  absl::StatusOr<CudaDeviceInfo> info = QueryCudaDevice(0);
  ASSERT_TRUE(info.ok());
  if (info->device_count > 1) {
    const absl::Status other = InitCudaBackend(1);
    EXPECT_FALSE(other.ok());
    EXPECT_NE(other.ToString().find("one GPU per process"), std::string::npos) << other;
  }
}

TEST(Cuda, CopiesRoundTripWithStridesAndCasts) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  const Tensor x = Random({3, 4, 5}, 1, DType::kFloat64);
  const Tensor d = x.To(Device::CUDA());
  EXPECT_EQ(d.device(), Device::CUDA());
  EXPECT_EQ(d.ToVector<double>(), x.ToVector<double>());
  // Strided source on the host, strided destination on the device, dtype conversion on the device.
  const Tensor xt = x.Transpose(0, 2);
  const Tensor dt = xt.To(Device::CUDA());
  EXPECT_EQ(dt.ToVector<double>(), xt.ToVector<double>());
  const Tensor f = d.To(DType::kFloat32);
  EXPECT_EQ(f.device(), Device::CUDA());
  EXPECT_EQ(f.ToVector<float>(), x.To(DType::kFloat32).ToVector<float>());
  Tensor z = Tensor::Zeros({4, 6}, DType::kFloat32, Device::CUDA());
  z.Narrow(1, 1, 3).Fill(2.5);
  const std::vector<float> v = z.ToVector<float>();
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(v[i * 6 + j], (j >= 1 && j < 4) ? 2.5f : 0.0f);
  }
  EXPECT_DOUBLE_EQ(d.Select(0, 1).Select(0, 2).Select(0, 3).item(), x.Select(0, 1).Select(0, 2).Select(0, 3).item());
}

TEST(Cuda, ToDeviceIsDifferentiable) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  Tensor x = Random({8}, 2);
  x.set_requires_grad(true);
  const Tensor y = x.To(Device::CUDA()).To(Device::CPU());
  Sum(Mul(y, 3.0)).Backward();
  for (float g : x.grad().ToVector<float>()) EXPECT_EQ(g, 3.0f);
}

TEST(Cuda, AllocatorReusesBlocksInSteadyState) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  for (int i = 0; i < 3; ++i) Tensor::Empty({1 << 20}, DType::kFloat32, Device::CUDA());
  const int64_t mallocs = cuda::MemoryStats().device_mallocs;
  for (int i = 0; i < 10; ++i) {
    Tensor a = Tensor::Empty({1 << 20}, DType::kFloat32, Device::CUDA());
    Tensor b = Tensor::Empty({333}, DType::kFloat32, Device::CUDA());
  }
  EXPECT_LE(cuda::MemoryStats().device_mallocs, mallocs + 1);
}

TEST(Cuda, ModuleMovesInPlace) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  Generator gen(3);
  nn::Linear lin(4, 3, gen);
  const Tensor w = lin.weight();
  const std::vector<float> before = w.ToVector<float>();
  lin.To(Device::CUDA());
  EXPECT_EQ(w.device(), Device::CUDA());  // the same handle sees the move
  EXPECT_EQ(w.ToVector<float>(), before);
  lin.To(Device::CPU());
  EXPECT_EQ(w.ToVector<float>(), before);
}

// A step of each optimizer on the device equals the CPU step (same arithmetic, no contraction).
void ExpectSameStep(const std::function<std::unique_ptr<optim::Optimizer>(const std::vector<Tensor>&)>& make) {
  std::vector<Tensor> cpu, gpu;
  for (int i = 0; i < 40; ++i) {  // more than one launch (32 per launch)
    Tensor p = Random({7 + i}, 10 + i);
    cpu.push_back(p.Clone().Detach().set_requires_grad(true));
    gpu.push_back(p.To(Device::CUDA()).Detach().set_requires_grad(true));
  }
  auto o_cpu = make(cpu), o_gpu = make(gpu);
  for (int step = 0; step < 3; ++step) {
    for (size_t i = 0; i < cpu.size(); ++i) {
      const Tensor g = Random(cpu[i].shape(), 100 + step * 50 + i);
      cpu[i].set_grad(g);
      gpu[i].set_grad(g.To(Device::CUDA()));
    }
    o_cpu->Step();
    o_gpu->Step();
  }
  for (size_t i = 0; i < cpu.size(); ++i) EXPECT_EQ(gpu[i].ToVector<float>(), cpu[i].ToVector<float>()) << i;
}

TEST(Cuda, FusedSgdMatchesCpu) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  ExpectSameStep([](const std::vector<Tensor>& p) {
    optim::SGDOptions o;
    o.lr = 0.1;
    o.momentum = 0.9;
    o.nesterov = true;
    o.weight_decay = 5e-4;
    return std::make_unique<optim::SGD>(p, o);
  });
}

TEST(Cuda, FusedAdamWMatchesCpu) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  ExpectSameStep([](const std::vector<Tensor>& p) {
    optim::AdamWOptions o;
    o.lr = 1e-3;
    o.weight_decay = 0.01;
    return std::make_unique<optim::AdamW>(p, o);
  });
}

TEST(Cuda, RandomDrawsAndDropoutMatchCpuBitwise) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    Generator cpu_gen(42, 1000), gpu_gen(42, 1000);
    const Tensor a = Tensor::Empty({3, 1001}, dt);
    const Tensor b = Tensor::Empty({3, 1001}, dt, Device::CUDA());
    cpu_gen.Bernoulli(a, 0.3);
    gpu_gen.Bernoulli(b, 0.3);
    EXPECT_EQ(b.To(Device::CPU()).To(DType::kFloat64).ToVector<double>(), a.To(DType::kFloat64).ToVector<double>());
    EXPECT_EQ(cpu_gen.offset(), gpu_gen.offset());
  }
  Generator cpu_gen(7), gpu_gen(7);
  const Tensor x = Random({4, 33, 5}, 3);
  const Tensor yc = Dropout(x, 0.25, true, cpu_gen);
  const Tensor yg = Dropout(x.To(Device::CUDA()), 0.25, true, gpu_gen);
  EXPECT_EQ(yg.To(Device::CPU()).ToVector<float>(), yc.ToVector<float>());
}

}  // namespace
}  // namespace nb360
