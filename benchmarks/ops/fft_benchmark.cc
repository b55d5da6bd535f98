// fft family at the FNO's Darcy-flow shapes (baselines.md 5.5): batch 20, width 32, 94x94 padded
// grid, modes 12x12, float32, 2 threads (OMP_NUM_THREADS overrides). Compare with
// benchmarks/ops/torch_fft.py.
// FLOPS use the nominal 2.5 N log2(N) per real 2-D transform of N points (plus 8 flops per complex
// multiply-add of the mode mixing), whatever work the kernels actually do.
// In --config=cuda builds on a machine with a GPU every case is registered again as <name>_CUDA
// (inputs moved to the device, a device synchronisation ending every iteration, the
// --benchmark_min_time flag's run length), also counting "bytes/s": every tensor the call reads or
// writes (inputs, weights, output; with backward also the incoming gradient and the gradients), once
// each. Compare with torch_fft.py --device=cuda.
#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/ops/bench_device.h"
#include "engine/autograd.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "ops/fft.h"

namespace nb360 {
namespace {

constexpr int64_t kBatch = 20, kWidth = 32, kGrid = 94, kModes = 12;

void UseBenchmarkThreads() { SetNumThreads(std::getenv("OMP_NUM_THREADS") ? NumThreads() : 2); }

Tensor Random(const Shape& shape, uint64_t seed, double scale = 1.0) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t, 0.0, scale);
  return t;
}

double TransformFlops(int64_t images) {
  const double n = kGrid * kGrid;
  return images * 2.5 * n * std::log2(n);
}

double MixFlops() { return 8.0 * kBatch * kWidth * kWidth * 2 * kModes * kModes; }

void BM_Rfft2_Fno(benchmark::State& state, Device device) {
  UseBenchmarkThreads();
  const Tensor x = Random({kBatch, kWidth, kGrid, kGrid}, 1).To(device);
  Rfft2(x);  // plans FFTW (cuFFT) outside the timed loop
  for (auto _ : state) {
    Tensor y = Rfft2(x);
    benchmark::DoNotOptimize(y.raw_data());
    bench::SyncDevice(device);
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(kBatch * kWidth),
                                               benchmark::Counter::kIsIterationInvariantRate);
  // x read, the (kGrid, kGrid / 2 + 1) complex spectrum written.
  if (!device.is_cpu()) {
    bench::SetBytesPerSecond(state, bench::TensorBytes({x}) * (1 + (kGrid / 2 + 1) * 2.0 / kGrid));
  }
}

void BM_Irfft2_Fno(benchmark::State& state, Device device) {
  UseBenchmarkThreads();
  const Tensor X = Random({kBatch, kWidth, kGrid, kGrid / 2 + 1, 2}, 2).To(device);
  Irfft2(X, kGrid, kGrid);
  for (auto _ : state) {
    Tensor y = Irfft2(X, kGrid, kGrid);
    benchmark::DoNotOptimize(y.raw_data());
    bench::SyncDevice(device);
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(kBatch * kWidth),
                                               benchmark::Counter::kIsIterationInvariantRate);
  // The spectrum read, the (kGrid, kGrid) float32 images written.
  if (!device.is_cpu()) {
    bench::SetBytesPerSecond(state, bench::TensorBytes({X}) + 4.0 * kBatch * kWidth * kGrid * kGrid);
  }
}

void BM_SpectralConv2d_Fno_Forward(benchmark::State& state, Device device) {
  UseBenchmarkThreads();
  const Tensor x = Random({kBatch, kWidth, kGrid, kGrid}, 3).To(device);
  const Tensor w1 = Random({kWidth, kWidth, kModes, kModes, 2}, 4, 1.0 / (kWidth * kWidth)).To(device);
  const Tensor w2 = Random({kWidth, kWidth, kModes, kModes, 2}, 5, 1.0 / (kWidth * kWidth)).To(device);
  SpectralConv2d(x, w1, w2, kModes, kModes);
  for (auto _ : state) {
    Tensor y = SpectralConv2d(x, w1, w2, kModes, kModes);
    benchmark::DoNotOptimize(y.raw_data());
    bench::SyncDevice(device);
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(2 * kBatch * kWidth) + MixFlops(),
                                               benchmark::Counter::kIsIterationInvariantRate);
  // x, w1, w2 read, y (x's size) written.
  if (!device.is_cpu()) bench::SetBytesPerSecond(state, bench::TensorBytes({x, x, w1, w2}));
}

// Forward, then backward with gradients for x, w1 and w2 (grads reset every iteration).
void BM_SpectralConv2d_Fno_ForwardBackward(benchmark::State& state, Device device) {
  UseBenchmarkThreads();
  Tensor x = Random({kBatch, kWidth, kGrid, kGrid}, 3).To(device);
  Tensor w1 = Random({kWidth, kWidth, kModes, kModes, 2}, 4, 1.0 / (kWidth * kWidth)).To(device);
  Tensor w2 = Random({kWidth, kWidth, kModes, kModes, 2}, 5, 1.0 / (kWidth * kWidth)).To(device);
  for (Tensor* t : {&x, &w1, &w2}) t->set_requires_grad(true);
  const Tensor g = Random({kBatch, kWidth, kGrid, kGrid}, 6).To(device);
  for (auto _ : state) {
    for (Tensor* t : {&x, &w1, &w2}) t->ZeroGrad();
    Tensor y = SpectralConv2d(x, w1, w2, kModes, kModes);
    y.Backward(g);
    benchmark::DoNotOptimize(x.grad().raw_data());
    bench::SyncDevice(device);
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(4 * kBatch * kWidth) + 3 * MixFlops(),
                                               benchmark::Counter::kIsIterationInvariantRate);
  // Forward's x, w1, w2, y; g read; the gradients of x, w1, w2 written.
  if (!device.is_cpu()) {
    bench::SetBytesPerSecond(state, 2 * bench::TensorBytes({x, w1, w2}) + 2 * bench::TensorBytes({g}));
  }
}

// Registers every case (and the same names + "_CUDA" where a GPU runs).
const bool kRegistered = [] {
  const std::pair<const char*, void (*)(benchmark::State&, Device)> cases[] = {
      {"BM_Rfft2_Fno", BM_Rfft2_Fno},
      {"BM_Irfft2_Fno", BM_Irfft2_Fno},
      {"BM_SpectralConv2d_Fno_Forward", BM_SpectralConv2d_Fno_Forward},
      {"BM_SpectralConv2d_Fno_ForwardBackward", BM_SpectralConv2d_Fno_ForwardBackward},
  };
  for (const auto& [suffix, device] : bench::BenchDevices()) {
    for (const auto& [name, fn] : cases) {
      const Device d = device;
      auto* f = fn;
      benchmark::RegisterBenchmark((std::string(name) + suffix).c_str(), [f, d](benchmark::State& s) {
        bench::RunGuarded(s, [&] { f(s, d); });
      })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
