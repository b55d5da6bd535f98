// tasks/train/graphed_step.cc: see graphed_step.h.
#include "tasks/train/graphed_step.h"

#include <exception>

#include "engine/check.h"

namespace nb360::tasks {

GraphedStep::GraphedStep(nn::Module& model, const Objective& objective, Device device, MathPrecision autocast)
    : model_(model), objective_(objective), device_(device), autocast_(autocast) {}

GraphedStep::~GraphedStep() = default;

std::vector<Shape> GraphedStep::KeyOf(const Batch& b) const {
  return {b.x.shape(), b.y.defined() ? b.y.shape() : Shape{-1}, b.aux.defined() ? b.aux.shape() : Shape{-1}};
}

Tensor GraphedStep::Step(const Batch& batch) {
  const std::vector<Shape> key = KeyOf(batch);
  if (graph_ != nullptr && key == graph_key_) return Replay(batch);
  if (graph_ == nullptr && note_.empty() && key == warm_key_) return Record(batch);
  warm_key_ = key;
  return Eager(batch);
}

Tensor GraphedStep::Eager(const Batch& batch) {
  model_.ZeroGrad();
  const Batch b = OnDevice(batch, device_);
  Tensor loss;
  {
    AutocastScope scope(autocast_);
    loss = objective_.Loss(model_.Forward(b.x), b);
  }
  loss.Backward();
  return loss.Detach();
}

Tensor GraphedStep::Record(const Batch& batch) {
  inputs_ = OnDevice(batch, device_);  // outside the graph's memory: the replays' input buffers
  model_.ZeroGrad();
  Tensor loss;
  try {
    DeviceOps* ops = GetDeviceOps(device_.type);
    if (ops == nullptr) ThrowError("graph capture is not supported by the ", device_.ToString(), " backend");
    graph_ = ops->Capture([&] {
      AutocastScope scope(autocast_);
      Tensor l = objective_.Loss(model_.Forward(inputs_.x), inputs_);
      l.Backward();
      loss = l.Detach();
    });
  } catch (const std::exception& e) {
    note_ = std::string("the training step could not be recorded as a CUDA graph (") + e.what() +
            "); it runs eagerly";
    graph_.reset();
    inputs_ = Batch();
    return Eager(batch);
  }
  graph_key_ = KeyOf(batch);
  loss_ = loss;
  grads_.clear();
  for (const Tensor& p : model_.Parameters()) {
    if (p.grad().defined()) grads_.emplace_back(p, p.grad());
  }
  // Recording ran nothing on the device: this step is the first replay (inputs_ holds its batch).
  graph_->Replay();
  ++replays_;
  return loss_;
}

Tensor GraphedStep::Replay(const Batch& batch) {
  model_.ZeroGrad();
  inputs_.x.CopyFrom(batch.x);
  if (inputs_.y.defined()) inputs_.y.CopyFrom(batch.y);
  if (inputs_.aux.defined()) inputs_.aux.CopyFrom(batch.aux);
  inputs_.index = batch.index;
  inputs_.group = batch.group;
  inputs_.extra = batch.extra;
  graph_->Replay();
  for (auto& [param, grad] : grads_) param.set_grad(grad);
  ++replays_;
  return loss_;
}

}  // namespace nb360::tasks
