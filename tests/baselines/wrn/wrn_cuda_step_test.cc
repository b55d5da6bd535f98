// WRN-16-4 and ResNet1D training steps on the GPU against the CPU (issue 5's "CPU vs CUDA losses for
// a few steps"): the same initial weights and batches, SGD with Nesterov momentum and weight decay,
// float32 (CUDA within float32 rounding of the CPU: cuDNN/cuBLAS sum in other orders), bf16 autocast
// (CUDA tensor cores against the CPU reference numerics: within bf16 rounding), and the graphed step
// (bitwise the eager CUDA step). Every test skips where there is no GPU (CI, CPU builds).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "baselines/wrn/wrn.h"
#include "engine/autograd.h"
#include "engine/optim/sgd.h"
#include "engine/precision.h"
#include "engine/rng.h"
#include "ops/loss.h"
#include "tasks/train/graphed_step.h"
#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif

namespace nb360::baselines {
namespace {

bool HaveGpu() {
#ifdef NB360_WITH_CUDA
  return InitCudaBackend().ok();
#else
  return false;
#endif
}

std::shared_ptr<nn::Module> MakeModel(bool one_d) {
  Generator gen(5);
  if (one_d) return std::make_shared<ResNet1D>(1, 4, gen);
  Wrn2dConfig c;
  c.in_channels = 3;
  c.num_classes = 100;
  c.head = WrnHead::kPoint;
  return std::make_shared<WideResNet2d>(c, gen);
}

tasks::Batch MakeBatch(bool one_d, uint64_t seed) {
  Generator gen(seed);
  tasks::Batch b;
  b.x = Tensor::Empty(one_d ? Shape{8, 1, 250} : Shape{8, 3, 32, 32});
  gen.Uniform(b.x, -1.0, 1.0);
  std::vector<int64_t> labels(8);
  for (auto& l : labels) l = gen.RandInt(one_d ? 4 : 100);
  b.y = Tensor::FromVector(labels, {8});
  return b;
}

class Objective : public tasks::Objective {
 public:
  Tensor Loss(const Tensor& output, const tasks::Batch& b) const override { return CrossEntropy(output, b.y); }
  std::unique_ptr<tasks::Metric> NewMetric(tasks::Split) const override { return nullptr; }
};

struct Trace {
  std::vector<double> losses;
  std::vector<float> fc_weight;  // the head's weight after the last step
};

// `steps` SGD steps on `device`; graph: through tasks::GraphedStep.
Trace Train(bool one_d, Device device, MathPrecision precision, bool graph, int steps) {
  std::shared_ptr<nn::Module> model = MakeModel(one_d);
  model->To(device);
  model->train();
  optim::SGDOptions o;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 5e-4;
  optim::SGD sgd(model->Parameters(), o);
  const Objective objective;
  tasks::GraphedStep graphed(*model, objective, device, precision);
  Trace t;
  for (int i = 0; i < steps; ++i) {
    const tasks::Batch b = MakeBatch(one_d, 100 + static_cast<uint64_t>(i));
    Tensor loss;
    if (graph) {
      loss = graphed.Step(b);
    } else {
      sgd.ZeroGrad();
      const tasks::Batch db = tasks::OnDevice(b, device);
      {
        AutocastScope scope(precision);
        loss = objective.Loss(model->Forward(db.x), db);
      }
      loss.Backward();
    }
    t.losses.push_back(loss.item());
    sgd.Step();
  }
  const auto params = model->NamedParameters();
  t.fc_weight = params[params.size() - 2].second.To(Device::CPU()).ToVector<float>();
  if (graph) {
    EXPECT_EQ(graphed.note(), "");
  }
  return t;
}

void ExpectClose(const Trace& a, const Trace& b, double rtol) {
  ASSERT_EQ(a.losses.size(), b.losses.size());
  for (size_t i = 0; i < a.losses.size(); ++i) {
    EXPECT_NEAR(a.losses[i], b.losses[i], rtol * std::abs(b.losses[i])) << "step " << i;
  }
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.fc_weight.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a.fc_weight[i]) - b.fc_weight[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b.fc_weight[i])));
  }
  EXPECT_LE(diff, rtol * scale);
}

TEST(WrnCudaStep, Float32MatchesCpu) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  for (bool one_d : {false, true}) {
    const Trace cpu = Train(one_d, Device::CPU(), MathPrecision::kFloat32, false, 4);
    const Trace gpu = Train(one_d, Device::CUDA(), MathPrecision::kFloat32, false, 4);
    ExpectClose(gpu, cpu, 1e-3);
  }
}

TEST(WrnCudaStep, Bf16AutocastMatchesCpuReference) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  const Trace cpu = Train(false, Device::CPU(), MathPrecision::kBFloat16, false, 3);
  const Trace gpu = Train(false, Device::CUDA(), MathPrecision::kBFloat16, false, 3);
  ExpectClose(gpu, cpu, 3e-2);
}

TEST(WrnCudaStep, GraphedStepIsBitwiseTheEagerStep) {
  if (!HaveGpu()) GTEST_SKIP() << "no usable GPU";
  for (MathPrecision p : {MathPrecision::kFloat32, MathPrecision::kBFloat16}) {
    const Trace eager = Train(false, Device::CUDA(), p, false, 5);
    const Trace graph = Train(false, Device::CUDA(), p, true, 5);
    EXPECT_EQ(eager.losses, graph.losses);
    EXPECT_EQ(eager.fc_weight, graph.fc_weight);
  }
}

}  // namespace
}  // namespace nb360::baselines
