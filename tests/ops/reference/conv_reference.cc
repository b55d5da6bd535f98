#include "tests/ops/reference/conv_reference.h"

namespace nb360 {
namespace testing {

Tensor RefConv2d(const Tensor& x, const Tensor& w, const Tensor& b, const RefConvAttrs& a) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t o = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3), og = o / a.groups;
  const int64_t oh = (h + 2 * a.pad_h - a.dilation_h * (kh - 1) - 1) / a.stride_h + 1;
  const int64_t ow = (wd + 2 * a.pad_w - a.dilation_w * (kw - 1) - 1) / a.stride_w + 1;
  Tensor y = Tensor::Zeros({n, o, oh, ow}, DType::kFloat64);
  const double* xp = x.data<double>();
  const double* wp = w.data<double>();
  double* yp = y.data<double>();
  for (int64_t in = 0; in < n; ++in)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double s = b.defined() ? b.data<double>()[oc] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci) {
            const int64_t ch = (oc / og) * cg + ci;
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                const int64_t r = i * a.stride_h - a.pad_h + u * a.dilation_h;
                const int64_t q = j * a.stride_w - a.pad_w + v * a.dilation_w;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                s += xp[((in * c + ch) * h + r) * wd + q] * wp[((oc * cg + ci) * kh + u) * kw + v];
              }
          }
          yp[((in * o + oc) * oh + i) * ow + j] = s;
        }
  return y;
}

Tensor RefConv1d(const Tensor& x, const Tensor& w, const Tensor& b, const RefConvAttrs& a) {
  const int64_t n = x.size(0), c = x.size(1), l = x.size(2);
  const int64_t o = w.size(0), cg = w.size(1), k = w.size(2), og = o / a.groups;
  const int64_t ol = (l + 2 * a.pad_w - a.dilation_w * (k - 1) - 1) / a.stride_w + 1;
  Tensor y = Tensor::Zeros({n, o, ol}, DType::kFloat64);
  for (int64_t in = 0; in < n; ++in)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t t = 0; t < ol; ++t) {
        double s = b.defined() ? b.data<double>()[oc] : 0.0;
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t u = 0; u < k; ++u) {
            const int64_t pos = t * a.stride_w - a.pad_w + u * a.dilation_w;
            if (pos < 0 || pos >= l) continue;
            s += x.data<double>()[(in * c + (oc / og) * cg + ci) * l + pos] *
                 w.data<double>()[(oc * cg + ci) * k + u];
          }
        y.data<double>()[(in * o + oc) * ol + t] = s;
      }
  return y;
}

Tensor RefConvTranspose2d(const Tensor& x, const Tensor& w, const Tensor& b, const RefConvAttrs& a) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t og = w.size(1), kh = w.size(2), kw = w.size(3), cg = c / a.groups, o = og * a.groups;
  const int64_t oh = (h - 1) * a.stride_h - 2 * a.pad_h + a.dilation_h * (kh - 1) + a.output_pad_h + 1;
  const int64_t ow = (wd - 1) * a.stride_w - 2 * a.pad_w + a.dilation_w * (kw - 1) + a.output_pad_w + 1;
  Tensor y = Tensor::Zeros({n, o, oh, ow}, DType::kFloat64);
  double* yp = y.data<double>();
  // Every input element spreads x * w over the output window it was "convolved from".
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < wd; ++j) {
          const double xv = x.data<double>()[((in * c + ch) * h + i) * wd + j];
          for (int64_t oi = 0; oi < og; ++oi) {
            const int64_t oc = (ch / cg) * og + oi;
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                const int64_t r = i * a.stride_h - a.pad_h + u * a.dilation_h;
                const int64_t q = j * a.stride_w - a.pad_w + v * a.dilation_w;
                if (r < 0 || r >= oh || q < 0 || q >= ow) continue;
                yp[((in * o + oc) * oh + r) * ow + q] +=
                    xv * w.data<double>()[((ch * og + oi) * kh + u) * kw + v];
              }
          }
        }
  if (b.defined()) {
    for (int64_t i = 0; i < y.numel(); ++i) yp[i] += b.data<double>()[(i / (oh * ow)) % o];
  }
  return y;
}

}  // namespace testing
}  // namespace nb360
