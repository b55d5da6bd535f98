// engine/autograd.h: the define-by-run tape.
//
// Every differentiable op that sees an input with requires_grad records one Node on its output. A
// Node holds edges to the nodes of its inputs (or to the AccumulateGrad node of a leaf) and a
// backward closure that captures only what the gradient needs. Backward() walks the graph in
// topological order, sums gradients that meet at a node, writes leaf gradients into .grad
// (accumulating across calls) and frees each closure once it has run, so a graph is used once.
// Gradients are first order: closures run under NoGradGuard.
//
// Example (inside an op):
//   Tensor y = ...forward...;
//   RecordOp("exp", {x}, y, [y](const Tensor& gy) { return Grads{Mul(gy, y)}; });
#ifndef NB360_ENGINE_AUTOGRAD_H_
#define NB360_ENGINE_AUTOGRAD_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace nb360 {

using Grads = std::vector<Tensor>;  // one per op input; undefined where the input needs none

class Node {
 public:
  virtual ~Node() = default;
  // Gradients with respect to this node's inputs, given the gradient of its output.
  virtual Grads Apply(const Tensor& grad_output) = 0;
  // Drops saved tensors after the node has run.
  virtual void Release() {}
  virtual std::string name() const = 0;

  // next[i]: the node fed by input i's gradient (null if input i needs no gradient).
  std::vector<std::shared_ptr<Node>> next;
};

class FunctionNode : public Node {
 public:
  using BackwardFn = std::function<Grads(const Tensor&)>;
  FunctionNode(std::string name, BackwardFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  Grads Apply(const Tensor& grad_output) override;
  void Release() override { fn_ = nullptr; }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  BackwardFn fn_;
};

// Writes gradients into a leaf tensor's .grad (summing with what is there).
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::weak_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  Grads Apply(const Tensor& grad_output) override;
  std::string name() const override { return "AccumulateGrad"; }

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

// Whether ops record graph nodes (thread-local; on by default).
bool GradEnabled();

// Disables recording for its scope (optimizer steps, evaluation).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any input requires a gradient.
bool NeedsGrad(std::initializer_list<const Tensor*> inputs);
bool NeedsGrad(const std::vector<Tensor>& inputs);

// Attaches a backward closure to `output` if any of `inputs` requires a gradient.
void RecordOp(const std::string& name, const std::vector<Tensor>& inputs, const Tensor& output,
              FunctionNode::BackwardFn backward);

// Runs backpropagation from `root` with d(loss)/d(root) = grad.
void RunBackward(const Tensor& root, const Tensor& grad);

// Sums `grad` over broadcast dimensions so that it has `shape` (for broadcasting ops' backward).
Tensor SumToShape(const Tensor& grad, const Shape& shape);

}  // namespace nb360

#endif  // NB360_ENGINE_AUTOGRAD_H_
