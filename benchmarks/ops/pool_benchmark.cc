// Pooling benchmarks, float32, 2 threads: the DARTS cells' 3x3 max / average pooling (stride 1 at
// batch 64, C = 16..64, 32x32; stride-2 reduction variants), the global average pool of WRN's last
// block and 1-d max pooling; forward only and forward + backward. benchmarks/ops/torch_pool.py
// times the same cases in PyTorch. Reports bytes processed (input + output, and gradients).
// POOL_BENCH_THREADS=n overrides the thread count (for contention-free single-thread CPU times).
// In --config=cuda builds on a machine with a GPU every case is registered again as <name>_CUDA
// (e.g. BM_MaxPool2d_k3s1p1_N64C16H32/Fwd_CUDA: the input moved to the device, a device
// synchronisation ending every iteration, the --benchmark_min_time flag's run length; the same
// bytes/s count). Compare with torch_pool.py --device=cuda.
#include <cstdlib>
#include <functional>
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/ops/bench_device.h"
#include "engine/autograd.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "ops/pool.h"

namespace nb360 {
namespace {

using PoolFn = std::function<Tensor(const Tensor&)>;

void SetBenchThreads() {
  const char* env = std::getenv("POOL_BENCH_THREADS");
  SetNumThreads(env != nullptr ? std::atoi(env) : 2);
}

Tensor RandomInput(const Shape& shape) {
  Tensor x = Tensor::Empty(shape);
  Generator(1).Normal(x);
  return x;
}

void SetBytes(benchmark::State& state, const Tensor& x, const Tensor& y, bool backward) {
  const double bytes = static_cast<double>(x.numel() + y.numel()) * sizeof(float) * (backward ? 2 : 1);
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

void RunForward(benchmark::State& state, const Shape& shape, const PoolFn& op, Device device) {
  SetBenchThreads();
  const Tensor x = RandomInput(shape).To(device);
  Tensor y;
  for (auto _ : state) {
    y = op(x);
    benchmark::DoNotOptimize(y.raw_data());
    bench::SyncDevice(device);
  }
  SetBytes(state, x, y, false);
}

// x.grad keeps accumulating across iterations, as in torch_pool.py.
void RunForwardBackward(benchmark::State& state, const Shape& shape, const PoolFn& op, Device device) {
  SetBenchThreads();
  Tensor x = RandomInput(shape).To(device);
  x.set_requires_grad(true);
  const Tensor gy = RandomInput(op(x.Detach()).shape()).To(device);
  Tensor y;
  for (auto _ : state) {
    y = op(x);
    y.Backward(gy);
    benchmark::DoNotOptimize(x.grad().raw_data());
    bench::SyncDevice(device);
  }
  SetBytes(state, x, y, true);
}

PoolFn Max2d(int64_t k, int64_t s, int64_t p) {
  return [=](const Tensor& x) { return MaxPool2d(x, k, s, p); };
}
PoolFn Avg2dNoPad(int64_t k, int64_t s, int64_t p) {
  return [=](const Tensor& x) { return AvgPool2d(x, k, s, p, /*count_include_pad=*/false); };
}

struct Case {
  const char* name;
  Shape shape;
  PoolFn op;
};

// Same names, shapes and ops as torch_pool.py.
const Case kCases[] = {
    {"MaxPool2d_k3s1p1_N64C16H32", {64, 16, 32, 32}, Max2d(3, 1, 1)},
    {"MaxPool2d_k3s1p1_N64C32H32", {64, 32, 32, 32}, Max2d(3, 1, 1)},
    {"MaxPool2d_k3s1p1_N64C64H32", {64, 64, 32, 32}, Max2d(3, 1, 1)},
    {"AvgPool2d_k3s1p1_N64C16H32", {64, 16, 32, 32}, Avg2dNoPad(3, 1, 1)},
    {"AvgPool2d_k3s1p1_N64C32H32", {64, 32, 32, 32}, Avg2dNoPad(3, 1, 1)},
    {"AvgPool2d_k3s1p1_N64C64H32", {64, 64, 32, 32}, Avg2dNoPad(3, 1, 1)},
    {"MaxPool2d_k3s2p1_N64C32H32", {64, 32, 32, 32}, Max2d(3, 2, 1)},
    {"MaxPool2d_k3s2p1_N64C64H16", {64, 64, 16, 16}, Max2d(3, 2, 1)},
    {"AvgPool2d_k3s2p1_N64C32H32", {64, 32, 32, 32}, Avg2dNoPad(3, 2, 1)},
    {"AvgPool2d_k3s2p1_N64C64H16", {64, 64, 16, 16}, Avg2dNoPad(3, 2, 1)},
    {"GlobalAvgPool2d_N128C256H8", {128, 256, 8, 8}, [](const Tensor& x) { return GlobalAvgPool2d(x); }},
    {"MaxPool1d_k2s2_N32C64L1000", {32, 64, 1000}, [](const Tensor& x) { return MaxPool1d(x, 2, 2); }},
    {"MaxPool1d_k3s3_N32C64L1000", {32, 64, 1000}, [](const Tensor& x) { return MaxPool1d(x, 3, 3); }},
};

// BM_<name>/Fwd and BM_<name>/FwdBwd for every case (and the same names + "_CUDA" where a GPU runs).
int RegisterAll() {
  for (const auto& [suffix, device] : bench::BenchDevices()) {
    for (const Case& c : kCases) {
      const Device d = device;
      benchmark::RegisterBenchmark((std::string("BM_") + c.name + "/Fwd" + suffix).c_str(),
                                   [c, d](benchmark::State& s) {
                                     bench::RunGuarded(s, [&] { RunForward(s, c.shape, c.op, d); });
                                   })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark((std::string("BM_") + c.name + "/FwdBwd" + suffix).c_str(),
                                   [c, d](benchmark::State& s) {
                                     bench::RunGuarded(s, [&] { RunForwardBackward(s, c.shape, c.op, d); });
                                   })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return 0;
}

const int kRegistered = RegisterAll();

}  // namespace
}  // namespace nb360
