// One GAEA PC-DARTS search step on the supernet (nas/darts/search_network.h), float32, train mode: a
// weight step (architecture frozen: forward, cross-entropy, backward, gradient-norm clip at 5, SGD
// momentum 0.9 / weight decay 3e-4) then an architecture step (weights frozen: forward on the other
// batch, backward, exponentiated-gradient update of alpha and beta, nas/darts/eg_optimizer.h).
//   GaeaSearch_Cifar100_B64   2-D, (64, 3, 32, 32), 100 classes (C=16, 8 cells, K=4)
//   GaeaSearch_ECG_B32        1-D, (32, 1, 1000), 4 classes
// Compare with benchmarks/nas/torch_gaea_search_step.py (the same supernet written in PyTorch from the
// spec; same case names, best-of-3 mean step time). Run:
//   OMP_NUM_THREADS=2 bazel run -c opt //benchmarks/nas:gaea_search_step_benchmark -- --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/optim/optim.h"
#include "engine/rng.h"
#include "nas/darts/eg_optimizer.h"
#include "nas/darts/search_network.h"
#include "ops/loss.h"

namespace nb360 {
namespace {

using nas::darts::SearchNetwork;
using nas::darts::SearchNetworkConfig;

struct SearchCase {
  std::string name;
  SearchNetworkConfig::Kind kind;
  Shape input;
  int classes;
};

Tensor Labels(int64_t n, int64_t classes, Generator& gen) {
  std::vector<int64_t> v(n);
  for (auto& x : v) x = gen.RandInt(classes);
  return Tensor::FromVector(v, {n});
}

void RunSearchStep(benchmark::State& state, const SearchCase& c) {
  Generator gen(0);
  SearchNetworkConfig cfg;
  cfg.kind = c.kind;
  cfg.in_channels = static_cast<int>(c.input[1]);
  cfg.num_classes = c.classes;
  SearchNetwork net(cfg, gen);
  net.train();
  optim::SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.weight_decay = 3e-4;
  optim::SGD w_opt(net.WeightParameters(), o);
  nas::darts::EG a_opt(net.ArchParameters(), 0.1);
  Tensor xw = Tensor::Empty(c.input), xa = Tensor::Empty(c.input);
  gen.Normal(xw, 0.0, 1.0);
  gen.Normal(xa, 0.0, 1.0);
  const Tensor yw = Labels(c.input[0], c.classes, gen), ya = Labels(c.input[0], c.classes, gen);
  const std::vector<Tensor> weights = net.WeightParameters();
  for (auto _ : state) {
    net.SetArchRequiresGrad(false);
    w_opt.ZeroGrad();
    CrossEntropy(net.Forward(xw), yw).Backward();
    optim::ClipGradNorm(weights, 5.0);
    w_opt.Step();
    net.SetArchRequiresGrad(true);
    for (Tensor w : weights) w.set_requires_grad(false);  // handles share the impl
    net.ZeroArchGrad();
    Tensor loss = CrossEntropy(net.Forward(xa), ya);
    loss.Backward();
    a_opt.Step();
    for (Tensor w : weights) w.set_requires_grad(true);
    benchmark::DoNotOptimize(loss.raw_data());
  }
  state.counters["weights"] = static_cast<double>(net.NumWeightParameters());
}

const bool kRegistered = [] {
  const std::vector<SearchCase> cases = {
      {"GaeaSearch_Cifar100_B64", SearchNetworkConfig::kPoint2d, {64, 3, 32, 32}, 100},
      {"GaeaSearch_ECG_B32", SearchNetworkConfig::k1d, {32, 1, 1000}, 4},
  };
  for (const SearchCase& c : cases) {
    benchmark::RegisterBenchmark(("BM_" + c.name).c_str(), [c](benchmark::State& s) { RunSearchStep(s, c); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0)
        ->ComputeStatistics(
            "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  }
  return true;
}();

}  // namespace
}  // namespace nb360
