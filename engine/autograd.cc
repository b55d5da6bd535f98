#include "engine/autograd.h"

#include <unordered_map>
#include <vector>

#include "engine/memory_format.h"
#include "engine/reduce_kernel.h"
#include "engine/strided.h"

namespace nb360 {
namespace {

thread_local bool g_grad_enabled = true;

// a + b for same-shaped floating tensors (gradient accumulation; not recorded).
Tensor AddSameShape(const Tensor& a, const Tensor& b) {
  NB_CHECK(a.shape() == b.shape(), "gradient accumulation: shapes ", ShapeString(a.shape()), " and ",
           ShapeString(b.shape()), " differ");
  const Tensor bb = b.dtype() == a.dtype() ? b : b.To(a.dtype());
  // Sums of two channels-last gradients stay channels-last (engine/memory_format.h).
  const bool channels_last = IsChannelsLast(a) && IsChannelsLast(bb);
  Tensor out = channels_last ? EmptyChannelsLast(a.shape(), a.dtype(), a.device())
                             : Tensor::Empty(a.shape(), a.dtype(), a.device());
  // Channels-last operands are walked in memory order, as one contiguous row.
  const Tensor va = channels_last ? MemoryOrderView(a) : a;
  const Tensor vb = channels_last ? MemoryOrderView(bb) : bb;
  const Tensor vo = channels_last ? MemoryOrderView(out) : out;
  DispatchFloating(a.dtype(), "gradient accumulation", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = bb.data<T>();
    T* po = out.data<T>();
    ForEachRow<3>(va.shape(), {vo.strides(), va.strides(), vb.strides()},
                  [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
                    for (int64_t i = 0; i < n; ++i) {
                      po[off[0] + i * st[0]] = pa[off[1] + i * st[1]] + pb[off[2] + i * st[2]];
                    }
                  });
  });
  return out;
}

}  // namespace

Grads FunctionNode::Apply(const Tensor& grad_output) {
  NB_CHECK(fn_ != nullptr, "backward through ", name_, " a second time: the graph was freed by the "
           "first Backward()");
  return fn_(grad_output);
}

Grads AccumulateGrad::Apply(const Tensor& grad_output) {
  std::shared_ptr<TensorImpl> leaf = leaf_.lock();
  if (leaf == nullptr) return {};
  Tensor t(leaf);
  // Work on grad_output itself unless it must be reduced or converted, so that the ownership check
  // below sees the engine's own handle only.
  Tensor converted;
  if (grad_output.shape() != t.shape()) converted = SumToShape(grad_output, t.shape());
  if ((converted.defined() ? converted : grad_output).dtype() != t.dtype()) {
    converted = (converted.defined() ? converted : grad_output).To(t.dtype());
  }
  const Tensor& g = converted.defined() ? converted : grad_output;
  Tensor prev = t.grad();
  if (prev.defined()) {
    t.set_grad(AddSameShape(prev, g));
  } else if (g.IsUniquelyOwned() && (g.is_contiguous() || IsChannelsLast(g))) {
    t.set_grad(g);  // nobody else holds this buffer: keep it instead of copying
  } else {
    // Own the stored gradient: it must not alias a tensor the caller may still read or modify.
    t.set_grad(g.Clone().Detach());
  }
  return {};
}

bool GradEnabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

bool NeedsGrad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs) {
    if (t != nullptr && t->requires_grad()) return true;
  }
  return false;
}

bool NeedsGrad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs) {
    if (t.requires_grad()) return true;
  }
  return false;
}

void RecordOp(const std::string& name, const std::vector<Tensor>& inputs, const Tensor& output,
              FunctionNode::BackwardFn backward) {
  if (!NeedsGrad(inputs)) return;
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  node->next.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    if (!in.requires_grad()) {
      node->next.push_back(nullptr);
    } else if (in.grad_fn() != nullptr) {
      node->next.push_back(in.grad_fn());
    } else {
      node->next.push_back(in.GradAccumulator());
    }
  }
  output.set_grad_fn(std::move(node));
}

void RunBackward(const Tensor& root, const Tensor& grad) {
  NB_CHECK(root.defined() && root.requires_grad(), "Backward: tensor ", root.Describe(),
           " does not require grad (no parameter feeds it, or it was computed under NoGradGuard)");
  Tensor g = grad;
  if (!g.defined()) {
    NB_CHECK(root.numel() == 1, "Backward: a gradient is needed for non-scalar ", root.Describe());
    g = Tensor::Ones(root.shape(), root.dtype(), root.device());
  }
  NB_CHECK(g.shape() == root.shape(), "Backward: gradient ", g.Describe(), " does not match ",
           root.Describe());
  NoGradGuard no_grad;
  std::shared_ptr<Node> start = root.grad_fn() != nullptr ? root.grad_fn() : root.GradAccumulator();

  // Count, for every node, how many edges lead into it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{start.get()};
  deps[start.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const auto& next : n->next) {
      if (next == nullptr) continue;
      if (deps.find(next.get()) == deps.end()) {
        deps[next.get()] = 0;
        stack.push_back(next.get());
      }
      ++deps[next.get()];
    }
  }

  std::unordered_map<Node*, Tensor> pending;
  pending[start.get()] = g;
  std::vector<std::shared_ptr<Node>> ready{start};
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    Grads grads;
    auto it = pending.find(node.get());
    if (it != pending.end()) {  // a node all of whose gradients were undefined is only walked past
      Tensor node_grad = std::move(it->second);
      pending.erase(it);
      grads = node->Apply(node_grad);
    }
    node->Release();
    for (size_t i = 0; i < node->next.size(); ++i) {
      const std::shared_ptr<Node>& next = node->next[i];
      if (next == nullptr) continue;
      if (i < grads.size() && grads[i].defined()) {
        Tensor& slot = pending[next.get()];
        slot = slot.defined() ? AddSameShape(slot, grads[i]) : grads[i];
      }
      if (--deps[next.get()] == 0) ready.push_back(next);
    }
  }
}

Tensor SumToShape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  NB_CHECK(lead >= 0, "SumToShape: cannot reduce ", grad.Describe(), " to ", ShapeString(shape));
  std::vector<bool> reduce(grad.dim(), false);
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < lead) {
      reduce[d] = true;
    } else if (shape[d - lead] != grad.shape()[d]) {
      NB_CHECK(shape[d - lead] == 1, "SumToShape: cannot reduce ", grad.Describe(), " to ",
               ShapeString(shape));
      reduce[d] = true;
    }
  }
  Tensor out = Tensor::Empty(shape, grad.dtype(), grad.device());
  ReduceKernel(grad, reduce, ReduceKind::kSum, out);
  return out;
}

}  // namespace nb360
