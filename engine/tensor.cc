#include "engine/tensor.h"

#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

#include "engine/autograd.h"
#include "engine/device_ops.h"
#include "engine/strided.h"

namespace nb360 {

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape ContiguousStrides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    s *= std::max<int64_t>(shape[d], 1);
  }
  return strides;
}

std::string ShapeString(const Shape& shape) { return StrCat(shape); }

namespace {

int64_t WrapDim(int64_t d, int64_t ndim, const char* op) {
  const int64_t w = d < 0 ? d + ndim : d;
  NB_CHECK(w >= 0 && w < std::max<int64_t>(ndim, 1), op, ": dimension ", d, " out of range for ",
           ndim, "-d tensor");
  return w;
}

const TensorImpl& Impl(const std::shared_ptr<TensorImpl>& p, const char* what) {
  NB_CHECK(p != nullptr, what, ": undefined tensor");
  return *p;
}

}  // namespace

// ---------------------------------------------------------------- factories

Tensor Tensor::Empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape) NB_CHECK(s >= 0, "Empty: negative size in shape ", ShapeString(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(NumElements(shape) * DTypeSize(dtype), device);
  impl->shape = shape;
  impl->strides = ContiguousStrides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::Zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = Empty(shape, dtype, device);
  t.Fill(0.0);
  return t;
}

Tensor Tensor::Ones(const Shape& shape, DType dtype, Device device) {
  return Full(shape, 1.0, dtype, device);
}

Tensor Tensor::Full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = Empty(shape, dtype, device);
  t.Fill(value);
  return t;
}

Tensor Tensor::Scalar(double value, DType dtype) { return Full({}, value, dtype); }

Tensor Tensor::Arange(int64_t n, DType dtype) {
  Tensor t = Empty({n}, dtype);
  DispatchAll(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(i);
  });
  return t;
}

// ---------------------------------------------------------------- accessors

const Shape& Tensor::shape() const { return Impl(impl_, "shape()").shape; }
const Shape& Tensor::strides() const { return Impl(impl_, "strides()").strides; }
int64_t Tensor::size(int64_t d) const { return shape()[WrapDim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[WrapDim(d, dim(), "stride")]; }
int64_t Tensor::numel() const { return NumElements(shape()); }
int64_t Tensor::offset() const { return Impl(impl_, "offset()").offset; }
DType Tensor::dtype() const { return Impl(impl_, "dtype()").dtype; }
Device Tensor::device() const { return Impl(impl_, "device()").storage->device(); }
const std::shared_ptr<Storage>& Tensor::storage() const { return Impl(impl_, "storage()").storage; }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = Impl(impl_, "is_contiguous()");
  if (NumElements(t.shape) == 0) return true;  // nothing to lay out
  int64_t expected = 1;
  for (int64_t d = static_cast<int64_t>(t.shape.size()) - 1; d >= 0; --d) {
    if (t.shape[d] == 1) continue;
    if (t.strides[d] != expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& t = Impl(impl_, "raw_data()");
  return static_cast<char*>(t.storage->data()) + t.offset * DTypeSize(t.dtype);
}

double Tensor::item() const {
  NB_CHECK(numel() == 1, "item(): tensor ", Describe(), " has ", numel(), " elements, not 1");
  if (!device().is_cpu()) return To(Device::CPU()).item();
  return DispatchAll(dtype(), [&](auto tag) { return static_cast<double>(*data<decltype(tag)>()); });
}

template <class T>
std::vector<T> Tensor::ToVector() const {
  if (!device().is_cpu()) return To(Device::CPU()).ToVector<T>();
  Tensor c = To(DTypeOf<T>::value).Contiguous();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}
template std::vector<float> Tensor::ToVector<float>() const;
template std::vector<double> Tensor::ToVector<double>() const;
template std::vector<int64_t> Tensor::ToVector<int64_t>() const;
template std::vector<int32_t> Tensor::ToVector<int32_t>() const;
template std::vector<uint8_t> Tensor::ToVector<uint8_t>() const;

std::string Tensor::Describe() const {
  if (!defined()) return "undefined";
  std::string s = StrCat(DTypeName(dtype()), ShapeString(shape()));
  if (!device().is_cpu()) s += "@" + device().ToString();
  return s;
}

std::string Tensor::ToString(int64_t max_elements) const {
  std::ostringstream os;
  os << Describe() << " {";
  if (defined() && device().is_cpu()) {
    std::vector<double> v = To(DType::kFloat64).Contiguous().ToVector<double>();
    for (int64_t i = 0; i < std::min<int64_t>(v.size(), max_elements); ++i) os << (i ? ", " : "") << v[i];
    if (static_cast<int64_t>(v.size()) > max_elements) os << ", ...";
  }
  os << "}";
  return os.str();
}

// ---------------------------------------------------------------- copies

namespace {

template <class D, class S>
void CopyCast(const Tensor& dst, const Tensor& src_expanded) {
  D* d = static_cast<D*>(dst.raw_data());
  const S* s = static_cast<const S*>(src_expanded.raw_data());
  ForEachRow<2>(dst.shape(), {dst.strides(), src_expanded.strides()},
                [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                  D* dp = d + off[0];
                  const S* sp = s + off[1];
                  if (st[0] == 1 && st[1] == 1) {
                    for (int64_t i = 0; i < n; ++i) dp[i] = static_cast<D>(sp[i]);
                  } else {
                    for (int64_t i = 0; i < n; ++i) dp[i * st[0]] = static_cast<D>(sp[i * st[1]]);
                  }
                });
}

}  // namespace

void Tensor::CopyFrom(const Tensor& src) const {
  const Tensor s = src.shape() == shape() ? src : src.Expand(shape());
  if (!device().is_cpu() || !src.device().is_cpu()) {
    const Device other = device().is_cpu() ? src.device() : device();
    RequireDeviceOps(other, "CopyFrom").Copy(*this, s);
    return;
  }
  DispatchAll(dtype(), [&](auto dtag) {
    DispatchAll(s.dtype(), [&](auto stag) { CopyCast<decltype(dtag), decltype(stag)>(*this, s); });
  });
}

void Tensor::Fill(double value) const {
  if (!device().is_cpu()) {
    RequireDeviceOps(device(), "Fill").Fill(*this, value);
    return;
  }
  DispatchAll(dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(value);
    T* d = data<T>();
    ForEachRow<1>(shape(), {strides()},
                  [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& st) {
                    for (int64_t i = 0; i < n; ++i) d[off[0] + i * st[0]] = v;
                  });
  });
}

Tensor Tensor::Contiguous() const {
  if (is_contiguous()) return *this;
  return Clone();
}

Tensor Tensor::Clone() const {
  Tensor out = Empty(shape(), dtype(), device());
  out.CopyFrom(*this);
  RecordOp("clone", {*this}, out, [](const Tensor& g) { return Grads{g}; });
  return out;
}

Tensor Tensor::To(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = Empty(shape(), target, device());
  out.CopyFrom(*this);
  if (IsFloating(dtype()) && IsFloating(target)) {
    const DType source = dtype();
    RecordOp("to_dtype", {*this}, out, [source](const Tensor& g) { return Grads{g.To(source)}; });
  }
  return out;
}

Tensor Tensor::To(Device target) const {
  if (target == device()) return *this;
  Tensor out = Empty(shape(), dtype(), target);  // the target's allocator fails clearly without a backend
  out.CopyFrom(*this);
  const Device source = device();
  RecordOp("to_device", {*this}, out, [source](const Tensor& g) { return Grads{g.To(source)}; });
  return out;
}

// ---------------------------------------------------------------- views

Tensor MakeView(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->offset = offset;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

namespace {

Shape InferShape(Shape shape, int64_t numel, const Shape& from) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NB_CHECK(infer < 0, "Reshape: more than one -1 in ", ShapeString(shape));
      infer = static_cast<int64_t>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    NB_CHECK(known > 0 && numel % known == 0, "Reshape: cannot reshape ", ShapeString(from), " to ",
             ShapeString(shape));
    shape[infer] = numel / known;
  }
  NB_CHECK(NumElements(shape) == numel, "Reshape: cannot reshape ", ShapeString(from), " (", numel,
           " elements) to ", ShapeString(shape));
  return shape;
}

}  // namespace

Tensor Tensor::Reshape(const Shape& new_shape) const {
  const Shape target = InferShape(new_shape, numel(), shape());
  const Tensor src = Contiguous();
  Tensor out = MakeView(src, target, ContiguousStrides(target), src.offset());
  const Shape original = shape();
  RecordOp("reshape", {src}, out, [original](const Tensor& g) { return Grads{g.Reshape(original)}; });
  return out;
}

Tensor Tensor::Flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return Reshape({1});
  start = WrapDim(start, dim(), "Flatten");
  end = WrapDim(end, dim(), "Flatten");
  Shape s(shape().begin(), shape().begin() + start);
  int64_t m = 1;
  for (int64_t d = start; d <= end; ++d) m *= shape()[d];
  s.push_back(m);
  s.insert(s.end(), shape().begin() + end + 1, shape().end());
  return Reshape(s);
}

Tensor Tensor::Permute(const std::vector<int64_t>& dims) const {
  NB_CHECK(static_cast<int64_t>(dims.size()) == dim(), "Permute: ", dims.size(), " dims for ",
           Describe());
  Shape s(dims.size()), st(dims.size());
  std::vector<int64_t> inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = WrapDim(dims[i], dim(), "Permute");
    NB_CHECK(inverse[d] < 0, "Permute: repeated dimension in ", StrCat(dims));
    inverse[d] = static_cast<int64_t>(i);
    s[i] = shape()[d];
    st[i] = strides()[d];
  }
  Tensor out = MakeView(*this, s, st, offset());
  RecordOp("permute", {*this}, out, [inverse](const Tensor& g) { return Grads{g.Permute(inverse)}; });
  return out;
}

Tensor Tensor::Transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> dims(dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[WrapDim(d0, dim(), "Transpose")], dims[WrapDim(d1, dim(), "Transpose")]);
  return Permute(dims);
}

Tensor Tensor::Narrow(int64_t d, int64_t start, int64_t length) const {
  d = WrapDim(d, dim(), "Narrow");
  if (start < 0) start += shape()[d];
  NB_CHECK(start >= 0 && length >= 0 && start + length <= shape()[d], "Narrow: range [", start, ", ",
           start + length, ") out of bounds for dim ", d, " of ", Describe());
  Shape s = shape();
  s[d] = length;
  Tensor out = MakeView(*this, s, strides(), offset() + start * strides()[d]);
  const Shape full = shape();
  const DType dt = dtype();
  RecordOp("narrow", {*this}, out, [full, dt, d, start, length](const Tensor& g) {
    Tensor gx = Tensor::Zeros(full, dt, g.device());
    gx.Narrow(d, start, length).CopyFrom(g);
    return Grads{gx};
  });
  return out;
}

Tensor Tensor::Select(int64_t d, int64_t index) const {
  d = WrapDim(d, dim(), "Select");
  if (index < 0) index += shape()[d];
  return Narrow(d, index, 1).Squeeze(d);
}

Tensor Tensor::Expand(const Shape& target) const {
  NB_CHECK(static_cast<int64_t>(target.size()) >= dim(), "Expand: cannot expand ", Describe(), " to ",
           ShapeString(target));
  const int64_t lead = static_cast<int64_t>(target.size()) - dim();
  Shape st(target.size(), 0);
  Shape s = target;
  for (int64_t i = 0; i < dim(); ++i) {
    const int64_t want = target[lead + i] == -1 ? shape()[i] : target[lead + i];
    s[lead + i] = want;
    if (shape()[i] == want) {
      st[lead + i] = strides()[i];
    } else {
      NB_CHECK(shape()[i] == 1, "Expand: cannot expand ", Describe(), " to ", ShapeString(target));
    }
  }
  if (s == shape()) return *this;
  Tensor out = MakeView(*this, s, st, offset());
  const Shape original = shape();
  RecordOp("expand", {*this}, out, [original](const Tensor& g) { return Grads{SumToShape(g, original)}; });
  return out;
}

Tensor Tensor::Squeeze(int64_t d) const {
  d = WrapDim(d, dim(), "Squeeze");
  if (shape()[d] != 1) return *this;
  Shape s = shape(), st = strides();
  s.erase(s.begin() + d);
  st.erase(st.begin() + d);
  Tensor out = MakeView(*this, s, st, offset());
  RecordOp("squeeze", {*this}, out, [d](const Tensor& g) { return Grads{g.Unsqueeze(d)}; });
  return out;
}

Tensor Tensor::Unsqueeze(int64_t d) const {
  d = WrapDim(d, dim() + 1, "Unsqueeze");
  Shape s = shape(), st = strides();
  const int64_t inner = d < dim() ? strides()[d] * shape()[d] : 1;
  s.insert(s.begin() + d, 1);
  st.insert(st.begin() + d, inner);
  Tensor out = MakeView(*this, s, st, offset());
  RecordOp("unsqueeze", {*this}, out, [d](const Tensor& g) { return Grads{g.Squeeze(d)}; });
  return out;
}

// ---------------------------------------------------------------- autograd accessors

bool Tensor::requires_grad() const { return impl_ != nullptr && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool requires) {
  NB_CHECK(defined(), "set_requires_grad: undefined tensor");
  NB_CHECK(!requires || IsFloating(dtype()), "set_requires_grad: only floating tensors can require "
           "gradients, got ", Describe());
  NB_CHECK(impl_->grad_fn == nullptr || requires, "set_requires_grad(false) on a non-leaf; use Detach()");
  impl_->requires_grad = requires;
  return *this;
}

bool Tensor::IsUniquelyOwned() const {
  return impl_ != nullptr && impl_.use_count() == 1 && impl_->storage.use_count() == 1;
}

bool Tensor::is_leaf() const { return impl_ == nullptr || impl_->grad_fn == nullptr; }

Tensor Tensor::grad() const {
  return impl_ != nullptr && impl_->grad != nullptr ? Tensor(impl_->grad) : Tensor();
}

void Tensor::set_grad(const Tensor& g) const {
  NB_CHECK(defined(), "set_grad: undefined tensor");
  impl_->grad = g.defined() ? std::shared_ptr<TensorImpl>(g.impl_) : nullptr;
}

void Tensor::ZeroGrad() const {
  if (impl_ != nullptr) impl_->grad = nullptr;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return Impl(impl_, "grad_fn()").grad_fn; }

void Tensor::set_grad_fn(std::shared_ptr<Node> fn) const {
  impl_->grad_fn = std::move(fn);
  impl_->requires_grad = impl_->grad_fn != nullptr || impl_->requires_grad;
}

std::shared_ptr<Node> Tensor::GradAccumulator() const {
  std::shared_ptr<Node> acc = impl_->grad_accumulator.lock();
  if (acc == nullptr) {
    acc = std::make_shared<AccumulateGrad>(impl_);
    impl_->grad_accumulator = acc;
  }
  return acc;
}

void Tensor::Backward(const Tensor& grad) const { RunBackward(*this, grad); }

Tensor Tensor::Detach() const { return MakeView(*this, shape(), strides(), offset()); }

}  // namespace nb360
