// tools/train_demo.cc: the Quickstart's main job — a short CPU training run that shows the engine
// learning, checkpointing and resuming.
//
// A small CNN (conv-BN-ReLU-pool, conv-BN-ReLU, global pool, linear) learns to tell four stripe
// orientations apart in noisy 16x16 images drawn from the seeded Philox generator. Every epoch ends
// with an atomic checkpoint (model, optimizer, data-order RNG, epoch) in --out; a rerun resumes from
// the latest one and finishes with exactly the numbers an uninterrupted run prints. The final
// metrics go to <out>/results.json. Later issues replace this with `bazel run //tasks:<task>`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "engine/autograd.h"
#include "engine/io/atomic_file.h"
#include "engine/io/checkpoint.h"
#include "engine/io/json.h"
#include "engine/nn/nn.h"
#include "engine/optim/optim.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "ops/loss.h"
#include "ops/pool.h"
#include "ops/reduce.h"
#include "ops/shape_ops.h"

ABSL_FLAG(int64_t, seed, 1, "random seed (weights, data, order)");
ABSL_FLAG(int64_t, epochs, 8, "training epochs");
ABSL_FLAG(int64_t, batch, 32, "batch size");
ABSL_FLAG(double, lr, 0.05, "peak learning rate (SGD, momentum 0.9, cosine schedule)");
ABSL_FLAG(int64_t, train_size, 1024, "training images");
ABSL_FLAG(int64_t, test_size, 512, "held-out images");
ABSL_FLAG(std::string, out, "/tmp/nb360_demo", "run directory (checkpoints, results.json)");
ABSL_FLAG(bool, resume, true, "resume from the latest checkpoint in --out");
ABSL_FLAG(int64_t, stop_after_epoch, -1, "stop (as if killed) after this many epochs; for resume demos");

namespace nb360 {
namespace {

constexpr int64_t kClasses = 4, kSide = 16;

struct Dataset {
  Tensor images;  // (N, 1, 16, 16) float32
  Tensor labels;  // (N) int64
};

// Stripes at 0, 45, 90 or 135 degrees with random frequency and phase, plus Gaussian noise.
Dataset MakeStripes(int64_t n, Generator gen) {
  Dataset d{Tensor::Empty({n, 1, kSide, kSide}), Tensor::Empty({n}, DType::kInt64)};
  Tensor noise = Tensor::Empty({n, 1, kSide, kSide});
  gen.Normal(noise, 0.0, 1.5);
  float* img = d.images.data<float>();
  const float* nz = noise.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = gen.RandInt(kClasses);
    d.labels.data<int64_t>()[i] = label;
    const double angle = M_PI / 4 * static_cast<double>(label);
    const double freq = 0.5 + 0.4 * gen.NextDouble(), phase = 2 * M_PI * gen.NextDouble();
    for (int64_t y = 0; y < kSide; ++y) {
      for (int64_t x = 0; x < kSide; ++x) {
        const int64_t k = (i * kSide + y) * kSide + x;
        img[k] = static_cast<float>(std::sin(freq * (x * std::cos(angle) + y * std::sin(angle)) + phase) + nz[k]);
      }
    }
  }
  return d;
}

// features (conv-BN-ReLU x3, one stride-2) -> global average pool -> linear.
class DemoNet : public nn::Module {
 public:
  explicit DemoNet(Generator& gen) : Module("DemoNet") {
    features_ = RegisterModule("features", std::make_shared<nn::Sequential>());
    int64_t in = 1;
    for (const auto& [out, stride] : std::vector<std::pair<int64_t, int64_t>>{{16, 1}, {32, 2}, {32, 1}}) {
      features_->Add(std::make_shared<nn::Conv2d>(in, out, 3, gen, nn::Conv2dOptions(stride, 1)));
      features_->Add(std::make_shared<nn::BatchNorm2d>(out));
      features_->Add(std::make_shared<nn::ReLU>());
      in = out;
    }
    head_ = RegisterModule("head", std::make_shared<nn::Linear>(in, kClasses, gen));
  }
  // x (N, 1, 16, 16) -> logits (N, 4).
  Tensor Forward(const Tensor& x) override { return head_->Forward(GlobalAvgPool2d(features_->Forward(x))); }

 private:
  std::shared_ptr<nn::Sequential> features_;
  std::shared_ptr<nn::Linear> head_;
};

double Accuracy(DemoNet& model, const Dataset& d) {
  NoGradGuard no_grad;
  model.eval();
  const Tensor pred = Argmax(model.Forward(d.images), 1);
  model.train();
  int64_t correct = 0;
  for (int64_t i = 0; i < d.labels.numel(); ++i) {
    correct += pred.data<int64_t>()[i] == d.labels.data<int64_t>()[i];
  }
  return static_cast<double>(correct) / static_cast<double>(d.labels.numel());
}

absl::Status Run() {
  const int64_t seed = absl::GetFlag(FLAGS_seed), epochs = absl::GetFlag(FLAGS_epochs);
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const std::string out = absl::GetFlag(FLAGS_out);
  Generator root(static_cast<uint64_t>(seed));
  const Dataset train = MakeStripes(absl::GetFlag(FLAGS_train_size), root.Fork("train data"));
  const Dataset test = MakeStripes(absl::GetFlag(FLAGS_test_size), root.Fork("test data"));
  Generator init = root.Fork("init");
  DemoNet model(init);
  optim::SGD sgd(model.Parameters(), {.lr = absl::GetFlag(FLAGS_lr), .momentum = 0.9, .weight_decay = 5e-4});
  const int64_t steps_per_epoch = (train.labels.numel() + batch - 1) / batch;
  optim::CosineAnnealing schedule(absl::GetFlag(FLAGS_lr), epochs * steps_per_epoch);

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return absl::InvalidArgumentError("cannot create run directory " + out + ": " + ec.message());
  int64_t start_epoch = 0;
  if (absl::GetFlag(FLAGS_resume)) {
    absl::StatusOr<std::optional<std::string>> latest = io::LatestCheckpoint(out);
    if (!latest.ok()) return latest.status();
    if (latest->has_value()) {
      absl::StatusOr<io::Checkpoint> ck = io::LoadCheckpoint(**latest);
      if (!ck.ok()) return ck.status();
      nn::NamedTensors model_state, optim_state;
      for (const auto& [name, t] : ck->tensors) {
        if (name.rfind("model/", 0) == 0) model_state.emplace_back(name.substr(6), t);
        if (name.rfind("optim/", 0) == 0) optim_state.emplace_back(name.substr(6), t);
      }
      if (absl::Status s = model.LoadStateDict(model_state); !s.ok()) return s;
      if (absl::Status s = sgd.LoadStateDict(optim::StateFromTensors(optim_state)); !s.ok()) return s;
      if (absl::Status s = io::RestoreGeneratorState(*ck, "root", &root); !s.ok()) return s;
      absl::StatusOr<int64_t> epoch = io::GetInt(*ck, "epoch");
      if (!epoch.ok()) return epoch.status();
      start_epoch = *epoch + 1;
      std::printf("resumed from %s (epoch %lld done)\n", latest->value().c_str(), static_cast<long long>(*epoch));
    }
  }

  std::printf("nb360 demo: %lld train / %lld test images, %lld parameters, %d threads, seed %lld\n",
              static_cast<long long>(train.labels.numel()), static_cast<long long>(test.labels.numel()),
              static_cast<long long>(model.NumParameters()), NumThreads(),
              static_cast<long long>(seed));
  double last_loss = 0, test_acc = 0;
  for (int64_t epoch = start_epoch; epoch < epochs; ++epoch) {
    // The data order of epoch e depends only on (seed, e): resuming replays it exactly.
    Generator order = root.Fork("order " + std::to_string(epoch));
    const std::vector<int64_t> perm = order.Permutation(train.labels.numel());
    double loss_sum = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      optim::ApplySchedule(schedule, epoch * steps_per_epoch + s, sgd);
      const int64_t lo = s * batch, n = std::min(batch, train.labels.numel() - lo);
      const Tensor idx = Tensor::FromVector<int64_t>(std::vector<int64_t>(perm.begin() + lo, perm.begin() + lo + n), {n});
      const Tensor loss = CrossEntropy(model.Forward(IndexSelect(train.images, 0, idx)), IndexSelect(train.labels, 0, idx));
      sgd.ZeroGrad();
      loss.Backward();
      sgd.Step();
      loss_sum += loss.item() * static_cast<double>(n);
    }
    last_loss = loss_sum / static_cast<double>(train.labels.numel());
    test_acc = Accuracy(model, test);
    std::printf("epoch %2lld  train loss %.4f  test accuracy %.3f  lr %.4f\n", static_cast<long long>(epoch + 1),
                last_loss, test_acc, sgd.param_groups()[0].lr);
    std::fflush(stdout);

    io::Checkpoint ck;
    for (auto& [k, v] : model.StateDict()) ck.tensors.emplace_back("model/" + k, v);
    for (auto& [k, v] : optim::StateToTensors(sgd.StateDict())) ck.tensors.emplace_back("optim/" + k, v);
    io::SetInt(&ck, "epoch", epoch);
    io::SetInt(&ck, "seed", seed);
    io::SetGeneratorState(&ck, "root", root);
    if (absl::Status s = io::SaveCheckpoint(io::CheckpointPath(out, epoch), ck); !s.ok()) return s;
    if (absl::Status s = io::PruneCheckpoints(out, 2); !s.ok()) return s;
    if (epoch + 1 == absl::GetFlag(FLAGS_stop_after_epoch)) {
      std::printf("stopping after epoch %lld as asked; run again to resume\n", static_cast<long long>(epoch + 1));
      return absl::OkStatus();
    }
  }
  if (start_epoch >= epochs) test_acc = Accuracy(model, test);
  io::JsonValue result = io::JsonValue::MakeObject();
  result.Set("seed", seed);
  result.Set("epochs", epochs);
  result.Set("final_train_loss", last_loss);
  result.Set("test_accuracy", test_acc);
  if (absl::Status s = io::WriteFileAtomically(out + "/results.json", result.Serialize(2) + "\n"); !s.ok()) return s;
  std::printf("done: test accuracy %.3f; results in %s/results.json\n", test_acc, out.c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace nb360

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status s = nb360::Run();
  if (!s.ok()) {
    std::fprintf(stderr, "train_demo: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
