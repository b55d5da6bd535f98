// Conv benchmarks at the task shapes, float32, on the machine's 2 threads: WRN-16-4 convolutions at
// batch 128 on 32x32 inputs, DARTS-space depthwise / dilated depthwise / pointwise convolutions at
// batch 64 (C = 16, 32, 64; stride 2 for two reduction-cell variants) and an ECG-style Conv1d (k = 8, length
// 1000). Each case runs forward only and forward + backward; FLOPS counts 2 multiply-adds per weight tap and
// output element (three convolutions' worth for forward + backward, two when the input needs no gradient).
// Compare with benchmarks/ops/torch_conv.py (same case names). On a shared machine, run with
// --benchmark_repetitions=5 and read the _min rows (torch_conv.py reports the same statistic).
// In --config=cuda builds on a machine with a GPU every case is registered again as <name>_CUDA
// (inputs moved to the device, a device synchronisation ending every iteration, the
// --benchmark_min_time flag's run length); those also count "bytes/s": every tensor the call
// reads or writes (x, w, b, y; with backward also gy and the gradients), once each.
// Compare with torch_conv.py --device=cuda.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "benchmarks/ops/bench_device.h"
#include "engine/autograd.h"
#include "engine/rng.h"
#include "engine/precision.h"
#include "ops/conv.h"

namespace nb360 {
namespace {

struct ConvCase {
  std::string name;
  int64_t n, c, h, w, o, k_h, k_w;
  Conv2dParams p;
  bool input_grad;  // false for the stem: images need no gradient
  bool bias;
  bool conv1d;  // run as Conv1d on (N, C, W) (h must be 1)
};

Conv2dParams Params(int64_t stride, int64_t pad, int64_t dilation, int64_t groups) {
  return Conv2dParams{stride, stride, pad, pad, dilation, dilation, groups};
}

std::vector<ConvCase> Cases() {
  std::vector<ConvCase> cases = {
      {"WRN_Stem_3to16", 128, 3, 32, 32, 16, 3, 3, Params(1, 1, 1, 1), false, false, false},
      {"WRN_64x32x32", 128, 64, 32, 32, 64, 3, 3, Params(1, 1, 1, 1), true, false, false},
      {"WRN_128x16x16", 128, 128, 16, 16, 128, 3, 3, Params(1, 1, 1, 1), true, false, false},
      {"WRN_64to128_Stride2", 128, 64, 32, 32, 128, 3, 3, Params(2, 1, 1, 1), true, false, false},
      {"WRN_256x8x8", 128, 256, 8, 8, 256, 3, 3, Params(1, 1, 1, 1), true, false, false},
      {"WRN_Shortcut1x1_64to128_Stride2", 128, 64, 32, 32, 128, 1, 1, Params(2, 0, 1, 1), true, false, false},
  };
  for (int64_t c : {16, 32, 64}) {
    const std::string s = "_C" + std::to_string(c);
    cases.push_back(
        {"DARTS_Depthwise3x3" + s, 64, c, 32, 32, c, 3, 3, Params(1, 1, 1, c), true, false, false});
    cases.push_back(
        {"DARTS_Depthwise5x5" + s, 64, c, 32, 32, c, 5, 5, Params(1, 2, 1, c), true, false, false});
    cases.push_back({"DARTS_Dilated3x3" + s, 64, c, 32, 32, c, 3, 3, Params(1, 2, 2, c), true, false, false});
    cases.push_back({"DARTS_Dilated5x5" + s, 64, c, 32, 32, c, 5, 5, Params(1, 4, 2, c), true, false, false});
    cases.push_back(
        {"DARTS_Pointwise1x1" + s, 64, c, 32, 32, c, 1, 1, Params(1, 0, 1, 1), true, false, false});
  }
  // Reduction-cell variants (stride 2), one width.
  cases.push_back(
      {"DARTS_Depthwise3x3_Stride2_C32", 64, 32, 32, 32, 32, 3, 3, Params(2, 1, 1, 32), true, false, false});
  cases.push_back(
      {"DARTS_Dilated3x3_Stride2_C32", 64, 32, 32, 32, 32, 3, 3, Params(2, 2, 2, 32), true, false, false});
  cases.push_back({"Conv1d_ECG_k8_L1000", 32, 64, 1, 1000, 64, 1, 8, Params(1, 4, 1, 1), true, true, true});
  return cases;
}

Tensor Random(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Uniform(t, -0.1, 0.1);
  return t;
}

Tensor Run(const ConvCase& k, const Tensor& x, const Tensor& w, const Tensor& b) {
  if (k.conv1d) return Conv1d(x, w, b, Conv1dParams{k.p.stride_w, k.p.pad_w, k.p.dilation_w, k.p.groups});
  return Conv2d(x, w, b, k.p);
}

double ForwardFlops(const ConvCase& k) {
  const int64_t oh = ConvOutputSize(k.h, k.k_h, k.p.stride_h, k.p.pad_h, k.p.dilation_h);
  const int64_t ow = ConvOutputSize(k.w, k.k_w, k.p.stride_w, k.p.pad_w, k.p.dilation_w);
  return 2.0 * k.n * k.o * oh * ow * (k.c / k.p.groups) * k.k_h * k.k_w;
}

// The math a GPU case runs in: float32 (TF32 off), TF32 tensor cores, or bf16 autocast
// (engine/precision.h); the CPU cases are float32.
enum class Math { kFloat32, kTf32, kBf16 };

void RunCase(benchmark::State& state, const ConvCase& k, bool backward, Device device, Math math = Math::kFloat32) {
  SetAllowTf32(math == Math::kTf32);
  const AutocastScope autocast(math == Math::kBf16 ? MathPrecision::kBFloat16 : MathPrecision::kFloat32);
  const Shape xs = k.conv1d ? Shape{k.n, k.c, k.w} : Shape{k.n, k.c, k.h, k.w};
  const Shape ws =
      k.conv1d ? Shape{k.o, k.c / k.p.groups, k.k_w} : Shape{k.o, k.c / k.p.groups, k.k_h, k.k_w};
  Tensor x = Random(xs, 1).To(device), w = Random(ws, 2).To(device),
         b = k.bias ? Random({k.o}, 3).To(device) : Tensor();
  if (backward) {
    x.set_requires_grad(k.input_grad);
    w.set_requires_grad(true);
    if (b.defined()) b.set_requires_grad(true);
  }
  const int64_t oh = ConvOutputSize(k.h, k.k_h, k.p.stride_h, k.p.pad_h, k.p.dilation_h);
  const int64_t ow = ConvOutputSize(k.w, k.k_w, k.p.stride_w, k.p.pad_w, k.p.dilation_w);
  const Shape ys = k.conv1d ? Shape{k.n, k.o, ow} : Shape{k.n, k.o, oh, ow};
  const Tensor gy = backward ? Random(ys, 4).To(device) : Tensor();
  for (auto _ : state) {
    Tensor y = Run(k, x, w, b);
    if (backward) {
      y.Backward(gy);
      x.ZeroGrad();
      w.ZeroGrad();
      if (b.defined()) b.ZeroGrad();
    }
    benchmark::DoNotOptimize(y.raw_data());
    bench::SyncDevice(device);
  }
  const double passes = backward ? (k.input_grad ? 3.0 : 2.0) : 1.0;
  state.counters["FLOPS"] =
      benchmark::Counter(passes * ForwardFlops(k), benchmark::Counter::kIsIterationInvariantRate);
  if (!device.is_cpu()) {
    const double y_bytes = static_cast<double>(k.n) * k.o * oh * ow * sizeof(float);
    double bytes = bench::TensorBytes({x, w, b}) + y_bytes;
    if (backward) bytes += y_bytes + bench::TensorBytes({w, b}) + (k.input_grad ? bench::TensorBytes({x}) : 0.0);
    bench::SetBytesPerSecond(state, bytes);
  }
  SetAllowTf32(false);
}

// Registers BM_Conv_<case>_Forward and BM_Conv_<case>_ForwardBackward for every case (and the same
// names + "_CUDA" where a GPU runs).
const bool kRegistered = [] {
  for (const auto& [suffix, device] : bench::BenchDevices()) {
    for (const ConvCase& k : Cases()) {
      for (bool backward : {false, true}) {
        const std::string name = "BM_Conv_" + k.name + (backward ? "_ForwardBackward" : "_Forward") + suffix;
        const Device d = device;
        auto* b = benchmark::RegisterBenchmark(name.c_str(), [k, backward, d](benchmark::State& s) {
          bench::RunGuarded(s, [&] { RunCase(s, k, backward, d); });
        });
        b->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->ComputeStatistics(
                "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
        if (d.is_cpu()) b->MinTime(0.5);
        // The dense WRN convolutions again with the tensor-core fast paths: <name>_CUDA_TF32, _CUDA_BF16.
        if (d.is_cpu() || k.name.rfind("WRN_", 0) != 0) continue;
        for (const auto& [tag, math] : {std::pair{"_TF32", Math::kTf32}, std::pair{"_BF16", Math::kBf16}}) {
          const Math m = math;
          benchmark::RegisterBenchmark((name + tag).c_str(),
                                       [k, backward, d, m](benchmark::State& s) {
                                         bench::RunGuarded(s, [&] { RunCase(s, k, backward, d, m); });
                                       })
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime()
              ->ComputeStatistics("min", [](const std::vector<double>& v) {
                return *std::min_element(v.begin(), v.end());
              });
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
