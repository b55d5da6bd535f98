// Norm benchmarks, float32, 2 threads: BatchNorm2d in training mode (batch statistics, running
// statistics updated) at the WRN-16-4 shapes (batch 128: 64x32x32, 128x16x16, 256x8x8, affine) and the
// DARTS search shape (64, 16, 32, 32; affine=False, as DARTS's search cells use), BatchNorm1d on
// (32, 64, 1000) and at the ResNet1D ECG shapes (256, 64/128, 1000), alone, followed by ReLU, fused with
// it, and fused on channels-last tensors, and LayerNorm over the last dim of (64, 512, 256) (affine).
// Each case runs forward
// only (no gradients recorded) and forward + backward (gradients for x and the affine parameters).
// Bytes processed count the tensor traffic of the two-pass kernels: forward reads x twice and
// writes y; backward reads x and gy twice and writes gx. Compare with benchmarks/ops/torch_norm.py.
// In --config=cuda builds on a machine with a GPU every case is registered again as <name>_CUDA
// (inputs and running statistics moved to the device, a device synchronisation ending every
// iteration, the --benchmark_min_time flag's run length); those count "bytes/s" minimally instead:
// every tensor the call reads or writes once each (x, y, the affine parameters, the running
// statistics read and written; with backward also gy and the gradients of x and the parameters).
// Compare with torch_norm.py --device=cuda.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "benchmarks/ops/bench_device.h"
#include "engine/autograd.h"
#include "engine/memory_format.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "ops/elementwise.h"
#include "ops/norm.h"

namespace nb360 {
namespace {

struct NormCase {
  std::string name;
  Shape shape;
  bool layer_norm;  // else batch norm (training, with running statistics)
  bool affine;
  bool relu = false;           // BatchNorm followed by ReLU (the WRN / ResNet1D pairing)
  bool fused = false;          // ... as the one BatchNormRelu op
  bool channels_last = false;  // x and gy channels-last (engine/memory_format.h)
};

std::vector<NormCase> Cases() {
  return {
      {"BatchNorm2d_WRN_128x64x32x32", {128, 64, 32, 32}, false, true},
      {"BatchNorm2d_WRN_128x128x16x16", {128, 128, 16, 16}, false, true},
      {"BatchNorm2d_WRN_128x256x8x8", {128, 256, 8, 8}, false, true},
      {"BatchNorm2d_DARTS_64x16x32x32", {64, 16, 32, 32}, false, false},
      {"BatchNorm1d_32x64x1000", {32, 64, 1000}, false, true},
      {"BatchNorm1d_ECG_256x64x1000", {256, 64, 1000}, false, true},
      {"BatchNormRelu1d_ECG_256x64x1000", {256, 64, 1000}, false, true, true},
      {"BatchNormRelu1d_ECG_256x128x1000", {256, 128, 1000}, false, true, true},
      {"BatchNormReluFused1d_ECG_256x128x1000", {256, 128, 1000}, false, true, true, true},
      {"BatchNormReluFused1d_ECG_ChannelsLast_256x128x1000", {256, 128, 1000}, false, true, true, true, true},
      {"LayerNorm_64x512x256", {64, 512, 256}, true, true},
  };
}

Tensor Random(const Shape& shape, uint64_t seed, double mean = 0.0, double stddev = 1.0) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t, mean, stddev);
  return t;
}

void RunCase(benchmark::State& state, const NormCase& k, bool backward, Device device) {
  SetNumThreads(2);
  const int64_t groups = k.layer_norm ? k.shape.back() : k.shape[1];
  Tensor x = Random(k.shape, 1, 0.5, 2.0).To(device);
  if (k.channels_last) x = ToChannelsLast(x);
  Tensor w = k.affine ? Random({groups}, 2, 1.0, 0.1).To(device) : Tensor();
  Tensor b = k.affine ? Random({groups}, 3, 0.0, 0.1).To(device) : Tensor();
  const Tensor rm = Tensor::Zeros({groups}).To(device), rv = Tensor::Ones({groups}).To(device);
  if (backward) {
    x.set_requires_grad(true);
    if (k.affine) {
      w.set_requires_grad(true);
      b.set_requires_grad(true);
    }
  }
  auto run = [&] {
    if (k.layer_norm) return LayerNorm(x, {groups}, w, b);
    if (k.fused) return BatchNormRelu(x, w, b, rm, rv, /*training=*/true);
    Tensor y = BatchNorm(x, w, b, rm, rv, /*training=*/true);
    return k.relu ? Relu(y) : y;
  };
  Tensor gy = Random(k.shape, 4).To(device);
  if (k.channels_last) gy = ToChannelsLast(gy);
  for (auto _ : state) {
    Tensor y = run();
    if (backward) {
      y.Backward(gy);
      x.ZeroGrad();
      if (k.affine) {
        w.ZeroGrad();
        b.ZeroGrad();
      }
    }
    benchmark::DoNotOptimize(y.raw_data());
    bench::SyncDevice(device);
  }
  if (device.is_cpu()) {
    const double bytes = 4.0 * x.numel() * (backward ? 8 : 3);
    state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
  } else {
    const Tensor stats = k.layer_norm ? Tensor() : rm;  // running mean and variance, each read and written
    const double once = bench::TensorBytes({x, x, w, b}) + 4 * bench::TensorBytes({stats});
    bench::SetBytesPerSecond(state, once + (backward ? bench::TensorBytes({gy, x, w, b}) : 0.0));
  }
}

// Registers BM_<case>_Forward and BM_<case>_ForwardBackward for every case (and the same names +
// "_CUDA" where a GPU runs).
const bool kRegistered = [] {
  for (const auto& [suffix, device] : bench::BenchDevices()) {
    for (const NormCase& k : Cases()) {
      for (bool backward : {false, true}) {
        const std::string name = "BM_" + k.name + (backward ? "_ForwardBackward" : "_Forward") + suffix;
        const Device d = device;
        auto* b = benchmark::RegisterBenchmark(name.c_str(), [k, backward, d](benchmark::State& s) {
          bench::RunGuarded(s, [&] { RunCase(s, k, backward, d); });
        });
        b->Unit(benchmark::kMillisecond)->UseRealTime();
        if (d.is_cpu()) b->MinTime(1.0);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
