// GraphedStep (tasks/train/graphed_step.h): on the CPU, whose backend records no graphs, every step
// runs eagerly with a note saying so and gives exactly the eager step's loss and gradients; with a
// GPU (--config=cuda builds on a GPU machine), recorded replays give bitwise the losses, gradients
// and BatchNorm statistics of eager CUDA steps, and a step with dropout (a random draw, which a
// replay would repeat) falls back to eager steps with a note.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "tasks/train/graphed_step.h"
#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif

namespace nb360::tasks {
namespace {

class CeObjective : public Objective {
 public:
  Tensor Loss(const Tensor& output, const Batch& batch) const override { return CrossEntropy(output, batch.y); }
  std::unique_ptr<Metric> NewMetric(Split) const override { return nullptr; }
};

// conv -> BN -> ReLU -> (dropout) -> global mean -> linear.
class Net : public nn::Module {
 public:
  Net(uint64_t seed, double dropout) : Module("Net") {
    Generator gen(seed);
    conv = RegisterModule("conv", std::make_shared<nn::Conv2d>(3, 8, 3, gen, nn::Conv2dOptions(1, 1)));
    bn = RegisterModule("bn", std::make_shared<nn::BatchNorm2d>(8));
    drop = RegisterModule("drop", std::make_shared<nn::Dropout>(dropout, gen));
    fc = RegisterModule("fc", std::make_shared<nn::Linear>(8, 5, gen));
  }
  Tensor Forward(const Tensor& x) override {
    return fc->Forward(Mean(drop->Forward(Relu(bn->Forward(conv->Forward(x)))), {2, 3}));
  }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::Linear> fc;
};

Batch MakeBatch(uint64_t seed, int64_t n = 6) {
  Batch b;
  b.x = Tensor::Empty({n, 3, 7, 7});
  Generator g(seed);
  g.Normal(b.x, 0.0, 1.0);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = (i * 3 + static_cast<int64_t>(seed)) % 5;
  b.y = Tensor::FromVector(labels, {n});
  for (int64_t i = 0; i < n; ++i) b.index.push_back(i);
  return b;
}

// Everything a step leaves behind, on the host: loss, gradients, BatchNorm statistics.
std::vector<std::vector<float>> Snapshot(Net& net, const Tensor& loss) {
  std::vector<std::vector<float>> out = {loss.To(Device::CPU()).ToVector<float>()};
  for (const Tensor& p : net.Parameters()) out.push_back(p.grad().To(Device::CPU()).ToVector<float>());
  out.push_back(net.bn->Buffer("running_mean").To(Device::CPU()).ToVector<float>());
  out.push_back(net.bn->Buffer("running_var").To(Device::CPU()).ToVector<float>());
  return out;
}

// Steps `steps` batches (the last one `short_last` samples shorter) eagerly and through GraphedStep on
// two identical nets on `device`; expects identical snapshots after every step.
void CompareWithEager(Device device, double dropout, int steps, int64_t* replays, std::string* note) {
  Net eager(7, dropout), graphed(7, dropout);
  eager.To(device);
  graphed.To(device);
  const CeObjective objective;
  GraphedStep step(graphed, objective, device, MathPrecision::kFloat32);
  for (int i = 0; i < steps; ++i) {
    const Batch b = MakeBatch(static_cast<uint64_t>(i) + 1, i == steps - 1 ? 4 : 6);
    eager.ZeroGrad();
    const Batch db = OnDevice(b, device);
    Tensor le = objective.Loss(eager.Forward(db.x), db);
    le.Backward();
    const Tensor lg = step.Step(b);
    ASSERT_EQ(Snapshot(eager, le.Detach()), Snapshot(graphed, lg)) << "step " << i;
  }
  *replays = step.replays();
  *note = step.note();
}

TEST(GraphedStep, CpuBackendRunsEagerlyWithANote) {
  int64_t replays = -1;
  std::string note;
  CompareWithEager(Device::CPU(), 0.0, 4, &replays, &note);
  EXPECT_EQ(replays, 0);
  EXPECT_NE(note.find("could not be recorded"), std::string::npos) << note;
  EXPECT_NE(note.find("not supported"), std::string::npos) << note;
}

#ifdef NB360_WITH_CUDA
TEST(GraphedStepCuda, ReplaysMatchEagerStepsBitwise) {
  if (!InitCudaBackend().ok()) GTEST_SKIP() << "no usable GPU";
  int64_t replays = -1;
  std::string note;
  // Steps 0 eager (warm-up), 1 recorded + replayed, 2-4 replays, 5 (short batch) eager.
  CompareWithEager(Device::CUDA(), 0.0, 6, &replays, &note);
  EXPECT_EQ(note, "");
  EXPECT_EQ(replays, 4);
}

TEST(GraphedStepCuda, DropoutFallsBackToEagerWithANote) {
  if (!InitCudaBackend().ok()) GTEST_SKIP() << "no usable GPU";
  int64_t replays = -1;
  std::string note;
  CompareWithEager(Device::CUDA(), 0.3, 4, &replays, &note);
  EXPECT_EQ(replays, 0);
  EXPECT_NE(note.find("random draw"), std::string::npos) << note;
}
#endif

}  // namespace
}  // namespace nb360::tasks
