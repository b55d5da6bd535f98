#include "engine/memory_format.h"

#include "engine/autograd.h"
#include "engine/check.h"

namespace nb360 {

Shape ChannelsLastStrides(const Shape& shape) {
  NB_CHECK(shape.size() == 3 || shape.size() == 4, "channels-last needs a 3-d or 4-d shape, got ",
           ShapeString(shape));
  const int64_t c = shape[1];
  if (shape.size() == 3) return {shape[2] * c, 1, c};
  return {shape[2] * shape[3] * c, 1, shape[3] * c, c};
}

bool IsChannelsLast(const Tensor& t) {
  if (!t.defined() || (t.dim() != 3 && t.dim() != 4)) return false;
  return t.strides() == ChannelsLastStrides(t.shape());
}

Tensor EmptyChannelsLast(const Shape& shape, DType dtype, Device device) {
  const Shape strides = ChannelsLastStrides(shape);
  const Tensor storage = Tensor::Empty({NumElements(shape)}, dtype, device);
  return MakeView(storage, shape, strides, storage.offset());
}

Tensor EmptyInFormatOf(const Tensor& like, const Shape& shape, DType dtype) {
  if (IsChannelsLast(like) && like.shape() == shape) return EmptyChannelsLast(shape, dtype, like.device());
  return Tensor::Empty(shape, dtype, like.device());
}

Tensor MemoryOrderView(const Tensor& t) {
  NB_CHECK(IsChannelsLast(t), "MemoryOrderView: ", t.Describe(), " is not channels-last");
  const Shape& sh = t.shape();
  const Shape& st = t.strides();
  if (t.dim() == 3) return MakeView(t, {sh[0], sh[2], sh[1]}, {st[0], st[2], st[1]}, t.offset());
  return MakeView(t, {sh[0], sh[2], sh[3], sh[1]}, {st[0], st[2], st[3], st[1]}, t.offset());
}

Tensor ToChannelsLast(const Tensor& t) {
  NB_CHECK(t.defined() && (t.dim() == 3 || t.dim() == 4), "ToChannelsLast: needs a 3-d or 4-d tensor, got ",
           t.defined() ? t.Describe() : std::string("undefined"));
  if (IsChannelsLast(t)) return t;
  Tensor out = EmptyChannelsLast(t.shape(), t.dtype(), t.device());
  out.CopyFrom(t.Detach());
  if (NeedsGrad({&t})) RecordOp("to_channels_last", {t}, out, [](const Tensor& g) { return Grads{g}; });
  return out;
}

}  // namespace nb360
