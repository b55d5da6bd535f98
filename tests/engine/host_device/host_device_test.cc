// The engine's device code paths in CI (no GPU): with the host-memory stand-in for the CUDA device
// (host_device.h) — whose kernels are the CPU's — a model moved with Module::To, its SGD / AdamW
// steps through the fused-kernel path, device dropout draws, BatchNorm's device counter, ClipGradNorm
// and CrossEntropy's device paths, optimizer state restored onto the device, the trainer's --device
// run with its checkpoint resume, and the graphed step's fallback give the CPU's results (bit for bit
// where the arithmetic is the same, within rounding where the device path computes differently).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "engine/optim/optim.h"
#include "engine/rng.h"
#include "nas/darts/search_network.h"
#include "nas/search/gaea_search.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/pool.h"
#include "ops/reduce.h"
#include "tasks/registry.h"
#include "tasks/train/graphed_step.h"
#include "tasks/train/trainer.h"
#include "tests/engine/host_device/host_device.h"

namespace nb360 {
namespace {

const Device kDev = Device::CUDA();

class HostDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::InstallHostDevice(); }
};

Tensor Random(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Empty(shape);
  Generator(seed).Normal(t, 0.0, 1.0);
  return t;
}

// conv -> BN -> ReLU -> dropout -> 4x4 average -> linear.
class Net : public nn::Module {
 public:
  explicit Net(int64_t classes) : Module("Net") {
    Generator gen(5);
    conv = RegisterModule("conv", std::make_shared<nn::Conv2d>(3, 8, 3, gen, nn::Conv2dOptions(1, 1)));
    bn = RegisterModule("bn", std::make_shared<nn::BatchNorm2d>(8));
    drop = RegisterModule("drop", std::make_shared<nn::Dropout>(0.3, gen));
    fc = RegisterModule("fc", std::make_shared<nn::Linear>(8 * 4 * 4, classes, gen));
  }
  Tensor Forward(const Tensor& x) override {
    const Tensor h = drop->Forward(Relu(bn->Forward(conv->Forward(x))));
    return fc->Forward(AdaptiveAvgPool2d(h, 4, 4).Flatten(1));
  }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::Linear> fc;
};

std::vector<std::vector<float>> State(nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : m.StateDict()) {
    out.push_back(t.To(Device::CPU()).To(DType::kFloat32).ToVector<float>());
  }
  return out;
}

// Steps of `make_opt`'s optimizer with an MSE loss (no device-specific arithmetic anywhere).
template <class MakeOpt>
std::vector<double> MseSteps(Device device, MakeOpt make_opt, std::vector<std::vector<float>>* state) {
  Net net(5);
  net.To(device);
  net.train();
  auto opt = make_opt(net.Parameters());
  std::vector<double> losses;
  for (int i = 0; i < 4; ++i) {
    const Tensor x = Random({6, 3, 8, 8}, 10 + i).To(device);
    const Tensor y = Random({6, 5}, 20 + i).To(device);
    opt->ZeroGrad();
    Tensor loss = MseLoss(net.Forward(x), y);
    loss.Backward();
    opt->Step();
    losses.push_back(loss.item());
  }
  *state = State(net);
  return losses;
}

TEST_F(HostDeviceTest, SgdAndAdamWStepsEqualTheCpuBitwise) {
  auto sgd = [](const std::vector<Tensor>& p) {
    optim::SGDOptions o;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.nesterov = true;
    o.weight_decay = 5e-4;
    return std::make_unique<optim::SGD>(p, o);
  };
  auto adamw = [](const std::vector<Tensor>& p) {
    optim::AdamWOptions o;
    o.lr = 1e-3;
    o.weight_decay = 0.01;
    return std::make_unique<optim::AdamW>(p, o);
  };
  std::vector<std::vector<float>> cpu_state, dev_state;
  EXPECT_EQ(MseSteps(Device::CPU(), sgd, &cpu_state), MseSteps(kDev, sgd, &dev_state));
  EXPECT_EQ(cpu_state, dev_state);  // weights, BatchNorm statistics and its batch counter
  EXPECT_EQ(MseSteps(Device::CPU(), adamw, &cpu_state), MseSteps(kDev, adamw, &dev_state));
  EXPECT_EQ(cpu_state, dev_state);
}

TEST_F(HostDeviceTest, ClipGradNormOnDeviceMatchesCpu) {
  std::vector<Tensor> cpu, dev;
  for (int i = 0; i < 3; ++i) {
    Tensor p = Random({7, 5 + i}, 30 + i);
    p.set_requires_grad(true);
    p.set_grad(Random({7, 5 + i}, 40 + i));
    cpu.push_back(p);
    Tensor q = p.Detach().To(kDev);
    q.set_requires_grad(true);
    q.set_grad(p.grad().To(kDev));
    dev.push_back(q);
  }
  for (double type : {2.0, 1.0, 3.0, static_cast<double>(INFINITY)}) {
    std::vector<Tensor> c, d;
    for (size_t i = 0; i < cpu.size(); ++i) {
      Tensor a = cpu[i].Detach();
      a.set_requires_grad(true);
      a.set_grad(cpu[i].grad().Clone());
      c.push_back(a);
      Tensor b = dev[i].Detach();
      b.set_requires_grad(true);
      b.set_grad(dev[i].grad().Clone());
      d.push_back(b);
    }
    const double nc = optim::ClipGradNorm(c, 1.5, type);
    const double nd = optim::ClipGradNorm(d, 1.5, type);
    EXPECT_NEAR(nd, nc, 1e-12 * nc) << type;
    for (size_t i = 0; i < c.size(); ++i) {
      const std::vector<float> gc = c[i].grad().ToVector<float>(), gd = d[i].grad().To(Device::CPU()).ToVector<float>();
      for (size_t k = 0; k < gc.size(); ++k) EXPECT_NEAR(gd[k], gc[k], 1e-6f * std::abs(gc[k]) + 1e-9f) << type;
    }
  }
}

TEST_F(HostDeviceTest, CrossEntropyDevicePlanMatchesTheHostPlan) {
  const Tensor logits = Random({6, 4, 3}, 50);
  const Tensor target = Tensor::FromVector(std::vector<int64_t>{0, 3, -100, 2, 1, 1, 3, -100, 0, 2, 2, 1, 0, 3, 1, 2, 0, 1},
                                           {6, 3});
  const Tensor weight = Tensor::FromVector(std::vector<float>{0.5f, 1.0f, 2.0f, 1.5f}, {4});
  for (Reduction r : {Reduction::kMean, Reduction::kSum, Reduction::kNone}) {
    for (bool weighted : {false, true}) {
      for (double smoothing : {0.0, 0.1}) {
        Tensor lc = logits.Detach();
        lc.set_requires_grad(true);
        Tensor ld = logits.To(kDev).Detach();
        ld.set_requires_grad(true);
        const Tensor w = weighted ? weight : Tensor();
        const Tensor yc = CrossEntropy(lc, target, w, -100, r, smoothing);
        const Tensor yd = CrossEntropy(ld, target.To(kDev), weighted ? weight.To(kDev) : Tensor(), -100, r, smoothing);
        const std::vector<float> vc = yc.ToVector<float>(), vd = yd.To(Device::CPU()).ToVector<float>();
        ASSERT_EQ(vc.size(), vd.size());
        for (size_t k = 0; k < vc.size(); ++k) EXPECT_NEAR(vd[k], vc[k], 1e-6f * std::abs(vc[k]) + 1e-7f);
        Sum(yc).Backward();
        Sum(yd).Backward();
        const std::vector<float> gc = lc.grad().ToVector<float>(), gd = ld.grad().To(Device::CPU()).ToVector<float>();
        for (size_t k = 0; k < gc.size(); ++k) EXPECT_NEAR(gd[k], gc[k], 1e-6f * std::abs(gc[k]) + 1e-7f);
      }
    }
  }
  const Tensor bad = Tensor::FromVector(std::vector<int64_t>{0, 7}, {2});
  try {
    CrossEntropy(Random({2, 4}, 51).To(kDev), bad.To(kDev));
    ADD_FAILURE() << "an out-of-range target was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("target value 7"), std::string::npos) << e.what();
  }
}

TEST_F(HostDeviceTest, OptimizerStateRestoresOntoTheDevice) {
  Net a(5), b(5);
  a.To(kDev);
  b.To(kDev);
  optim::SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  optim::SGD sa(a.Parameters(), o), sb(b.Parameters(), o);
  for (int i = 0; i < 2; ++i) {
    sa.ZeroGrad();
    Sum(a.Forward(Random({2, 3, 8, 8}, 60 + i).To(kDev))).Backward();
    sa.Step();
  }
  optim::OptimizerState st = sa.StateDict();
  for (auto& [name, t] : st.tensors) t = t.To(Device::CPU());  // as a checkpoint holds them
  ASSERT_TRUE(sb.LoadStateDict(st).ok());
  ASSERT_TRUE(b.LoadStateDict(a.StateDict()).ok());
  sa.ZeroGrad();
  sb.ZeroGrad();
  a.eval();  // dropout off: a's generator has advanced, b's has not
  b.eval();
  Sum(a.Forward(Random({2, 3, 8, 8}, 70).To(kDev))).Backward();
  Sum(b.Forward(Random({2, 3, 8, 8}, 70).To(kDev))).Backward();
  sa.Step();
  sb.Step();
  for (const auto& [name, t] : sb.StateDict().tensors) EXPECT_EQ(t.device(), kDev) << name;
  EXPECT_EQ(State(a), State(b));
}

TEST_F(HostDeviceTest, GraphedStepFallsBackToEagerSteps) {
  Net net(5);
  net.To(kDev);
  class Mse : public tasks::Objective {
   public:
    Tensor Loss(const Tensor& out, const tasks::Batch& b) const override { return MseLoss(out, b.y); }
    std::unique_ptr<tasks::Metric> NewMetric(tasks::Split) const override { return nullptr; }
  } objective;
  tasks::GraphedStep step(net, objective, kDev, MathPrecision::kFloat32);
  for (int i = 0; i < 3; ++i) {
    tasks::Batch b;
    b.x = Random({2, 3, 8, 8}, 80 + i);
    b.y = Random({2, 5}, 90 + i);
    EXPECT_TRUE(std::isfinite(step.Step(b).item()));
  }
  EXPECT_EQ(step.replays(), 0);
  EXPECT_NE(step.note().find("not supported"), std::string::npos) << step.note();
}

// The trainer on the device: a run, and the same run interrupted in epoch 2 and resumed (model and
// optimizer state come back from the host checkpoint onto the device), end with the same weights;
// the metrics are those of the CPU run up to rounding (CrossEntropy's device path divides where the
// host path multiplies by a reciprocal).
TEST_F(HostDeviceTest, TrainerRunsOnTheDeviceAndResumes) {
  absl::StatusOr<std::unique_ptr<tasks::Task>> task = tasks::MakeTask("ninapro");
  ASSERT_TRUE(task.ok());
  absl::StatusOr<tasks::TaskData> data =
      tasks::LoadTaskData(**task, {.mode = tasks::RunMode::kSearch, .data = "synthetic", .seed = 3});
  ASSERT_TRUE(data.ok()) << data.status();
  const int64_t channels = (*task)->info().input_shape[0], classes = (*task)->info().num_classes;
  auto config = [&](const std::string& name, Device device, int64_t epochs) {
    tasks::TrainConfig c;
    c.task = "ninapro";
    c.method = "tiny";
    c.epochs = epochs;
    c.batch_size = 16;
    c.eval_batch_size = 32;
    c.lr = 0.05;
    c.seed = 11;
    c.max_steps_per_epoch = 4;
    c.max_eval_batches = 2;
    c.num_workers = 1;
    c.device = device;
    const char* base = std::getenv("TEST_TMPDIR");
    c.out_dir = (std::filesystem::path(base ? base : "/tmp") / ("host_device_" + name)).string();
    std::filesystem::remove_all(c.out_dir);
    return c;
  };
  class Tiny : public nn::Module {
   public:
    Tiny(int64_t in, int64_t classes) : Module("Tiny") {
      Generator gen(5);
      conv = RegisterModule("conv", std::make_shared<nn::Conv2d>(in, 8, 3, gen, nn::Conv2dOptions(1, 1)));
      bn = RegisterModule("bn", std::make_shared<nn::BatchNorm2d>(8));
      fc = RegisterModule("fc", std::make_shared<nn::Linear>(8 * 4 * 4, classes, gen));
    }
    Tensor Forward(const Tensor& x) override {
      return fc->Forward(AdaptiveAvgPool2d(Relu(bn->Forward(conv->Forward(x))), 4, 4).Flatten(1));
    }
    std::shared_ptr<nn::Conv2d> conv;
    std::shared_ptr<nn::BatchNorm2d> bn;
    std::shared_ptr<nn::Linear> fc;
  };
  auto train = [&](const tasks::TrainConfig& c, std::vector<std::vector<float>>* state) {
    Tiny model(channels, classes);
    absl::StatusOr<tasks::TrainResult> r = tasks::Train(model, **task, *data, c);
    EXPECT_TRUE(r.ok()) << r.status();
    *state = State(model);
    return r.ok() ? r->final.primary_value() : NAN;
  };
  std::vector<std::vector<float>> cpu_state, dev_state;
  const double cpu_metric = train(config("cpu", Device::CPU(), 2), &cpu_state);
  const double dev_metric = train(config("dev", kDev, 2), &dev_state);
  EXPECT_NEAR(dev_metric, cpu_metric, 1e-3 * std::abs(cpu_metric) + 1e-6);
  // Interrupted at epoch 2, step 2 (a non-finite loss stops the run before the update), then resumed
  // from the epoch-1 checkpoint: the same final state as the uninterrupted device run.
  tasks::TrainConfig broken = config("resume", kDev, 2);
  broken.hooks.inject_nan = [](const tasks::StepPosition& pos) { return pos.epoch == 1 && pos.batch == 2; };
  {
    Tiny model(channels, classes);
    EXPECT_FALSE(tasks::Train(model, **task, *data, broken).ok());
  }
  tasks::TrainConfig resumed = broken;
  resumed.hooks.inject_nan = nullptr;
  std::vector<std::vector<float>> again;
  train(resumed, &again);
  EXPECT_EQ(dev_state, again);
}

// The GAEA PC-DARTS search (weight steps with clipping, EG architecture steps, channel shuffle,
// genotype discretisation) on the device: the same genotype after every epoch as on the CPU, and the
// final validation metric up to rounding (CrossEntropy's device row plan).
TEST_F(HostDeviceTest, GaeaSearchOnTheDeviceFindsTheCpuGenotypes) {
  absl::StatusOr<std::unique_ptr<tasks::Task>> task = tasks::MakeTask("ninapro");
  ASSERT_TRUE(task.ok());
  absl::StatusOr<tasks::TaskData> data = tasks::LoadTaskData(
      **task, {.mode = tasks::RunMode::kSearch, .variant = tasks::DataVariant::kDartsSearch, .data = "synthetic",
               .seed = 3});
  ASSERT_TRUE(data.ok()) << data.status();
  auto search = [&](Device device, const std::string& name) {
    nas::GaeaSearchConfig c;
    tasks::TrainConfig& t = c.train;
    t.task = "ninapro";
    t.method = "gaea";
    t.epochs = 3;
    t.batch_size = 4;
    t.eval_batch_size = 8;
    t.lr = 0.1;
    t.momentum = 0.9;
    t.nesterov = false;
    t.weight_decay = 3e-4;
    t.schedule = "cosine";
    t.cosine_t_max = 3;
    t.clip_grad_norm = 5;
    t.seed = 11;
    t.max_steps_per_epoch = 2;
    t.max_eval_batches = 1;
    t.num_workers = 1;
    t.device = device;
    const char* base = std::getenv("TEST_TMPDIR");
    t.out_dir = (std::filesystem::path(base ? base : "/tmp") / ("host_device_gaea_" + name)).string();
    std::filesystem::remove_all(t.out_dir);
    c.arch_lr = 0.1;
    c.arch_warmup_epochs = 1;
    absl::StatusOr<nas::darts::SearchNetworkConfig> nc = nas::SearchNetworkConfigFor((*task)->info(), 8, 3, 4);
    NB_CHECK(nc.ok(), nc.status().ToString());
    Generator init = Generator(t.seed).Fork("model/init");
    nas::darts::SearchNetwork net(*nc, init);
    return nas::RunGaeaSearch(net, **task, *data, c);
  };
  absl::StatusOr<nas::GaeaSearchResult> cpu = search(Device::CPU(), "cpu");
  absl::StatusOr<nas::GaeaSearchResult> dev = search(kDev, "dev");
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(dev->genotype_per_epoch, cpu->genotype_per_epoch);
  EXPECT_EQ(dev->genotype_text, cpu->genotype_text);
  const double a = cpu->train.final.primary_value(), b = dev->train.final.primary_value();
  EXPECT_NEAR(b, a, 1e-3 * std::abs(a) + 1e-6);
}

}  // namespace
}  // namespace nb360
