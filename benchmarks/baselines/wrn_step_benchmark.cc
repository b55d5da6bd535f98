// Full training steps of the WRN baselines (forward, loss, backward, SGD step with Nesterov momentum
// 0.9 and weight decay 5e-4, zero_grad), float32, train mode, on the machine's threads:
//   WRN16_4_Cifar100_B128     WRN-16-4 point model, (128, 3, 32, 32), 100 classes, cross-entropy
//   WRN16_4_DenseDarcy_B8     dense WRN-16-4, (8, 3, 85, 85) -> (8, 1, 85, 85), relative L2 (sum)
//   ResNet1D_ECG_B256         ResNet1D, (256, 1, 1000), 4 classes, cross-entropy
//   ResNet1D_DeepSEA_B256     ResNet1D, (256, 4, 1000), 36 labels, BCE with logits
// Compare with benchmarks/baselines/torch_wrn_step.py (same case names, best-of-5 mean step time).
// In --config=cuda builds on a machine with a GPU every case is registered again as <case>_CUDA (the
// model, input and target on the device; each step ends with a host read of the loss, which waits
// for the device), compared with torch_wrn_step.py --device=cuda.
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
#include "engine/rng.h"
#include "ops/loss.h"

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

void RunStep(benchmark::State& state, const StepCase& c, Device device) {
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
  Tensor x = Random(c.input, gen, -1.0, 1.0).To(device);
  Tensor target;
  {
    NoGradGuard no_grad;
    target = c.target(model->Forward(x).shape(), gen).To(device);
  }
  for (auto _ : state) {
    Tensor loss = c.loss(model->Forward(x), target);
    loss.Backward();
    sgd.Step();
    sgd.ZeroGrad();
    benchmark::DoNotOptimize(loss.item());  // a host read: waits for a device to finish the step
  }
}

bool CudaRunning() {
#ifdef NB360_WITH_CUDA
  return InitCudaBackend().ok();
#else
  return false;
#endif
}

const bool kRegistered = [] {
  std::vector<std::pair<std::string, Device>> devices = {{"", Device::CPU()}};
  if (CudaRunning()) devices.push_back({"_CUDA", Device::CUDA()});
  for (const auto& [suffix, device] : devices) {
    for (const StepCase& c : Cases()) {
      const Device d = device;
      benchmark::RegisterBenchmark(("BM_TrainStep_" + c.name + suffix).c_str(),
                                   [c, d](benchmark::State& s) { RunStep(s, c, d); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(1.0)
          ->ComputeStatistics(
              "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
    }
  }
  return true;
}();

}  // namespace
}  // namespace nb360
