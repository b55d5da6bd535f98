// End-to-end learning: a small CNN (Conv2d -> BatchNorm2d -> ReLU -> global average pooling ->
// Linear) trained with SGD + momentum on a synthetic 4-class task, oriented stripes in noise,
// generated from the Generator:
//   class k: sin(f * (i cos(theta_k) + j sin(theta_k)) + phase) + N(0, 0.5^2), theta_k = k * 45 deg,
//   f ~ U(0.6, 1.2) rad/pixel, phase ~ U(0, 2 pi); 256 images of 16x16, 64 per class.
// Asserts the full-set training cross-entropy (eval mode) falls below kLossBound and that two runs
// from the same seed give bitwise identical per-step losses (and weights).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "engine/parallel.h"
#include "engine/optim/optim.h"
#include "engine/rng.h"
#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/pool.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"

namespace nb360 {
namespace {

constexpr int64_t kSamples = 256;
constexpr int64_t kSize = 16;
constexpr int64_t kClasses = 4;
constexpr int64_t kBatch = 32;
constexpr int kEpochs = 16;
constexpr double kLossBound = 0.3;

struct Dataset {
  Tensor images;  // (kSamples, 1, kSize, kSize) float32
  Tensor labels;  // (kSamples) int64
};

Dataset MakeStripes(uint64_t seed) {
  Generator gen = Generator(seed).Fork("stripes");
  Dataset d;
  d.images = Tensor::Empty({kSamples, 1, kSize, kSize});
  gen.Normal(d.images, 0.0, 0.5);  // the noise
  std::vector<int64_t> labels(kSamples);
  float* px = d.images.data<float>();
  for (int64_t n = 0; n < kSamples; ++n) {
    const int64_t k = n % kClasses;
    labels[n] = k;
    const double theta = static_cast<double>(k) * M_PI / 4.0;
    const double f = 0.6 + 0.6 * gen.NextDouble();
    const double phase = 2.0 * M_PI * gen.NextDouble();
    for (int64_t i = 0; i < kSize; ++i) {
      for (int64_t j = 0; j < kSize; ++j) {
        px[(n * kSize + i) * kSize + j] += static_cast<float>(
            std::sin(f * (static_cast<double>(i) * std::cos(theta) + static_cast<double>(j) * std::sin(theta)) + phase));
      }
    }
  }
  d.labels = Tensor::FromVector(labels, {kSamples});
  return d;
}

class SmallCnn : public nn::Module {
 public:
  explicit SmallCnn(Generator& gen) : Module("SmallCnn") {
    conv = RegisterModule("conv", std::make_shared<nn::Conv2d>(1, 16, 3, gen, nn::Conv2dOptions(1, 1)));
    bn = RegisterModule("bn", std::make_shared<nn::BatchNorm2d>(16));
    fc = RegisterModule("fc", std::make_shared<nn::Linear>(16, kClasses, gen));
  }
  Tensor Forward(const Tensor& x) override {
    return fc->Forward(GlobalAvgPool2d(Relu(bn->Forward(conv->Forward(x)))));
  }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::Linear> fc;
};

struct RunResult {
  std::vector<double> step_losses;
  double final_loss = 0.0;
  double final_accuracy = 0.0;
  std::vector<float> fc_weight;
  double seconds = 0.0;
};

RunResult Train(uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  const Dataset data = MakeStripes(seed);
  Generator root(seed);
  Generator init_gen = root.Fork("init");
  Generator order_gen = root.Fork("order");
  SmallCnn model(init_gen);
  optim::SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.weight_decay = 1e-4;
  optim::SGD opt(model.Parameters(), o);
  optim::CosineAnnealing schedule(o.lr, kEpochs * (kSamples / kBatch));

  RunResult r;
  int64_t step = 0;
  model.train();
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    const std::vector<int64_t> perm = order_gen.Permutation(kSamples);
    for (int64_t b = 0; b + kBatch <= kSamples; b += kBatch) {
      const Tensor idx = Tensor::FromVector(std::vector<int64_t>(perm.begin() + b, perm.begin() + b + kBatch), {kBatch});
      const Tensor x = IndexSelect(data.images, 0, idx);
      const Tensor y = IndexSelect(data.labels, 0, idx);
      optim::ApplySchedule(schedule, step++, opt);
      opt.ZeroGrad();
      const Tensor loss = CrossEntropy(model.Forward(x), y);
      loss.Backward();
      opt.Step();
      r.step_losses.push_back(loss.item());
    }
  }
  model.eval();
  {
    NoGradGuard no_grad;
    const Tensor logits = model.Forward(data.images);
    r.final_loss = CrossEntropy(logits, data.labels).item();
    const auto pred = Argmax(logits, 1).ToVector<int64_t>();
    const auto labels = data.labels.ToVector<int64_t>();
    int correct = 0;
    for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == labels[i];
    r.final_accuracy = static_cast<double>(correct) / static_cast<double>(pred.size());
  }
  r.fc_weight = model.fc->weight().ToVector<float>();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

TEST(LearnTest, SmallCnnLearnsStripesDeterministically) {
  const RunResult a = Train(2024);
  std::printf("first loss %.4f, final training cross-entropy %.4f, accuracy %.3f, %zu steps in %.2f s\n",
              a.step_losses.front(), a.final_loss, a.final_accuracy, a.step_losses.size(), a.seconds);
  EXPECT_GT(a.step_losses.front(), 1.0);  // starts near log(4) = 1.386
  EXPECT_LT(a.final_loss, kLossBound);
  EXPECT_GE(a.final_accuracy, 0.9);

  const RunResult b = Train(2024);
  ASSERT_EQ(a.step_losses.size(), b.step_losses.size());
  for (size_t i = 0; i < a.step_losses.size(); ++i) {
    ASSERT_EQ(a.step_losses[i], b.step_losses[i]) << "step " << i << " differs between identical runs";
  }
  EXPECT_EQ(a.final_loss, b.final_loss);
  EXPECT_EQ(a.fc_weight, b.fc_weight);

  // Informational: whether the ops under this run are also invariant to the thread count.
  const int threads = NumThreads();
  SetNumThreads(1);
  const RunResult c = Train(2024);
  SetNumThreads(threads);
  std::printf("one thread vs %d threads: per-step losses %s\n", threads,
              c.step_losses == a.step_losses ? "bitwise identical" : "differ");
}

}  // namespace
}  // namespace nb360
