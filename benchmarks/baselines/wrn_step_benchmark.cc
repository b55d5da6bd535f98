// Full training steps of the WRN baselines (forward, loss, backward, SGD step with Nesterov momentum
// 0.9 and weight decay 5e-4, zero_grad), float32, train mode, on the machine's threads:
//   WRN16_4_Cifar100_B128     WRN-16-4 point model, (128, 3, 32, 32), 100 classes, cross-entropy
//   WRN16_4_DenseDarcy_B8     dense WRN-16-4, (8, 3, 85, 85) -> (8, 1, 85, 85), relative L2 (sum)
//   ResNet1D_ECG_B256         ResNet1D, (256, 1, 1000), 4 classes, cross-entropy
//   ResNet1D_DeepSEA_B256     ResNet1D, (256, 4, 1000), 36 labels, BCE with logits
// Compare with benchmarks/baselines/torch_wrn_step.py (same case names, best-of-5 mean step time).
// In --config=cuda builds on a machine with a GPU every case is registered again as <case>_CUDA (the
// model, input and target on the device; each step ends with a host read of the loss, which waits
// for the device), compared with torch_wrn_step.py --device=cuda, and with the fast paths:
// _CUDA_TF32 (TF32 tensor cores), _CUDA_BF16 (bf16 autocast of the forward), _CUDA_Graph (forward,
// loss and backward replayed as one recorded CUDA graph, tasks/train/graphed_step.h; the SGD step
// stays eager) and _CUDA_Fast (all three), against torch_wrn_step.py's same-named variants.
// Run: OMP_NUM_THREADS=2 bazel run -c opt //benchmarks/baselines:wrn_step_benchmark --
//      --benchmark_repetitions=5 and read the _min rows.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "baselines/wrn/wrn.h"
#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif
#include "engine/autograd.h"
#include "engine/optim/sgd.h"
#include "engine/precision.h"
#include "engine/rng.h"
#include "ops/loss.h"
#include "tasks/train/graphed_step.h"

namespace nb360 {
namespace {

using baselines::ResNet1D;
using baselines::WideResNet2d;
using baselines::Wrn2dConfig;
using baselines::WrnHead;

struct StepCase {
  std::string name;
  std::function<std::shared_ptr<nn::Module>(Generator&)> make;
  Shape input;
  std::function<Tensor(const Tensor& y, const Tensor& target)> loss;
  std::function<Tensor(const Shape& y_shape, Generator& gen)> target;
};

Tensor Labels(int64_t n, int64_t classes, Generator& gen) {
  std::vector<int64_t> v(n);
  for (auto& x : v) x = gen.RandInt(classes);
  return Tensor::FromVector(v, {n});
}

Tensor Random(const Shape& shape, Generator& gen, double lo, double hi) {
  Tensor t = Tensor::Empty(shape);
  gen.Uniform(t, lo, hi);
  return t;
}

std::shared_ptr<nn::Module> Wrn(int64_t in, int64_t classes, WrnHead head, Generator& gen) {
  Wrn2dConfig c;
  c.in_channels = in;
  c.num_classes = classes;
  c.head = head;
  return std::make_shared<WideResNet2d>(c, gen);
}

std::vector<StepCase> Cases() {
  auto ce = [](const Tensor& y, const Tensor& t) { return CrossEntropy(y, t); };
  return {
      {"WRN16_4_Cifar100_B128", [](Generator& g) { return Wrn(3, 100, WrnHead::kPoint, g); },
       {128, 3, 32, 32}, ce, [](const Shape& s, Generator& g) { return Labels(s[0], s[1], g); }},
      {"WRN16_4_DenseDarcy_B8", [](Generator& g) { return Wrn(3, 1, WrnHead::kDense, g); },
       {8, 3, 85, 85}, [](const Tensor& y, const Tensor& t) { return RelativeL2Loss(y, t); },
       [](const Shape& s, Generator& g) { return Random(s, g, 0.5, 1.5); }},
      {"ResNet1D_ECG_B256", [](Generator& g) { return std::make_shared<ResNet1D>(1, 4, g); },
       {256, 1, 1000}, ce, [](const Shape& s, Generator& g) { return Labels(s[0], s[1], g); }},
      {"ResNet1D_DeepSEA_B256", [](Generator& g) { return std::make_shared<ResNet1D>(4, 36, g); },
       {256, 4, 1000}, [](const Tensor& y, const Tensor& t) { return BinaryCrossEntropyWithLogits(y, t); },
       [](const Shape& s, Generator& g) {
         Tensor t = Random(s, g, 0.0, 1.0);
         float* p = t.data<float>();
         for (int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] < 0.1f ? 1.0f : 0.0f;
         return t;
       }},
  };
}

// The fast paths a case runs with (engine/precision.h, tasks/train/graphed_step.h).
struct Mode {
  std::string suffix;
  Device device;
  bool tf32 = false;
  bool bf16 = false;
  bool graph = false;
};

// The case's loss as a task objective (batch.y is the target), for the graphed step.
class CaseObjective : public tasks::Objective {
 public:
  explicit CaseObjective(const StepCase& c) : c_(c) {}
  Tensor Loss(const Tensor& output, const tasks::Batch& batch) const override { return c_.loss(output, batch.y); }
  std::unique_ptr<tasks::Metric> NewMetric(tasks::Split) const override { return nullptr; }

 private:
  const StepCase& c_;
};

void RunStep(benchmark::State& state, const StepCase& c, const Mode& mode) {
  const Device device = mode.device;
  SetAllowTf32(mode.tf32);
  const MathPrecision precision = mode.bf16 ? MathPrecision::kBFloat16 : MathPrecision::kFloat32;
  Generator gen(0);
  std::shared_ptr<nn::Module> model = c.make(gen);
  model->To(device);
  model->train();
  optim::SGDOptions o;
  o.lr = 0.01;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 5e-4;
  optim::SGD sgd(model->Parameters(), o);
  tasks::Batch batch;
  batch.x = Random(c.input, gen, -1.0, 1.0).To(device);
  {
    NoGradGuard no_grad;
    batch.y = c.target(model->Forward(batch.x).shape(), gen).To(device);
  }
  const CaseObjective objective(c);
  tasks::GraphedStep graphed(*model, objective, device, precision);
  for (auto _ : state) {
    Tensor loss;
    if (mode.graph) {
      loss = graphed.Step(batch);
    } else {
      sgd.ZeroGrad();
      {
        AutocastScope autocast(precision);
        loss = c.loss(model->Forward(batch.x), batch.y);
      }
      loss.Backward();
    }
    sgd.Step();
    benchmark::DoNotOptimize(loss.item());  // a host read: waits for a device to finish the step
  }
  if (!graphed.note().empty()) state.SetLabel(graphed.note());
  SetAllowTf32(false);
}

bool CudaRunning() {
#ifdef NB360_WITH_CUDA
  return InitCudaBackend().ok();
#else
  return false;
#endif
}

const bool kRegistered = [] {
  std::vector<Mode> modes = {{"", Device::CPU()}};
  if (CudaRunning()) {
    const Device g = Device::CUDA();
    modes.push_back({"_CUDA", g});                                  // float32, cuDNN/cuBLAS FMA math
    modes.push_back({"_CUDA_TF32", g, /*tf32=*/true});               // TF32 tensor cores
    modes.push_back({"_CUDA_BF16", g, false, /*bf16=*/true});        // bf16 autocast
    modes.push_back({"_CUDA_Graph", g, false, false, /*graph=*/true});  // float32, one CUDA graph per step
    modes.push_back({"_CUDA_Fast", g, true, true, true});            // bf16 autocast + TF32 + graph
  }
  for (const Mode& mode : modes) {
    for (const StepCase& c : Cases()) {
      benchmark::internal::Benchmark* b =
          benchmark::RegisterBenchmark(("BM_TrainStep_" + c.name + mode.suffix).c_str(),
                                       [c, mode](benchmark::State& s) { RunStep(s, c, mode); });
      b->Unit(benchmark::kMillisecond)->UseRealTime()->ComputeStatistics(
          "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
      // CPU steps run >= 1 s per repetition; GPU steps take --benchmark_min_time (the GPU check
      // times 20 of them in a few seconds each).
      if (mode.device.is_cpu()) b->MinTime(1.0);
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
