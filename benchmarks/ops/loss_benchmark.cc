// Losses and attention at the task shapes, float32, 2 threads: softmax cross-entropy (CIFAR-100 and
// NinaPro logits), BCE-with-logits (DeepSEA, FSD50K) and scaled dot-product attention (8, 8, 256, 64),
// forward-only and forward + backward. Compare with benchmarks/ops/torch_loss.py (same case names).
// In --config=cuda builds on a machine with a GPU every case is registered again as <name>_CUDA
// (inputs moved to the device, a device synchronisation ending every iteration, real time, the
// --benchmark_min_time flag's run length), counting "bytes/s": every tensor the call reads or writes
// (logits, target, loss; q, k, v, out; with backward also the incoming gradient and the gradients),
// once each. Compare with torch_loss.py --device=cuda.
#include <cmath>
#include <functional>
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/ops/bench_device.h"
#include "engine/autograd.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "ops/attention.h"
#include "ops/loss.h"

namespace nb360 {
namespace {

Tensor RandomNormal(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t);
  return t;
}

// Reports bytes of the main input read per iteration.
void SetBytes(benchmark::State& state, const Tensor& x) {
  state.SetBytesProcessed(state.iterations() * x.numel() * static_cast<int64_t>(sizeof(float)));
}

// ---------------------------------------------------------------- cross-entropy (N, C)

void CrossEntropyCase(benchmark::State& state, int64_t n, int64_t c, bool backward, Device device) {
  SetNumThreads(2);
  Tensor logits = RandomNormal({n, c}, 1);
  Tensor target = Tensor::Empty({n}, DType::kInt64);
  Generator g(2);
  for (int64_t i = 0; i < n; ++i) target.data<int64_t>()[i] = g.RandInt(c);
  logits = logits.To(device);
  target = target.To(device);
  logits.set_requires_grad(backward);
  for (auto _ : state) {
    Tensor loss = CrossEntropy(logits, target);
    if (backward) {
      loss.Backward();
      logits.set_grad(Tensor());
    }
    benchmark::DoNotOptimize(loss.raw_data());
    bench::SyncDevice(device);
  }
  if (device.is_cpu()) {
    SetBytes(state, logits);
  } else {
    const double grad = backward ? bench::TensorBytes({logits}) : 0.0;
    bench::SetBytesPerSecond(state, bench::TensorBytes({logits, target}) + sizeof(float) + grad);
  }
}

// ---------------------------------------------------------------- BCE with logits (N, C)

void BceCase(benchmark::State& state, int64_t n, int64_t c, bool backward, Device device) {
  SetNumThreads(2);
  Tensor logits = RandomNormal({n, c}, 3);
  Tensor target = Tensor::Empty({n, c});
  Generator(4).Bernoulli(target, 0.3);
  logits = logits.To(device);
  target = target.To(device);
  logits.set_requires_grad(backward);
  for (auto _ : state) {
    Tensor loss = BinaryCrossEntropyWithLogits(logits, target);
    if (backward) {
      loss.Backward();
      logits.set_grad(Tensor());
    }
    benchmark::DoNotOptimize(loss.raw_data());
    bench::SyncDevice(device);
  }
  if (device.is_cpu()) {
    SetBytes(state, logits);
  } else {
    const double grad = backward ? bench::TensorBytes({logits}) : 0.0;
    bench::SetBytesPerSecond(state, bench::TensorBytes({logits, target}) + sizeof(float) + grad);
  }
}

// ---------------------------------------------------------------- attention (B, H, L, D)

void AttentionCase(benchmark::State& state, bool backward, Device device) {
  SetNumThreads(2);
  const int64_t b = 8, h = 8, l = 256, d = 64;
  Tensor q = RandomNormal({b, h, l, d}, 5).To(device), k = RandomNormal({b, h, l, d}, 6).To(device),
         v = RandomNormal({b, h, l, d}, 7).To(device);
  const Tensor g = RandomNormal({b, h, l, d}, 8).To(device);
  for (Tensor* t : {&q, &k, &v}) t->set_requires_grad(backward);
  for (auto _ : state) {
    Tensor out = ScaledDotProductAttention(q, k, v);
    if (backward) {
      out.Backward(g);
      for (Tensor* t : {&q, &k, &v}) t->set_grad(Tensor());
    }
    benchmark::DoNotOptimize(out.raw_data());
    bench::SyncDevice(device);
  }
  // Two (L x D) @ (D x L)-sized GEMMs forward, four backward; softmax not counted.
  const double flops = 2.0 * 2.0 * b * h * l * l * d * (backward ? 3.0 : 1.0);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  // q, k, v read, out written; backward: g read, the three gradients written.
  if (!device.is_cpu()) bench::SetBytesPerSecond(state, bench::TensorBytes({q, k, v, g}) * (backward ? 2 : 1));
}

// Registers every case; the CPU ones as before (CPU time; nanoseconds, attention in milliseconds),
// and the same names + "_CUDA" where a GPU runs (real time, microseconds).
const bool kRegistered = [] {
  using Fn = std::function<void(benchmark::State&, Device)>;
  auto ce = [](int64_t n, int64_t c, bool bw) -> Fn {
    return [=](benchmark::State& s, Device d) { CrossEntropyCase(s, n, c, bw, d); };
  };
  auto bce = [](int64_t n, int64_t c, bool bw) -> Fn {
    return [=](benchmark::State& s, Device d) { BceCase(s, n, c, bw, d); };
  };
  auto attention = [](bool bw) -> Fn { return [=](benchmark::State& s, Device d) { AttentionCase(s, bw, d); }; };
  struct Case {
    const char* name;
    Fn fn;
    bool ms;
  };
  const Case cases[] = {
      {"BM_CrossEntropy_Cifar100_128x100_Forward", ce(128, 100, false), false},
      {"BM_CrossEntropy_Cifar100_128x100_ForwardBackward", ce(128, 100, true), false},
      {"BM_CrossEntropy_NinaPro_64x18_Forward", ce(64, 18, false), false},
      {"BM_CrossEntropy_NinaPro_64x18_ForwardBackward", ce(64, 18, true), false},
      {"BM_BceWithLogits_DeepSea_256x36_Forward", bce(256, 36, false), false},
      {"BM_BceWithLogits_DeepSea_256x36_ForwardBackward", bce(256, 36, true), false},
      {"BM_BceWithLogits_Fsd50k_64x200_Forward", bce(64, 200, false), false},
      {"BM_BceWithLogits_Fsd50k_64x200_ForwardBackward", bce(64, 200, true), false},
      {"BM_Attention_8x8x256x64_Forward", attention(false), true},
      {"BM_Attention_8x8x256x64_ForwardBackward", attention(true), true},
  };
  for (const auto& [suffix, device] : bench::BenchDevices()) {
    for (const Case& c : cases) {
      const Device d = device;
      const Fn fn = c.fn;
      auto* b = benchmark::RegisterBenchmark((std::string(c.name) + suffix).c_str(),
                                             [fn, d](benchmark::State& s) { bench::RunGuarded(s, [&] { fn(s, d); }); });
      if (d.is_cpu()) {
        if (c.ms) b->Unit(benchmark::kMillisecond);
      } else {
        b->Unit(benchmark::kMicrosecond)->UseRealTime();
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
