// Conformance cases: batch norm (1d (N, C) and (N, C, L), 2d; train/eval; affine or not; with or
// without running statistics), layer norm (1 and 2 trailing dims, with/without affine), interpolate
// (nearest and bilinear with both align_corners, up- and down-sampling, non-square) and dropout (a
// fixed generator state per evaluation, so finite differences see the same mask).
#include <algorithm>
#include <cmath>

#include "engine/memory_format.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/interpolate.h"
#include "ops/norm.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

// ------------------------------------------------------------------------------------ references

// x (N, C, ...) float64 contiguous. mean/var (C) are the batch's (biased) or the running ones.
Tensor RefBatchNorm(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& rm, const Tensor& rv,
                    bool use_batch, double eps) {
  const int64_t n = x.shape()[0], c = x.shape()[1], s = x.numel() / (n * c);
  const double* xp = x.data<double>();
  Tensor y = Tensor::Empty(x.shape(), DType::kFloat64);
  double* yp = y.data<double>();
  for (int64_t ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0;
    if (use_batch) {
      for (int64_t i = 0; i < n; ++i) for (int64_t j = 0; j < s; ++j) mean += xp[(i * c + ch) * s + j];
      mean /= n * s;
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < s; ++j) var += std::pow(xp[(i * c + ch) * s + j] - mean, 2);
      }
      var /= n * s;
    } else {
      mean = rm.data<double>()[ch];
      var = rv.data<double>()[ch];
    }
    const double wv = w.defined() ? w.data<double>()[ch] : 1.0;
    const double bv = b.defined() ? b.data<double>()[ch] : 0.0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < s; ++j) {
        const int64_t e = (i * c + ch) * s + j;
        yp[e] = (xp[e] - mean) / std::sqrt(var + eps) * wv + bv;
      }
    }
  }
  return y;
}

// x (..., D) float64 contiguous, rows of d = prod(normalized_shape) values.
Tensor RefLayerNorm(const Tensor& x, int64_t d, const Tensor& w, const Tensor& b, double eps) {
  const int64_t rows = x.numel() / d;
  Tensor y = Tensor::Empty(x.shape(), DType::kFloat64);
  for (int64_t r = 0; r < rows; ++r) {
    const double* xr = x.data<double>() + r * d;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < d; ++i) mean += xr[i];
    mean /= d;
    for (int64_t i = 0; i < d; ++i) var += (xr[i] - mean) * (xr[i] - mean);
    var /= d;
    for (int64_t i = 0; i < d; ++i) {
      const double wv = w.defined() ? w.data<double>()[i] : 1.0;
      const double bv = b.defined() ? b.data<double>()[i] : 0.0;
      y.data<double>()[r * d + i] = (xr[i] - mean) / std::sqrt(var + eps) * wv + bv;
    }
  }
  return y;
}

// Source position of output index `dst` along an axis (PyTorch's definitions).
void RefSource(InterpolateMode mode, bool align, int64_t in, int64_t out, int64_t dst, int64_t* i0,
               int64_t* i1, double* frac) {
  if (mode == InterpolateMode::kNearest) {
    // PyTorch evaluates floor(dst * (in / out)) in float32.
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    *i0 = *i1 = std::min<int64_t>(static_cast<int64_t>(std::floor(dst * scale)), in - 1);
    *frac = 0;
    return;
  }
  double src;
  if (align) {
    src = out > 1 ? dst * static_cast<double>(in - 1) / (out - 1) : 0.0;
  } else {
    src = std::max((dst + 0.5) * in / out - 0.5, 0.0);
  }
  *i0 = std::min<int64_t>(static_cast<int64_t>(std::floor(src)), in - 1);
  *i1 = std::min<int64_t>(*i0 + 1, in - 1);
  *frac = src - *i0;
}

Tensor RefInterpolate(const Tensor& x, int64_t oh, int64_t ow, InterpolateMode mode, bool align) {
  const int64_t planes = x.shape()[0] * x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  Tensor y = Tensor::Empty({x.shape()[0], x.shape()[1], oh, ow}, DType::kFloat64);
  for (int64_t p = 0; p < planes; ++p) {
    const double* xp = x.data<double>() + p * h * w;
    for (int64_t i = 0; i < oh; ++i) {
      int64_t h0, h1;
      double fh;
      RefSource(mode, align, h, oh, i, &h0, &h1, &fh);
      for (int64_t j = 0; j < ow; ++j) {
        int64_t w0, w1;
        double fw;
        RefSource(mode, align, w, ow, j, &w0, &w1, &fw);
        const double top = (1 - fw) * xp[h0 * w + w0] + fw * xp[h0 * w + w1];
        const double bottom = (1 - fw) * xp[h1 * w + w0] + fw * xp[h1 * w + w1];
        y.data<double>()[(p * oh + i) * ow + j] = (1 - fh) * top + fh * bottom;
      }
    }
  }
  return y;
}

// x * mask / (1 - p) with the mask the generator draws from `seed`.
Tensor RefDropout(const Tensor& x, double p, uint64_t seed) {
  Tensor mask = Tensor::Zeros(x.shape(), DType::kFloat64);
  if (p < 1.0) Generator(seed).Bernoulli(mask, 1.0 - p);
  Tensor y = Tensor::Empty(x.shape(), DType::kFloat64);
  for (int64_t i = 0; i < x.numel(); ++i) {
    y.data<double>()[i] = p < 1.0 ? x.data<double>()[i] * mask.data<double>()[i] / (1.0 - p) : 0.0;
  }
  return y;
}

// ------------------------------------------------------------------------------------ case makers

std::string ShapeTag(const Shape& s) {
  std::string t;
  for (int64_t v : s) t += (t.empty() ? "" : "x") + std::to_string(v);
  return t;
}

// Inputs: x, then weight and bias if affine, then running mean and var if tracked.
// relu: the fused BatchNormRelu against max(reference, 0). channels_last: x made channels-last
// (engine/memory_format.h) inside the op.
void AddBatchNormCase(std::vector<OpCase>* cases, const std::string& layout, const Shape& shape,
                      bool training, bool affine, bool stats, bool relu = false, bool channels_last = false) {
  const double eps = affine ? 1e-5 : 1e-3;
  OpCase c;
  c.name = "norm/batch_norm_" + layout + (training ? "_train" : "_eval") + (affine ? "_affine" : "") +
           (stats ? "_stats" : "_nostats") + (relu ? "_relu" : "") + (channels_last ? "_channels_last" : "");
  c.kind = OpKind::kBatchNorm;
  const int64_t ch = shape[1];
  c.make_inputs = [shape, ch, affine, stats](Generator& g) {
    Inputs in{Add(RandN(g, shape, 1.5), 2.0)};  // an offset mean exercises the variance pass
    if (affine) {
      in.push_back(RandU(g, {ch}, 0.5, 1.5));
      in.push_back(RandN(g, {ch}));
    }
    if (stats) {
      in.push_back(RandN(g, {ch}));
      in.push_back(RandU(g, {ch}, 0.5, 2.0));
    }
    return in;
  };
  auto unpack = [affine, stats](const Inputs& in, Tensor* w, Tensor* b, Tensor* rm, Tensor* rv) {
    size_t k = 1;
    if (affine) { *w = in[k++]; *b = in[k++]; }
    if (stats) { *rm = in[k++]; *rv = in[k++]; }
  };
  c.op = [unpack, training, eps, relu, channels_last](const Inputs& in) {
    Tensor w, b, rm, rv;
    unpack(in, &w, &b, &rm, &rv);
    // Fresh running statistics per call: training updates them in place.
    const Tensor m = rm.defined() ? rm.Clone() : rm, v = rv.defined() ? rv.Clone() : rv;
    const Tensor x = channels_last ? ToChannelsLast(in[0]) : in[0];
    return relu ? BatchNormRelu(x, w, b, m, v, training, 0.1, eps) : BatchNorm(x, w, b, m, v, training, 0.1, eps);
  };
  c.reference = [unpack, training, eps, relu](const Inputs& in) {
    Tensor w, b, rm, rv;
    unpack(in, &w, &b, &rm, &rv);
    Tensor y = RefBatchNorm(in[0], w, b, rm, rv, training || !rm.defined(), eps);
    if (relu) {
      double* yp = y.data<double>();
      for (int64_t i = 0; i < y.numel(); ++i) yp[i] = std::max(yp[i], 0.0);
    }
    return y;
  };
  c.differentiable = {true};  // x, weight and bias; never the running statistics
  if (affine) c.differentiable.insert(c.differentiable.end(), {true, true});
  if (stats) c.differentiable.insert(c.differentiable.end(), {false, false});
  cases->push_back(c);
}

void AddLayerNormCase(std::vector<OpCase>* cases, const std::string& tag, const Shape& shape,
                      const Shape& normalized, bool weight, bool bias) {
  OpCase c;
  c.name = "norm/layer_norm_" + tag;
  c.kind = OpKind::kLayerNorm;
  c.make_inputs = [shape, normalized, weight, bias](Generator& g) {
    Inputs in{Add(RandN(g, shape, 2.0), -1.0)};
    if (weight) in.push_back(RandU(g, normalized, 0.5, 1.5));
    if (bias) in.push_back(RandN(g, normalized));
    return in;
  };
  c.op = [normalized, weight, bias](const Inputs& in) {
    const Tensor w = weight ? in[1] : Tensor();
    const Tensor b = bias ? in[weight ? 2 : 1] : Tensor();
    return LayerNorm(in[0], normalized, w, b, 1e-5);
  };
  c.reference = [normalized, weight, bias](const Inputs& in) {
    const Tensor w = weight ? in[1] : Tensor();
    const Tensor b = bias ? in[weight ? 2 : 1] : Tensor();
    return RefLayerNorm(in[0], NumElements(normalized), w, b, 1e-5);
  };
  cases->push_back(c);
}

void AddInterpolateCase(std::vector<OpCase>* cases, const std::string& tag, const Shape& shape, int64_t oh,
                        int64_t ow, InterpolateMode mode, bool align) {
  OpCase c;
  c.name = "norm/interpolate_" + tag + "_" + ShapeTag(shape) + "_to_" + std::to_string(oh) + "x" +
           std::to_string(ow);
  c.kind = OpKind::kInterpolate;
  c.make_inputs = [shape](Generator& g) { return Inputs{RandN(g, shape)}; };
  c.op = [oh, ow, mode, align](const Inputs& in) { return Interpolate(in[0], oh, ow, mode, align); };
  c.reference = [oh, ow, mode, align](const Inputs& in) { return RefInterpolate(in[0], oh, ow, mode, align); };
  cases->push_back(c);
}

void AddDropoutCase(std::vector<OpCase>* cases, const std::string& tag, double p, bool training) {
  constexpr uint64_t kSeed = 1234;
  OpCase c;
  c.name = "norm/dropout_" + tag;
  c.kind = OpKind::kBinary;  // a composition: mask * x
  c.make_inputs = [](Generator& g) { return Inputs{RandN(g, {4, 5, 6})}; };
  // The generator is re-created per call, so every evaluation (and finite difference) sees one mask.
  c.op = [p, training](const Inputs& in) {
    Generator gen(kSeed);
    return Dropout(in[0], p, training, gen);
  };
  c.reference = [p, training](const Inputs& in) {
    return training ? RefDropout(in[0], p, kSeed) : in[0].Clone();
  };
  cases->push_back(c);
}

}  // namespace

void AddNormCases(std::vector<OpCase>* cases) {
  const std::vector<std::pair<std::string, Shape>> layouts = {
      {"1d_nc", {7, 4}}, {"1d_ncl", {3, 4, 5}}, {"2d", {2, 3, 4, 5}}};
  for (const auto& [layout, shape] : layouts) {
    for (bool training : {true, false}) {
      for (bool affine : {true, false}) {
        for (bool stats : {true, false}) AddBatchNormCase(cases, layout, shape, training, affine, stats);
        AddBatchNormCase(cases, layout, shape, training, affine, true, /*relu=*/true);
        if (shape.size() >= 3) {
          AddBatchNormCase(cases, layout, shape, training, affine, true, false, /*channels_last=*/true);
          AddBatchNormCase(cases, layout, shape, training, affine, true, true, true);
        }
      }
    }
  }

  AddLayerNormCase(cases, "last_dim_affine", {3, 4, 6}, {6}, true, true);
  AddLayerNormCase(cases, "last_dim_plain", {3, 4, 6}, {6}, false, false);
  AddLayerNormCase(cases, "two_dims_affine", {2, 3, 4, 5}, {4, 5}, true, true);
  AddLayerNormCase(cases, "two_dims_plain", {2, 3, 4, 5}, {4, 5}, false, false);
  AddLayerNormCase(cases, "2d_weight_only", {5, 7}, {7}, true, false);

  const InterpolateMode kN = InterpolateMode::kNearest, kB = InterpolateMode::kBilinear;
  AddInterpolateCase(cases, "nearest_up", {2, 3, 4, 5}, 7, 9, kN, false);
  AddInterpolateCase(cases, "nearest_down", {2, 3, 7, 9}, 3, 4, kN, false);
  AddInterpolateCase(cases, "nearest_mixed", {1, 2, 3, 8}, 6, 5, kN, false);
  AddInterpolateCase(cases, "bilinear_up", {2, 3, 4, 5}, 7, 9, kB, false);
  AddInterpolateCase(cases, "bilinear_down", {2, 3, 7, 9}, 3, 4, kB, false);
  AddInterpolateCase(cases, "bilinear_align_up", {2, 3, 4, 5}, 7, 9, kB, true);
  AddInterpolateCase(cases, "bilinear_align_down", {2, 3, 7, 9}, 3, 4, kB, true);
  AddInterpolateCase(cases, "bilinear_align_to_one", {1, 2, 5, 4}, 1, 3, kB, true);
  AddInterpolateCase(cases, "bilinear_mixed", {1, 2, 3, 8}, 6, 5, kB, false);

  AddDropoutCase(cases, "train_p0.3", 0.3, true);
  AddDropoutCase(cases, "train_p1", 1.0, true);
  AddDropoutCase(cases, "eval_identity", 0.3, false);
}

}  // namespace testing
}  // namespace nb360
