// engine/tensor.h: the Tensor handle.
//
// A Tensor is a cheap-to-copy handle to (Storage, offset, shape, strides, dtype, device) plus its
// autograd metadata (requires_grad, grad, grad_fn). Views (Reshape of contiguous data, Permute,
// Transpose, Narrow, Expand, Squeeze/Unsqueeze) share storage; Contiguous() copies only if needed.
// Math lives in ops/; this file knows only layout.
//
// Example:
//   Tensor x = Tensor::Zeros({2, 3});           // float32 on the CPU
//   Tensor y = x.Transpose(0, 1).Contiguous();   // (3, 2)
#ifndef NB360_ENGINE_TENSOR_H_
#define NB360_ENGINE_TENSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/check.h"
#include "engine/device.h"
#include "engine/dtype.h"
#include "engine/storage.h"

namespace nb360 {

using Shape = std::vector<int64_t>;

class Node;
class AccumulateGrad;
struct TensorImpl;

int64_t NumElements(const Shape& shape);
Shape ContiguousStrides(const Shape& shape);
std::string ShapeString(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;

  // Factories (uninitialised, zero, one, filled, copied from host data).
  static Tensor Empty(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::CPU());
  static Tensor Zeros(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::CPU());
  static Tensor Ones(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::CPU());
  static Tensor Full(const Shape& shape, double value, DType dtype = DType::kFloat32,
                     Device device = Device::CPU());
  static Tensor Scalar(double value, DType dtype = DType::kFloat32);
  template <class T>
  static Tensor FromVector(const std::vector<T>& values, const Shape& shape);
  static Tensor Arange(int64_t n, DType dtype = DType::kInt64);
  static Tensor EmptyLike(const Tensor& t) { return Empty(t.shape(), t.dtype(), t.device()); }
  static Tensor ZerosLike(const Tensor& t) { return Zeros(t.shape(), t.dtype(), t.device()); }

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;   // d may be negative
  int64_t stride(int64_t d) const;
  int64_t numel() const;
  int64_t offset() const;          // in elements
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;

  // Typed pointer to element 0 (offset applied); T must match dtype().
  template <class T> T* data() const;
  void* raw_data() const;
  // The single value of a one-element tensor, converted to double.
  double item() const;
  // Copies the elements out in row-major order, converting to T.
  template <class T> std::vector<T> ToVector() const;

  // --- Views (share storage; autograd-aware) ---
  Tensor Reshape(const Shape& shape) const;   // -1 infers one dimension; copies if not viewable
  Tensor Flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor Permute(const std::vector<int64_t>& dims) const;
  Tensor Transpose(int64_t d0, int64_t d1) const;
  Tensor Narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor Select(int64_t dim, int64_t index) const;  // Narrow + drop the dimension
  Tensor Expand(const Shape& shape) const;          // broadcast size-1 dims (stride 0)
  Tensor Squeeze(int64_t dim) const;
  Tensor Unsqueeze(int64_t dim) const;
  Tensor Contiguous() const;                        // self if already contiguous
  Tensor Clone() const;                             // always a fresh contiguous copy
  Tensor To(DType dtype) const;                     // converts (differentiable between floats)
  Tensor To(Device device) const;

  // --- Autograd ---
  bool requires_grad() const;
  Tensor& set_requires_grad(bool requires);
  bool is_leaf() const;
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  void ZeroGrad() const;
  const std::shared_ptr<Node>& grad_fn() const;
  void set_grad_fn(std::shared_ptr<Node> fn) const;
  // The node that accumulates into this leaf's .grad (created on first use, shared afterwards).
  std::shared_ptr<Node> GradAccumulator() const;
  // Backpropagates from this tensor: a scalar needs no gradient; otherwise pass d(loss)/d(this).
  void Backward(const Tensor& grad = Tensor()) const;
  // Same data, cut from the graph.
  Tensor Detach() const;

  // In-place copy of src's values into this tensor's view (same shape after broadcast); no autograd.
  void CopyFrom(const Tensor& src) const;
  void Fill(double value) const;

  std::string ToString(int64_t max_elements = 16) const;
  // Descriptive "float32[2, 3]" for error messages.
  std::string Describe() const;

  bool SameImpl(const Tensor& o) const { return impl_ == o.impl_; }
  // True when this handle is the only reference to its impl and the impl the only user of its
  // storage: nothing else can observe or modify the data.
  bool IsUniquelyOwned() const;
  TensorImpl* impl() const { return impl_.get(); }
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;
  Shape shape;
  Shape strides;
  DType dtype = DType::kFloat32;
  // Autograd metadata.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;
};

// A view of `base` with a new layout sharing its storage (no autograd record).
Tensor MakeView(const Tensor& base, Shape shape, Shape strides, int64_t offset);

template <class T>
T* Tensor::data() const {
  NB_CHECK(defined(), "data(): undefined tensor");
  NB_CHECK(DTypeOf<T>::value == dtype(), "data<", DTypeName(DTypeOf<T>::value), ">() on a ",
           Describe(), " tensor");
  return static_cast<T*>(raw_data());
}

template <class T>
Tensor Tensor::FromVector(const std::vector<T>& values, const Shape& shape) {
  NB_CHECK(static_cast<int64_t>(values.size()) == NumElements(shape), "FromVector: ", values.size(),
           " values for shape ", ShapeString(shape));
  Tensor t = Empty(shape, DTypeOf<T>::value);
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

}  // namespace nb360

#endif  // NB360_ENGINE_TENSOR_H_
