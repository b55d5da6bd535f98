// Per-op framework overhead on tiny tensors, where the math is negligible: what a user pays for
// dispatch, allocation and the autograd tape. Compare with benchmarks/engine/torch_overhead.py.
#include <benchmark/benchmark.h>

#include "engine/autograd.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace nb360 {
namespace {

void BM_Add16_Forward(benchmark::State& state) {
  Tensor a = Tensor::Ones({16}), b = Tensor::Ones({16});
  for (auto _ : state) {
    Tensor y = Add(a, b);
    benchmark::DoNotOptimize(y.raw_data());
  }
}
BENCHMARK(BM_Add16_Forward);

// y = a + b with a, b requiring grad, then y.Backward(g): the issue's "add of two 16-element
// tensors, forward + backward".
void BM_Add16_ForwardBackward(benchmark::State& state) {
  Tensor a = Tensor::Ones({16}), b = Tensor::Ones({16});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  Tensor g = Tensor::Ones({16});
  for (auto _ : state) {
    Tensor y = Add(a, b);
    y.Backward(g);
  }
  benchmark::DoNotOptimize(a.grad().raw_data());
}
BENCHMARK(BM_Add16_ForwardBackward);

void BM_Mul16_SumBackward(benchmark::State& state) {
  Tensor a = Tensor::Ones({16}), b = Tensor::Ones({16});
  a.set_requires_grad(true);
  for (auto _ : state) {
    Sum(Mul(a, b)).Backward();
  }
}
BENCHMARK(BM_Mul16_SumBackward);

void BM_EmptyTensor(benchmark::State& state) {
  for (auto _ : state) {
    Tensor t = Tensor::Empty({16});
    benchmark::DoNotOptimize(t.raw_data());
  }
}
BENCHMARK(BM_EmptyTensor);

}  // namespace
}  // namespace nb360
