// Losses and attention at the task shapes, float32, 2 threads: softmax cross-entropy (CIFAR-100 and
// NinaPro logits), BCE-with-logits (DeepSEA, FSD50K) and scaled dot-product attention (8, 8, 256, 64),
// forward-only and forward + backward. Compare with benchmarks/ops/torch_loss.py (same case names).
#include <cmath>

#include <benchmark/benchmark.h>

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

void CrossEntropyCase(benchmark::State& state, int64_t n, int64_t c, bool backward) {
  SetNumThreads(2);
  Tensor logits = RandomNormal({n, c}, 1);
  Tensor target = Tensor::Empty({n}, DType::kInt64);
  Generator g(2);
  for (int64_t i = 0; i < n; ++i) target.data<int64_t>()[i] = g.RandInt(c);
  logits.set_requires_grad(backward);
  for (auto _ : state) {
    Tensor loss = CrossEntropy(logits, target);
    if (backward) {
      loss.Backward();
      logits.set_grad(Tensor());
    }
    benchmark::DoNotOptimize(loss.raw_data());
  }
  SetBytes(state, logits);
}

void BM_CrossEntropy_Cifar100_128x100_Forward(benchmark::State& s) { CrossEntropyCase(s, 128, 100, false); }
void BM_CrossEntropy_Cifar100_128x100_ForwardBackward(benchmark::State& s) { CrossEntropyCase(s, 128, 100, true); }
void BM_CrossEntropy_NinaPro_64x18_Forward(benchmark::State& s) { CrossEntropyCase(s, 64, 18, false); }
void BM_CrossEntropy_NinaPro_64x18_ForwardBackward(benchmark::State& s) { CrossEntropyCase(s, 64, 18, true); }
BENCHMARK(BM_CrossEntropy_Cifar100_128x100_Forward);
BENCHMARK(BM_CrossEntropy_Cifar100_128x100_ForwardBackward);
BENCHMARK(BM_CrossEntropy_NinaPro_64x18_Forward);
BENCHMARK(BM_CrossEntropy_NinaPro_64x18_ForwardBackward);

// ---------------------------------------------------------------- BCE with logits (N, C)

void BceCase(benchmark::State& state, int64_t n, int64_t c, bool backward) {
  SetNumThreads(2);
  Tensor logits = RandomNormal({n, c}, 3);
  Tensor target = Tensor::Empty({n, c});
  Generator(4).Bernoulli(target, 0.3);
  logits.set_requires_grad(backward);
  for (auto _ : state) {
    Tensor loss = BinaryCrossEntropyWithLogits(logits, target);
    if (backward) {
      loss.Backward();
      logits.set_grad(Tensor());
    }
    benchmark::DoNotOptimize(loss.raw_data());
  }
  SetBytes(state, logits);
}

void BM_BceWithLogits_DeepSea_256x36_Forward(benchmark::State& s) { BceCase(s, 256, 36, false); }
void BM_BceWithLogits_DeepSea_256x36_ForwardBackward(benchmark::State& s) { BceCase(s, 256, 36, true); }
void BM_BceWithLogits_Fsd50k_64x200_Forward(benchmark::State& s) { BceCase(s, 64, 200, false); }
void BM_BceWithLogits_Fsd50k_64x200_ForwardBackward(benchmark::State& s) { BceCase(s, 64, 200, true); }
BENCHMARK(BM_BceWithLogits_DeepSea_256x36_Forward);
BENCHMARK(BM_BceWithLogits_DeepSea_256x36_ForwardBackward);
BENCHMARK(BM_BceWithLogits_Fsd50k_64x200_Forward);
BENCHMARK(BM_BceWithLogits_Fsd50k_64x200_ForwardBackward);

// ---------------------------------------------------------------- attention (B, H, L, D)

void AttentionCase(benchmark::State& state, bool backward) {
  SetNumThreads(2);
  const int64_t b = 8, h = 8, l = 256, d = 64;
  Tensor q = RandomNormal({b, h, l, d}, 5), k = RandomNormal({b, h, l, d}, 6), v = RandomNormal({b, h, l, d}, 7);
  const Tensor g = RandomNormal({b, h, l, d}, 8);
  for (Tensor* t : {&q, &k, &v}) t->set_requires_grad(backward);
  for (auto _ : state) {
    Tensor out = ScaledDotProductAttention(q, k, v);
    if (backward) {
      out.Backward(g);
      for (Tensor* t : {&q, &k, &v}) t->set_grad(Tensor());
    }
    benchmark::DoNotOptimize(out.raw_data());
  }
  // Two (L x D) @ (D x L)-sized GEMMs forward, four backward; softmax not counted.
  const double flops = 2.0 * 2.0 * b * h * l * l * d * (backward ? 3.0 : 1.0);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Attention_8x8x256x64_Forward(benchmark::State& s) { AttentionCase(s, false); }
void BM_Attention_8x8x256x64_ForwardBackward(benchmark::State& s) { AttentionCase(s, true); }
BENCHMARK(BM_Attention_8x8x256x64_Forward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Attention_8x8x256x64_ForwardBackward)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nb360
