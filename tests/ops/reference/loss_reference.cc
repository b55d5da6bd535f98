#include "tests/ops/reference/loss_reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nb360 {
namespace testing {
namespace {

const double* D(const Tensor& t) { return t.data<double>(); }

// Reduces per-element losses (given in `shape`) the way torch does; `divisor` is used for kMean.
Tensor Finish(const std::vector<double>& loss, const Shape& shape, Reduction reduction, double divisor) {
  if (reduction == Reduction::kNone) return Tensor::FromVector(loss, shape);
  double s = 0;
  for (double v : loss) s += v;
  return Tensor::Scalar(reduction == Reduction::kSum ? s : s / divisor, DType::kFloat64);
}

// A broadcastable optional tensor as a flat float64 vector over `shape` (ones if undefined).
std::vector<double> Broadcast(const Tensor& t, const Shape& shape) {
  if (!t.defined()) return std::vector<double>(NumElements(shape), 1.0);
  return t.Expand(shape).Contiguous().ToVector<double>();
}

double Softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

// y (rows, out) = x (rows, in) W[r0 : r0 + out]^T + b[r0 : r0 + out].
std::vector<double> Project(const Tensor& x, const Tensor& w, const Tensor& b, int64_t r0, int64_t out) {
  const int64_t in = x.shape().back(), rows = x.numel() / in;
  std::vector<double> y(rows * out);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double s = b.defined() ? D(b)[r0 + o] : 0.0;
      for (int64_t i = 0; i < in; ++i) s += D(x)[r * in + i] * D(w)[(r0 + o) * in + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

// (B, L, E) flat -> (B, H, L, E / H) tensor.
Tensor SplitHeads(const std::vector<double>& x, int64_t b, int64_t l, int64_t e, int64_t h) {
  const int64_t hd = e / h;
  Tensor t = Tensor::Empty({b, h, l, hd}, DType::kFloat64);
  double* p = t.data<double>();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < h; ++j)
      for (int64_t s = 0; s < l; ++s)
        for (int64_t d = 0; d < hd; ++d) p[((i * h + j) * l + s) * hd + d] = x[(i * l + s) * e + j * hd + d];
  return t;
}

}  // namespace

Tensor RefCrossEntropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                       Reduction reduction, double label_smoothing) {
  const int64_t n = logits.shape()[0], c = logits.shape()[1], s = logits.numel() / (n * c);
  const int64_t* t = target.data<int64_t>();
  std::vector<double> loss(n * s, 0.0);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < s; ++p) {
      const int64_t cls = t[i * s + p];
      if (cls == ignore_index) continue;
      auto x = [&](int64_t k) { return D(logits)[(i * c + k) * s + p]; };
      auto w = [&](int64_t k) { return weight.defined() ? D(weight)[k] : 1.0; };
      double m = -INFINITY, z = 0;
      for (int64_t k = 0; k < c; ++k) m = std::max(m, x(k));
      for (int64_t k = 0; k < c; ++k) z += std::exp(x(k) - m);
      const double lse = m + std::log(z);
      double smooth = 0;
      for (int64_t k = 0; k < c; ++k) smooth -= w(k) * (x(k) - lse);
      const double nll = -w(cls) * (x(cls) - lse);
      loss[i * s + p] = (1 - label_smoothing) * nll + label_smoothing / c * smooth;
      total += w(cls);
    }
  }
  return Finish(loss, target.shape(), reduction, total);
}

Tensor RefBceWithLogits(const Tensor& logits, const Tensor& target, const Tensor& weight, const Tensor& pos_weight,
                        Reduction reduction) {
  const Shape& shape = logits.shape();
  const std::vector<double> w = Broadcast(weight, shape), pw = Broadcast(pos_weight, shape);
  std::vector<double> loss(logits.numel());
  for (int64_t i = 0; i < logits.numel(); ++i) {
    const double x = D(logits)[i], t = D(target)[i];
    // -[pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], with -log sigmoid(x) = softplus(-x).
    loss[i] = w[i] * (pw[i] * t * Softplus(-x) + (1 - t) * Softplus(x));
  }
  return Finish(loss, shape, reduction, static_cast<double>(logits.numel()));
}

Tensor RefMse(const Tensor& pred, const Tensor& target, Reduction reduction) {
  std::vector<double> loss(pred.numel());
  for (int64_t i = 0; i < pred.numel(); ++i) loss[i] = (D(pred)[i] - D(target)[i]) * (D(pred)[i] - D(target)[i]);
  return Finish(loss, pred.shape(), reduction, static_cast<double>(pred.numel()));
}

Tensor RefL1(const Tensor& pred, const Tensor& target, Reduction reduction) {
  std::vector<double> loss(pred.numel());
  for (int64_t i = 0; i < pred.numel(); ++i) loss[i] = std::abs(D(pred)[i] - D(target)[i]);
  return Finish(loss, pred.shape(), reduction, static_cast<double>(pred.numel()));
}

Tensor RefRelativeL2(const Tensor& pred, const Tensor& target, Reduction reduction) {
  const int64_t n = pred.shape()[0], per = pred.numel() / n;
  std::vector<double> rel(n);
  for (int64_t i = 0; i < n; ++i) {
    double dd = 0, tt = 0;
    for (int64_t j = 0; j < per; ++j) {
      const double d = D(pred)[i * per + j] - D(target)[i * per + j], t = D(target)[i * per + j];
      dd += d * d;
      tt += t * t;
    }
    rel[i] = std::sqrt(dd) / std::sqrt(tt);
  }
  return Finish(rel, {n}, reduction, static_cast<double>(n));
}

Tensor RefAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale) {
  const int64_t r = q.dim();
  const int64_t lq = q.shape()[r - 2], d = q.shape()[r - 1], lk = k.shape()[r - 2], dv = v.shape()[r - 1];
  const int64_t batches = q.numel() / (lq * d);
  Shape score_shape(q.shape().begin(), q.shape().end() - 2);
  score_shape.insert(score_shape.end(), {lq, lk});
  Shape out_shape(q.shape().begin(), q.shape().end() - 1);
  out_shape.push_back(dv);
  std::vector<double> add(batches * lq * lk, 0.0);
  if (mask.defined()) {
    const Tensor m = mask.Expand(score_shape).Contiguous();
    for (int64_t i = 0; i < m.numel(); ++i) {
      add[i] = m.dtype() == DType::kBool ? (m.data<bool>()[i] ? 0.0 : -INFINITY) : m.data<double>()[i];
    }
  }
  const double s = scale > 0 ? scale : 1.0 / std::sqrt(static_cast<double>(d));
  Tensor out = Tensor::Zeros(out_shape, DType::kFloat64);
  double* o = out.data<double>();
  std::vector<double> p(lk);
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t i = 0; i < lq; ++i) {
      double m = -INFINITY;
      for (int64_t j = 0; j < lk; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < d; ++c) dot += D(q)[(b * lq + i) * d + c] * D(k)[(b * lk + j) * d + c];
        p[j] = dot * s + add[(b * lq + i) * lk + j];
        m = std::max(m, p[j]);
      }
      double z = 0;
      for (int64_t j = 0; j < lk; ++j) z += (p[j] = std::exp(p[j] - m));
      for (int64_t j = 0; j < lk; ++j) {
        for (int64_t c = 0; c < dv; ++c) o[(b * lq + i) * dv + c] += p[j] / z * D(v)[(b * lk + j) * dv + c];
      }
    }
  }
  return out;
}

Tensor RefMultiHeadAttention(const Tensor& query, const Tensor& key, const Tensor& value, int64_t heads,
                             const Tensor& in_w, const Tensor& in_b, const Tensor& out_w, const Tensor& out_b,
                             const Tensor& mask) {
  const int64_t b = query.shape()[0], lq = query.shape()[1], e = query.shape()[2], lk = key.shape()[1];
  const int64_t hd = e / heads;
  const Tensor q = SplitHeads(Project(query, in_w, in_b, 0, e), b, lq, e, heads);
  const Tensor k = SplitHeads(Project(key, in_w, in_b, e, e), b, lk, e, heads);
  const Tensor v = SplitHeads(Project(value, in_w, in_b, 2 * e, e), b, lk, e, heads);
  const Tensor att = RefAttention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(hd)));  // (B, H, Lq, hd)
  Tensor merged = Tensor::Empty({b, lq, e}, DType::kFloat64);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < lq; ++s)
        for (int64_t d = 0; d < hd; ++d)
          merged.data<double>()[(i * lq + s) * e + h * hd + d] = D(att)[((i * heads + h) * lq + s) * hd + d];
  return Tensor::FromVector(Project(merged, out_w, out_b, 0, e), {b, lq, e});
}

}  // namespace testing
}  // namespace nb360
