// ops/cpu/bf16_reference.cc: see bf16_reference.h.
#include "ops/cpu/bf16_reference.h"

#include <vector>

#include "engine/check.h"
#include "engine/memory_format.h"
#include "engine/precision.h"

namespace nb360 {
namespace cpu {
namespace {

void CheckFloat32(const Tensor& t, const char* what) {
  NB_CHECK(t.dtype() == DType::kFloat32, "bf16 reference: ", what, " must be a float32 tensor in host memory, got ",
           t.Describe());
}

// Calls fn(offset, index) for every element of a tensor with up to 4 dims (index padded with 0).
template <class Fn>
void ForEach4(const Tensor& t, const Fn& fn) {
  NB_CHECK(t.dim() <= 4, "bf16 reference: at most 4 dims, got ", t.Describe());
  int64_t size[4] = {1, 1, 1, 1}, stride[4] = {0, 0, 0, 0};
  const int pad = 4 - static_cast<int>(t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) {
    size[pad + d] = t.size(d);
    stride[pad + d] = t.strides()[d];
  }
  for (int64_t a = 0; a < size[0]; ++a)
    for (int64_t b = 0; b < size[1]; ++b)
      for (int64_t c = 0; c < size[2]; ++c)
        for (int64_t d = 0; d < size[3]; ++d) {
          const int64_t idx[4] = {a, b, c, d};
          fn(a * stride[0] + b * stride[1] + c * stride[2] + d * stride[3], idx + pad);
        }
}

}  // namespace

Tensor RoundedBFloat16(const Tensor& t) {
  CheckFloat32(t, "operand");
  Tensor c = t.dim() == 4 && !t.is_contiguous() && IsChannelsLast(t)
                 ? EmptyChannelsLast(t.shape(), t.dtype(), t.device())
                 : Tensor::Empty(t.shape(), t.dtype(), t.device());
  c.CopyFrom(t);
  float* p = c.data<float>();
  for (int64_t i = 0, n = c.numel(); i < n; ++i) p[i] = RoundToBFloat16(p[i]);  // dense either way
  return c;
}

void RoundBFloat16InPlace(const Tensor& t) {
  CheckFloat32(t, "result");
  if (t.numel() == 0) return;
  float* p = t.data<float>();
  if (t.is_contiguous() || (t.dim() == 4 && IsChannelsLast(t))) {
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = RoundToBFloat16(p[i]);
    return;
  }
  ForEach4(t, [&](int64_t off, const int64_t*) { p[off] = RoundToBFloat16(p[off]); });
}

void AddChannelBias(const Tensor& y, const Tensor& b) {
  CheckFloat32(y, "output");
  CheckFloat32(b, "bias");
  NB_CHECK(y.dim() == 4 && b.numel() == y.size(1), "bf16 reference: bias ", b.Describe(), " for ", y.Describe());
  const Tensor bc = b.Contiguous();
  const float* bp = bc.data<float>();
  float* p = y.data<float>();
  ForEach4(y, [&](int64_t off, const int64_t* idx) { p[off] += bp[idx[1]]; });
}

void SumPerChannel(const Tensor& gy, const Tensor& gb) {
  CheckFloat32(gy, "gradient");
  CheckFloat32(gb, "bias gradient");
  NB_CHECK(gy.dim() == 4 && gb.numel() == gy.size(1), "bf16 reference: bias gradient ", gb.Describe(), " for ",
           gy.Describe());
  std::vector<double> acc(static_cast<size_t>(gy.size(1)), 0.0);
  const float* p = gy.data<float>();
  ForEach4(gy, [&](int64_t off, const int64_t* idx) { acc[static_cast<size_t>(idx[1])] += p[off]; });
  float* out = gb.data<float>();
  const int64_t gb_stride = gb.dim() == 0 ? 0 : gb.strides()[0];
  for (size_t o = 0; o < acc.size(); ++o) out[static_cast<int64_t>(o) * gb_stride] = static_cast<float>(acc[o]);
}

}  // namespace cpu
}  // namespace nb360
