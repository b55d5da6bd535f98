// engine/nn/module.h: Module, the base of every layer and model.
//
// A Module owns named parameters (leaf Tensors with requires_grad, trained), named buffers (state
// that is saved but not trained: BatchNorm running statistics) and named child modules, all in
// registration order. Recursive names are dotted exactly as PyTorch's ("layer1.0.conv1.weight"), so
// a StateDict() lines up key for key with the torch model built the same way.
//
// Tensors are handles: a Module keeps the same parameter Tensors for its whole life. LoadStateDict
// copies values into them in place, so optimizers holding the handles stay valid.
//
// Example:
//   class Block : public nn::Module {
//    public:
//     explicit Block(Generator& gen) : Module("Block") {
//       fc = RegisterModule("fc", std::make_shared<nn::Linear>(4, 4, gen));
//     }
//     Tensor Forward(const Tensor& x) override { return Relu(fc->Forward(x)); }
//     std::shared_ptr<nn::Linear> fc;
//   };
//   // NamedParameters(): {"fc.weight", "fc.bias"}
#ifndef NB360_ENGINE_NN_MODULE_H_
#define NB360_ENGINE_NN_MODULE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/tensor.h"

namespace nb360 {
namespace nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation of a single-input module. The base class throws (multi-input modules such as
  // MultiheadAttention add their own overloads).
  virtual Tensor Forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return Forward(x); }

  // "Linear", "Conv2d", ... (for messages and ToString()).
  const std::string& type_name() const { return type_name_; }

  // --- Registration (names must be unique within this module and contain no '.') ---
  // Registers `t` as a parameter (sets requires_grad unless `requires_grad` is false) and returns
  // the stored handle.
  Tensor RegisterParameter(const std::string& name, Tensor t, bool requires_grad = true);
  // Registers state that is saved with the module but not trained.
  Tensor RegisterBuffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> RegisterModule(const std::string& name, std::shared_ptr<M> module) {
    AddChild(name, module);
    return module;
  }

  // --- This module's own entries (by local name; throw nb360::Error if absent) ---
  Tensor Parameter(const std::string& name) const;
  Tensor Buffer(const std::string& name) const;
  std::shared_ptr<Module> Child(const std::string& name) const;
  bool HasParameter(const std::string& name) const;
  bool HasBuffer(const std::string& name) const;
  // Replaces the value behind a local parameter/buffer name (new handle; shapes may differ).
  void SetParameter(const std::string& name, const Tensor& t);
  void SetBuffer(const std::string& name, const Tensor& t);

  // --- Recursive views, PyTorch order (own entries first, then each child in order) ---
  // Parameters shared by several modules appear once (first name), as in torch.
  NamedTensors NamedParameters(bool recurse = true) const;
  std::vector<Tensor> Parameters(bool recurse = true) const;
  NamedTensors NamedBuffers(bool recurse = true) const;
  std::vector<Tensor> Buffers(bool recurse = true) const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& NamedChildren() const {
    return children_;
  }
  // Every module in the tree (pre-order), self first with name "".
  std::vector<std::pair<std::string, Module*>> NamedModules();

  // --- Modes ---
  // Sets training mode on this module and every descendant.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // --- State ---
  // Parameters then buffers of each module, pre-order, as torch's state_dict(). The tensors are the
  // live handles (detached views); Clone() them to snapshot.
  NamedTensors StateDict() const;
  // Copies values into the existing tensors. Shape and dtype mismatches are errors; with `strict`,
  // missing and unexpected keys are errors too. Every problem is named in one message, and
  // nothing is modified unless the whole load succeeds.
  absl::Status LoadStateDict(const NamedTensors& state, bool strict = true);

  // Drops every parameter's .grad (torch's zero_grad(set_to_none=True)).
  void ZeroGrad();
  // Moves every parameter and buffer to `device` in place: each tensor keeps its identity (handles
  // held anywhere, shared parameters, optimizer references) and gets device memory with the same
  // values; gradients are dropped. A no-op for tensors already there.
  void To(Device device);
  // Number of parameter elements (shared parameters counted once).
  int64_t NumParameters(bool trainable_only = false) const;

  // A tree summary: "Sequential(\n  (0): Linear(in=4, out=8, bias=true)\n ...)".
  std::string ToString() const;
  // One-line description of this module's configuration (without children), e.g. "in=4, out=8".
  virtual std::string ExtraRepr() const { return ""; }

 protected:
  void AddChild(const std::string& name, std::shared_ptr<Module> module);

 private:
  void CollectParameters(const std::string& prefix, bool recurse, NamedTensors* out,
                         std::vector<const void*>* seen) const;
  void CollectBuffers(const std::string& prefix, bool recurse, NamedTensors* out) const;
  void CollectState(const std::string& prefix, NamedTensors* out) const;
  void CollectModules(const std::string& prefix, std::vector<std::pair<std::string, Module*>>* out);
  void AppendString(std::string* out, int indent) const;
  void CheckNewName(const std::string& name) const;

  std::string type_name_;
  bool training_ = true;
  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

using ModulePtr = std::shared_ptr<Module>;

}  // namespace nn
}  // namespace nb360

#endif  // NB360_ENGINE_NN_MODULE_H_
