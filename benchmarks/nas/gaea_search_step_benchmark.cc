// One GAEA PC-DARTS search step on the supernet (nas/darts/search_network.h), float32, train mode: a
// weight step (architecture frozen: forward, cross-entropy, backward, gradient-norm clip at 5, SGD
// momentum 0.9 / weight decay 3e-4) then an architecture step (weights frozen: forward on the other
// batch, backward, exponentiated-gradient update of alpha and beta, nas/darts/eg_optimizer.h).
//   GaeaSearch_Cifar100_B64   2-D, (64, 3, 32, 32), 100 classes (C=16, 8 cells, K=4)
//   GaeaSearch_ECG_B32        1-D, (32, 1, 1000), 4 classes
// Compare with benchmarks/nas/torch_gaea_search_step.py (the same supernet written in PyTorch from the
// spec; same case names, best-of-3 mean step time). Run:
//   OMP_NUM_THREADS=2 bazel run -c opt //benchmarks/nas:gaea_search_step_benchmark -- --benchmark_repetitions=3
// In --config=cuda builds on a machine with a GPU every case is registered again as <case>_CUDA, set
// up as nas/search's GaeaSearch does it: the supernet built on the CPU and moved with net.To(device),
// then the SGD and EG optimizers made from its (device) weights and architecture tensors; the batches
// made on the CPU and moved; every step ends with a host read of the architecture loss (waits for
// the device). An error on the way (a step the engine cannot yet run on the device) ends the case
// with "ERROR OCCURRED: '<the error>'". Compare with torch_gaea_search_step.py --device=cuda.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "benchmarks/ops/bench_device.h"
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

void RunSearchStep(benchmark::State& state, const SearchCase& c, Device device) {
  Generator gen(0);
  SearchNetworkConfig cfg;
  cfg.kind = c.kind;
  cfg.in_channels = static_cast<int>(c.input[1]);
  cfg.num_classes = c.classes;
  SearchNetwork net(cfg, gen);
  net.To(device);
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
  xw = xw.To(device);
  xa = xa.To(device);
  const Tensor yw = Labels(c.input[0], c.classes, gen).To(device);
  const Tensor ya = Labels(c.input[0], c.classes, gen).To(device);
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
    if (!device.is_cpu()) benchmark::DoNotOptimize(loss.item());  // a host read: waits for the device
  }
  state.counters["weights"] = static_cast<double>(net.NumWeightParameters());
}

const bool kRegistered = [] {
  const std::vector<SearchCase> cases = {
      {"GaeaSearch_Cifar100_B64", SearchNetworkConfig::kPoint2d, {64, 3, 32, 32}, 100},
      {"GaeaSearch_ECG_B32", SearchNetworkConfig::k1d, {32, 1, 1000}, 4},
  };
  for (const auto& [suffix, device] : bench::BenchDevices()) {
    for (const SearchCase& c : cases) {
      const Device d = device;
      auto* b = benchmark::RegisterBenchmark(("BM_" + c.name + suffix).c_str(), [c, d](benchmark::State& s) {
        bench::RunGuarded(s, [&] { RunSearchStep(s, c, d); });
      });
      b->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->ComputeStatistics(
              "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
      if (d.is_cpu()) b->MinTime(1.0);
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
