// tasks/train/graphed_step.h: the training step's forward, loss and backward as a recorded device
// graph (--cuda_graph; engine/device_ops.h DeviceOps::Capture, a CUDA graph on the GPU).
//
// Per batch shape: the first step runs eagerly (it fills the convolution-plan, cuBLAS/cuFFT and
// allocator caches); the second records the step into a graph over fixed device copies of the batch;
// that and every later step at that shape copy the host batch into those buffers and replay the
// graph, which writes the loss and every parameter's gradient into the same tensors each time
// (re-attached to the parameters after the replay). Steps at other shapes (a short last batch) run
// eagerly. The optimizer step, gradient clipping and the loss read-back stay outside the graph, so
// learning-rate changes need no re-recording.
// What cannot be recorded (random draws such as dropout masks, which a replay would repeat; host
// reads or checks inside the step) makes the recording fail with the engine's error; the step then runs eagerly and
// stays eager for the rest of the run, and note() says why.
#ifndef NB360_TASKS_TRAIN_GRAPHED_STEP_H_
#define NB360_TASKS_TRAIN_GRAPHED_STEP_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/device_ops.h"
#include "engine/nn/module.h"
#include "engine/precision.h"
#include "tasks/common/batch.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

class GraphedStep {
 public:
  GraphedStep(nn::Module& model, const Objective& objective, Device device, MathPrecision autocast);
  ~GraphedStep();

  // Forward, loss and backward for `batch` (host tensors), with the model's gradients zeroed first:
  // returns the loss (a device scalar); the parameters' grad() hold the gradients.
  Tensor Step(const Batch& batch);

  // Why recording was given up ("" when it was not), and how many steps were replays.
  const std::string& note() const { return note_; }
  int64_t replays() const { return replays_; }

 private:
  // The shapes a graph is recorded for: x, y and aux.
  std::vector<Shape> KeyOf(const Batch& b) const;
  Tensor Eager(const Batch& batch);
  Tensor Record(const Batch& batch);
  Tensor Replay(const Batch& batch);

  nn::Module& model_;
  const Objective& objective_;
  Device device_;
  MathPrecision autocast_;
  std::vector<Shape> warm_key_;   // the shapes of the last eager step
  std::vector<Shape> graph_key_;  // the shapes the graph was recorded for
  std::unique_ptr<DeviceGraph> graph_;
  Batch inputs_;                  // the graph's batch buffers on the device
  Tensor loss_;                   // the graph's loss
  std::vector<std::pair<Tensor, Tensor>> grads_;  // (parameter, the graph's gradient tensor)
  std::string note_;
  int64_t replays_ = 0;
};

}  // namespace nb360::tasks

#endif  // NB360_TASKS_TRAIN_GRAPHED_STEP_H_
