// tests/tasks/train/tiled_eval_test.cc: PSICOV's 512 x 512 test canvases are evaluated tile by tile with
// the 128 x 128 training window (a fully convolutional tiny model that records the input sizes it sees).
#include <cstdlib>
#include <filesystem>
#include <set>

#include "engine/nn/nn.h"
#include "engine/rng.h"
#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "tasks/registry.h"
#include "tasks/train/trainer.h"

namespace nb360::tasks {
namespace {

class TinyDense : public nn::Module {
 public:
  TinyDense(int64_t in_channels, Generator& gen) : Module("TinyDense") {
    conv_ = RegisterModule("conv", std::make_shared<nn::Conv2d>(in_channels, 4, 3, gen, nn::Conv2dOptions(1, 1)));
    bn_ = RegisterModule("bn", std::make_shared<nn::BatchNorm2d>(4));
    head_ = RegisterModule("head", std::make_shared<nn::Conv2d>(4, 1, 1, gen, nn::Conv2dOptions(1, 0)));
  }
  Tensor Forward(const Tensor& x) override {
    (is_training() ? train_sizes : eval_sizes).insert(x.size(2) * 10000 + x.size(3));
    return head_->Forward(Relu(bn_->Forward(conv_->Forward(x))));
  }
  std::set<int64_t> train_sizes, eval_sizes;

 private:
  std::shared_ptr<nn::Conv2d> conv_, head_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

TEST(TiledEval, PsicovTestCanvasGoesThroughTrainingWindowTiles) {
  absl::StatusOr<std::unique_ptr<Task>> task = MakeTask("psicov");
  ASSERT_TRUE(task.ok()) << task.status();
  const TaskInfo& info = (*task)->info();
  absl::StatusOr<TaskData> data =
      LoadTaskData(**task, {.mode = RunMode::kRetrain, .data = "synthetic", .seed = 2});
  ASSERT_TRUE(data.ok()) << data.status();
  const Shape test_x = data->test->layout().x;
  ASSERT_GT(test_x[1], info.input_shape[1]) << "the test canvas should be larger than the training window";

  Generator gen(3);
  TinyDense model(info.input_shape[0], gen);
  TrainConfig c;
  c.task = "psicov";
  c.method = "tiny";
  c.mode = RunMode::kRetrain;
  c.epochs = 1;
  c.batch_size = 2;
  c.eval_batch_size = 2;
  c.lr = 0.001;
  c.seed = 4;
  const char* tmp = std::getenv("TEST_TMPDIR");
  c.out_dir = std::string(tmp ? tmp : "/tmp") + "/tiled_eval_test";
  std::filesystem::remove_all(c.out_dir);
  c.max_steps_per_epoch = 2;
  c.max_eval_batches = 1;
  absl::StatusOr<TrainResult> r = Train(model, **task, *data, c);
  ASSERT_TRUE(r.ok()) << r.status();
  const int64_t window = info.input_shape[1] * 10000 + info.input_shape[2];
  EXPECT_EQ(model.train_sizes, std::set<int64_t>{window});
  EXPECT_EQ(model.eval_sizes, std::set<int64_t>{window});
  EXPECT_EQ(r->final_split, "test");
  EXPECT_EQ(r->final.primary, info.metric);
  EXPECT_TRUE(r->final.values.count(r->final.primary));
}

}  // namespace
}  // namespace nb360::tasks
