// fft family at the FNO's Darcy-flow shapes (baselines.md 5.5): batch 20, width 32, 94x94 padded
// grid, modes 12x12, float32, 2 threads (OMP_NUM_THREADS overrides). Compare with
// benchmarks/ops/torch_fft.py.
// FLOPS use the nominal 2.5 N log2(N) per real 2-D transform of N points (plus 8 flops per complex
// multiply-add of the mode mixing), whatever work the kernels actually do.
#include <cmath>
#include <cstdlib>

#include <benchmark/benchmark.h>

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

void BM_Rfft2_Fno(benchmark::State& state) {
  UseBenchmarkThreads();
  const Tensor x = Random({kBatch, kWidth, kGrid, kGrid}, 1);
  Rfft2(x);  // plans FFTW outside the timed loop
  for (auto _ : state) {
    Tensor y = Rfft2(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(kBatch * kWidth),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Rfft2_Fno)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Irfft2_Fno(benchmark::State& state) {
  UseBenchmarkThreads();
  const Tensor X = Random({kBatch, kWidth, kGrid, kGrid / 2 + 1, 2}, 2);
  Irfft2(X, kGrid, kGrid);
  for (auto _ : state) {
    Tensor y = Irfft2(X, kGrid, kGrid);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(kBatch * kWidth),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Irfft2_Fno)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SpectralConv2d_Fno_Forward(benchmark::State& state) {
  UseBenchmarkThreads();
  const Tensor x = Random({kBatch, kWidth, kGrid, kGrid}, 3);
  const Tensor w1 = Random({kWidth, kWidth, kModes, kModes, 2}, 4, 1.0 / (kWidth * kWidth));
  const Tensor w2 = Random({kWidth, kWidth, kModes, kModes, 2}, 5, 1.0 / (kWidth * kWidth));
  SpectralConv2d(x, w1, w2, kModes, kModes);
  for (auto _ : state) {
    Tensor y = SpectralConv2d(x, w1, w2, kModes, kModes);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(2 * kBatch * kWidth) + MixFlops(),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SpectralConv2d_Fno_Forward)->Unit(benchmark::kMillisecond)->UseRealTime();

// Forward, then backward with gradients for x, w1 and w2 (grads reset every iteration).
void BM_SpectralConv2d_Fno_ForwardBackward(benchmark::State& state) {
  UseBenchmarkThreads();
  Tensor x = Random({kBatch, kWidth, kGrid, kGrid}, 3);
  Tensor w1 = Random({kWidth, kWidth, kModes, kModes, 2}, 4, 1.0 / (kWidth * kWidth));
  Tensor w2 = Random({kWidth, kWidth, kModes, kModes, 2}, 5, 1.0 / (kWidth * kWidth));
  for (Tensor* t : {&x, &w1, &w2}) t->set_requires_grad(true);
  const Tensor g = Random({kBatch, kWidth, kGrid, kGrid}, 6);
  for (auto _ : state) {
    for (Tensor* t : {&x, &w1, &w2}) t->ZeroGrad();
    Tensor y = SpectralConv2d(x, w1, w2, kModes, kModes);
    y.Backward(g);
    benchmark::DoNotOptimize(x.grad().raw_data());
  }
  state.counters["FLOPS"] = benchmark::Counter(TransformFlops(4 * kBatch * kWidth) + 3 * MixFlops(),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SpectralConv2d_Fno_ForwardBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace nb360
