// tests/tasks/all_tasks_test.cc: every registered task, through the same checks on its synthetic set:
// determinism, split structure per run mode, batch shapes against TaskInfo, loss and gradient, metric
// wiring — and (TaskLearns) that a tiny model trained for a few epochs beats the untrained model on the
// task's own published metric, i.e. the synthetic signal is learnable.
#include <cmath>
#include <cstring>
#include <string>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "engine/optim/optim.h"
#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "ops/pool.h"
#include "ops/shape_ops.h"
#include "tasks/common/loader.h"
#include "tasks/registry.h"

namespace nb360::tasks {
namespace {

class AllTasks : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Task>> t = MakeTask(GetParam());
    ASSERT_TRUE(t.ok()) << t.status();
    task_ = *std::move(t);
  }
  std::unique_ptr<Task> task_;
};

Shape WithBatch(int64_t n, Shape s) {
  s.insert(s.begin(), n);
  return s;
}

TEST_P(AllTasks, InfoIsComplete) {
  const TaskInfo& info = task_->info();
  EXPECT_EQ(info.name, GetParam());
  EXPECT_FALSE(info.title.empty());
  EXPECT_EQ(info.input_shape.size(), info.one_d ? 2u : 3u);
  EXPECT_GT(info.num_classes, 0);
  EXPECT_FALSE(info.metric.empty());
  EXPECT_GT(info.batch.wrn, 0);
  EXPECT_GT(info.batch.darts_search, 0);
  EXPECT_GT(info.batch.darts_eval, 0);
}

TEST_P(AllTasks, SyntheticIsDeterministicAndLabelled) {
  Dataset a = task_->MakeSynthetic({.seed = 11});
  Dataset b = task_->MakeSynthetic({.seed = 11});
  Dataset c = task_->MakeSynthetic({.seed = 12});
  EXPECT_EQ(a.manifest.task, GetParam());
  EXPECT_EQ(a.manifest.source, "synthetic");
  ASSERT_FALSE(a.arrays.empty());
  ASSERT_EQ(a.arrays.size(), b.arrays.size());
  bool any_differs = false;
  for (const auto& [name, v] : a.arrays) {
    const ArrayView& w = b.arrays.at(name);
    ASSERT_EQ(v.shape, w.shape) << name;
    ASSERT_EQ(v.dtype, w.dtype) << name;
    const size_t bytes = v.numel() * DTypeSize(v.dtype);
    EXPECT_EQ(std::memcmp(v.raw, w.raw, bytes), 0) << name << " differs between equal seeds";
    const ArrayView& x = c.arrays.at(name);
    if (x.shape != v.shape || std::memcmp(v.raw, x.raw, bytes) != 0) any_differs = true;
  }
  EXPECT_TRUE(any_differs) << "seed does not change the synthetic data";
}

TEST_P(AllTasks, SplitsBatchesLossAndMetric) {
  const TaskInfo& info = task_->info();
  Dataset d = task_->MakeSynthetic({.seed = 5});
  for (RunMode mode : {RunMode::kSearch, RunMode::kRetrain}) {
    SCOPED_TRACE(std::string(RunModeName(mode)));
    absl::StatusOr<TaskData> data = task_->Build(d, {.mode = mode, .seed = 5});
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_NE(data->train, nullptr);
    ASSERT_NE(data->test, nullptr);
    ASSERT_NE(data->objective, nullptr);
    EXPECT_GT(data->train->size(), 1);
    EXPECT_GT(data->test->size(), 0);
    if (mode == RunMode::kSearch) {
      ASSERT_NE(data->val, nullptr);
      EXPECT_GT(data->val->size(), 0);
    }
    Loader loader(data->train, {.batch_size = 3, .shuffle = true, .augment = data->augment_train, .seed = 1});
    loader.StartEpoch(0);
    Batch b;
    ASSERT_TRUE(loader.Next(&b));
    EXPECT_EQ(b.x.shape(), WithBatch(3, info.input_shape));
    for (float v : b.x.ToVector<float>()) ASSERT_TRUE(std::isfinite(v));
    // Loss of a constant output is finite and differentiable.
    Tensor out = Tensor::Full(WithBatch(3, info.output_shape), 0.1);
    out.set_requires_grad(true);
    Tensor loss = data->objective->Loss(out, b);
    ASSERT_EQ(loss.numel(), 1);
    EXPECT_TRUE(std::isfinite(loss.item())) << loss.item();
    loss.Backward();
    ASSERT_TRUE(out.grad().defined());
    // The metric over the evaluation split of this mode.
    auto eval = mode == RunMode::kSearch ? data->val : data->test;
    if (info.name == "psicov" && mode == RunMode::kRetrain) continue;  // 512 canvas: tiled, see psicov tests
    std::unique_ptr<Metric> m = data->objective->NewMetric(mode == RunMode::kSearch ? Split::kVal : Split::kTest);
    Loader el(eval, {.batch_size = 4, .augment = data->augment(mode == RunMode::kSearch ? Split::kVal : Split::kTest),
                     .seed = 2});
    el.StartEpoch(0);
    while (el.Next(&b)) m->Add(Tensor::Full(WithBatch(b.size(), info.output_shape), 0.1), b);
    MetricValues v = m->Result();
    ASSERT_TRUE(v.values.count(v.primary)) << v.primary;
    EXPECT_TRUE(std::isfinite(v.primary_value())) << v.primary;
  }
}

// A tiny model for any task: conv features, then a pooled linear head (point tasks) or a conv head
// (dense tasks).
class TinyModel : public nn::Module {
 public:
  TinyModel(const TaskInfo& info, Generator& gen) : Module("TinyModel"), info_(info) {
    const int64_t c = info.input_shape[0], k = info.num_classes;
    if (info.one_d) {
      conv1d_ = std::make_shared<nn::Conv1d>(c, 32, 9, gen, Conv1dParams{.padding = 4});
      RegisterModule("conv", conv1d_);
      head_ = std::make_shared<nn::Linear>(32 * 9, k, gen);
    } else {
      conv_ = std::make_shared<nn::Conv2d>(c, 16, 3, gen, nn::Conv2dOptions(1, 1));
      RegisterModule("conv", conv_);
      if (info.dense) {
        conv_head_ = std::make_shared<nn::Conv2d>(16, info.output_shape[0], 3, gen, nn::Conv2dOptions(1, 1));
        RegisterModule("head", conv_head_);
      } else {
        head_ = std::make_shared<nn::Linear>(16 * 16, k, gen);
      }
    }
    if (head_) RegisterModule("head", head_);
  }
  Tensor Forward(const Tensor& x) override {
    if (info_.one_d) {
      // Average-pooled profile (rhythms, series shape) and global max (motif presence).
      Tensor h = Relu(conv1d_->Forward(x));
      const int64_t l = h.size(2);
      Tensor pooled = Cat({AdaptiveAvgPool1d(h, 8), MaxPool1d(h, l, l)}, 2);
      return head_->Forward(pooled.Flatten(1));
    }
    Tensor h = Relu(conv_->Forward(x));
    if (info_.dense) return conv_head_->Forward(h);
    return head_->Forward(AdaptiveAvgPool2d(h, 4, 4).Flatten(1));
  }

 private:
  TaskInfo info_;
  std::shared_ptr<nn::Conv1d> conv1d_;
  std::shared_ptr<nn::Conv2d> conv_, conv_head_;
  std::shared_ptr<nn::Linear> head_;
};

MetricValues after_all;

double Evaluate(TinyModel& model, const TaskData& data) {
  NoGradGuard no_grad;
  std::unique_ptr<Metric> m = data.objective->NewMetric(Split::kVal);
  Loader l(data.val, {.batch_size = 16, .augment = data.augment_val, .seed = 3});
  l.StartEpoch(0);
  Batch b;
  while (l.Next(&b)) m->Add(model.Forward(b.x), b);
  after_all = m->Result();
  return after_all.primary_value();
}

TEST_P(AllTasks, TaskLearns) {
  const TaskInfo& info = task_->info();
  absl::StatusOr<TaskData> data = LoadTaskData(*task_, {.mode = RunMode::kSearch, .data = "synthetic", .seed = 1});
  ASSERT_TRUE(data.ok()) << data.status();
  Generator gen(7);
  TinyModel model(info, gen);
  const double before = Evaluate(model, *data);
  const double before_mauc = info.multi_label ? after_all.values.at("mauc") : 0.0;
  optim::Adam opt(model.Parameters(), optim::AdamOptions{.lr = 3e-3});
  Loader l(data->train, {.batch_size = 16, .shuffle = true, .drop_last = true, .augment = data->augment_train, .seed = 4});
  // At least 6 epochs and 400 steps.
  const int64_t epochs = std::max<int64_t>(6, (400 + l.num_batches() - 1) / std::max<int64_t>(1, l.num_batches()));
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    l.StartEpoch(epoch);
    Batch b;
    while (l.Next(&b)) {
      opt.ZeroGrad();
      Tensor loss = data->objective->Loss(model.Forward(b.x), b);
      ASSERT_TRUE(std::isfinite(loss.item())) << "epoch " << epoch;
      loss.Backward();
      opt.Step();
    }
  }
  const double after = Evaluate(model, *data);
  std::printf("%s: %s before %.4f after %.4f\n", info.name.c_str(), info.metric.c_str(), before, after);
  for (const auto& [k, v] : after_all.values) std::printf("  %s = %.4f\n", k.c_str(), v);
  if (info.multi_label) {
    // Most of FSD50K's 200 classes have no positive clip in a small validation split, so its mAP moves
    // little; the mean ROC-AUC over the labels where it is defined shows learning for both tasks.
    EXPECT_GT(after_all.values.at("mauc"), std::max(0.6, before_mauc + 0.05)) << "mean ROC-AUC did not improve";
  } else {
    EXPECT_LT(after, before * 0.9) << info.metric << " did not improve: the synthetic signal is not learnable";
  }
  if (!info.dense && !info.multi_label) {
    const double chance_error = 100.0 * (1.0 - 1.0 / info.num_classes);
    EXPECT_LT(after, chance_error - 10.0) << "not clearly better than chance";
  }
}

INSTANTIATE_TEST_SUITE_P(Tasks, AllTasks, ::testing::ValuesIn(TaskNames()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace nb360::tasks
