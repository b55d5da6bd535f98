// Conformance cases: max / average pooling 2-d and 1-d (kernel 2/3, stride 1/2, padding 0/1,
// ceil_mode, count_include_pad, non-square inputs and windows), adaptive average pooling 2-d and
// 1-d (divisible, non-divisible and growing sizes) and global average pooling.
// Max-pool inputs are a shuffled grid of well-separated values, so no window has a tie and finite
// differences never move the argmax. Ties and NaN are left to the PyTorch golden test.
#include <array>
#include <cmath>
#include <string>

#include "ops/pool.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

// Distinct values (a shuffled grid with step 4 / n) in [-2, 2).
Tensor Separated(Generator& g, const Shape& shape) {
  const int64_t n = NumElements(shape);
  const std::vector<int64_t> perm = g.Permutation(n);
  Tensor t = Tensor::Empty(shape, DType::kFloat64);
  for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = (static_cast<double>(perm[i]) - n / 2.0) * 4.0 / n;
  return t;
}

// Output length by the definition: floor (or ceil) of (in + 2 pad - k) / s, plus one; a ceil-mode
// window that would start past the input and its left padding is dropped.
int64_t RefOutLen(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil_mode) {
  const int64_t span = in + 2 * pad - k;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s - pad >= in) --out;
  return out;
}

// Plain pooling of a contiguous float64 (N, C, H, W) tensor.
Tensor RefPool2d(const Tensor& x, const Pool2dParams& p) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = RefOutLen(h, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode);
  const int64_t ow = RefOutLen(w, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode);
  Tensor y = Tensor::Empty({n, c, oh, ow}, DType::kFloat64);
  const double* xp = x.data<double>();
  double* yp = y.data<double>();
  for (int64_t plane = 0; plane < n * c; ++plane) {
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        double best = -INFINITY, sum = 0;
        int64_t valid = 0, padded = 0;
        for (int64_t a = 0; a < p.kernel_h; ++a) {
          for (int64_t b = 0; b < p.kernel_w; ++b) {
            const int64_t r = i * p.stride_h - p.pad_h + a, q = j * p.stride_w - p.pad_w + b;
            // Positions inside the padded input count for count_include_pad.
            if (r < h + p.pad_h && q < w + p.pad_w) ++padded;
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            const double v = xp[(plane * h + r) * w + q];
            best = std::max(best, v);
            sum += v;
            ++valid;
          }
        }
        const double avg = sum / static_cast<double>(p.count_include_pad ? padded : valid);
        yp[(plane * oh + i) * ow + j] = p.mode == PoolMode::kMax ? best : avg;
      }
    }
  }
  return y;
}

// Plain adaptive average pooling of a contiguous float64 (N, C, H, W) tensor.
Tensor RefAdaptive2d(const Tensor& x, int64_t oh, int64_t ow) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Tensor y = Tensor::Empty({n, c, oh, ow}, DType::kFloat64);
  for (int64_t plane = 0; plane < n * c; ++plane) {
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t r0 = static_cast<int64_t>(std::floor(static_cast<double>(i * h) / oh));
      const int64_t r1 = static_cast<int64_t>(std::ceil(static_cast<double>((i + 1) * h) / oh));
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t q0 = static_cast<int64_t>(std::floor(static_cast<double>(j * w) / ow));
        const int64_t q1 = static_cast<int64_t>(std::ceil(static_cast<double>((j + 1) * w) / ow));
        double sum = 0;
        for (int64_t r = r0; r < r1; ++r) {
          for (int64_t q = q0; q < q1; ++q) sum += x.data<double>()[(plane * h + r) * w + q];
        }
        y.data<double>()[(plane * oh + i) * ow + j] = sum / static_cast<double>((r1 - r0) * (q1 - q0));
      }
    }
  }
  return y;
}

// (N, C, L) as (N, C, 1, L) and back, for the 1-d references.
Tensor As2d(const Tensor& x) { return x.Reshape({x.size(0), x.size(1), 1, x.size(2)}); }
Tensor As1d(const Tensor& y) { return y.Reshape({y.size(0), y.size(1), y.size(3)}); }

OpCase Make(const std::string& name, OpKind kind, const Shape& shape, std::function<Tensor(const Inputs&)> op,
            std::function<Tensor(const Inputs&)> ref) {
  OpCase c;
  c.name = "pool/" + name;
  c.kind = kind;
  c.make_inputs = [shape](Generator& g) { return Inputs{Separated(g, shape)}; };
  c.op = std::move(op);
  c.reference = std::move(ref);
  return c;
}

std::string Suffix(int64_t k, int64_t s, int64_t pad) {
  return "_k" + std::to_string(k) + "_s" + std::to_string(s) + "_p" + std::to_string(pad);
}

void AddPool2dCases(std::vector<OpCase>* cases) {
  for (PoolMode mode : {PoolMode::kMax, PoolMode::kAvg}) {
    for (int64_t k : {2, 3}) {
      for (int64_t s : {1, 2}) {
        for (int64_t pad : {0, 1}) {
          for (bool ceil_mode : {false, true}) {
            for (bool include_pad : {true, false}) {
              if (mode == PoolMode::kMax && !include_pad) continue;  // no effect on max pooling
              Pool2dParams p;
              p.mode = mode;
              p.kernel_h = p.kernel_w = k;
              p.stride_h = p.stride_w = s;
              p.pad_h = p.pad_w = pad;
              p.ceil_mode = ceil_mode;
              p.count_include_pad = include_pad;
              const std::string name = std::string(mode == PoolMode::kMax ? "max2d" : "avg2d") + Suffix(k, s, pad) +
                                       (ceil_mode ? "_ceil" : "") + (include_pad ? "" : "_nopad");
              cases->push_back(Make(
                  name, OpKind::kPool2d, {2, 3, 7, 6},
                  [=](const Inputs& in) {
                    return mode == PoolMode::kMax ? MaxPool2d(in[0], k, s, pad, ceil_mode)
                                                  : AvgPool2d(in[0], k, s, pad, include_pad, ceil_mode);
                  },
                  [=](const Inputs& in) { return RefPool2d(in[0], p); }));
            }
          }
        }
      }
    }
  }
  // Non-square windows, strides and paddings through Pool2dParams.
  for (PoolMode mode : {PoolMode::kMax, PoolMode::kAvg}) {
    for (bool ceil_mode : {false, true}) {
      Pool2dParams p;
      p.mode = mode;
      p.kernel_h = 3, p.kernel_w = 2, p.stride_h = 2, p.stride_w = 1, p.pad_h = 1, p.pad_w = 0;
      p.ceil_mode = ceil_mode;
      p.count_include_pad = false;
      const std::string name = std::string(mode == PoolMode::kMax ? "max2d" : "avg2d") + "_k3x2_s2x1_p1x0" +
                               (ceil_mode ? "_ceil" : "") + (mode == PoolMode::kAvg ? "_nopad" : "");
      cases->push_back(Make(
          name, OpKind::kPool2d, {1, 2, 8, 5}, [=](const Inputs& in) { return Pool2d(in[0], p); },
          [=](const Inputs& in) { return RefPool2d(in[0], p); }));
    }
  }
  // A wide plane: several full 8-lane vectors plus a remainder on the fast path.
  for (PoolMode mode : {PoolMode::kMax, PoolMode::kAvg}) {
    Pool2dParams p;
    p.mode = mode;
    p.kernel_h = p.kernel_w = 3, p.stride_h = p.stride_w = 1, p.pad_h = p.pad_w = 1;
    p.count_include_pad = false;
    cases->push_back(Make(
        std::string(mode == PoolMode::kMax ? "max2d" : "avg2d") + "_k3_s1_p1_wide", OpKind::kPool2d, {1, 2, 4, 21},
        [=](const Inputs& in) { return Pool2d(in[0], p); }, [=](const Inputs& in) { return RefPool2d(in[0], p); }));
  }
}

void AddPool1dCases(std::vector<OpCase>* cases) {
  for (PoolMode mode : {PoolMode::kMax, PoolMode::kAvg}) {
    for (int64_t k : {2, 3}) {
      for (int64_t s : {1, 2}) {
        for (int64_t pad : {0, 1}) {
          for (bool include_pad : {true, false}) {
            if (mode == PoolMode::kMax && !include_pad) continue;
            Pool2dParams p;
            p.mode = mode;
            p.kernel_w = k, p.stride_w = s, p.pad_w = pad;
            p.count_include_pad = include_pad;
            const std::string name = std::string(mode == PoolMode::kMax ? "max1d" : "avg1d") + Suffix(k, s, pad) +
                                     (include_pad ? "" : "_nopad");
            cases->push_back(Make(
                name, OpKind::kPool2d, {2, 3, 11},
                [=](const Inputs& in) {
                  return mode == PoolMode::kMax ? MaxPool1d(in[0], k, s, pad) : AvgPool1d(in[0], k, s, pad, include_pad);
                },
                [=](const Inputs& in) { return As1d(RefPool2d(As2d(in[0]), p)); }));
          }
        }
      }
    }
  }
  // Long rows: the vectorised stride-phase split (stride 2 and 3) with edges on both sides.
  for (PoolMode mode : {PoolMode::kMax, PoolMode::kAvg}) {
    for (auto [k, s, pad] : {std::array<int64_t, 3>{2, 2, 1}, {3, 3, 0}, {3, 3, 1}, {3, 2, 1}}) {
      Pool2dParams p;
      p.mode = mode;
      p.kernel_w = k, p.stride_w = s, p.pad_w = pad;
      p.count_include_pad = false;
      const std::string name = std::string(mode == PoolMode::kMax ? "max1d" : "avg1d") + Suffix(k, s, pad) + "_long";
      cases->push_back(Make(
          name, OpKind::kPool2d, {1, 2, 61}, [=](const Inputs& in) { return Pool2d(in[0].Unsqueeze(2), p).Squeeze(2); },
          [=](const Inputs& in) { return As1d(RefPool2d(As2d(in[0]), p)); }));
    }
  }
}

void AddAdaptiveCases(std::vector<OpCase>* cases) {
  struct Size2d { int64_t h, w, oh, ow; };
  for (const Size2d& s : {Size2d{7, 5, 3, 2}, Size2d{6, 4, 3, 2}, Size2d{5, 7, 2, 3}, Size2d{3, 4, 5, 6},
                          Size2d{7, 5, 7, 5}}) {
    const std::string name = "adaptive_avg2d_" + std::to_string(s.h) + "x" + std::to_string(s.w) + "_to_" +
                             std::to_string(s.oh) + "x" + std::to_string(s.ow);
    cases->push_back(Make(
        name, OpKind::kAdaptiveAvgPool2d, {2, 3, s.h, s.w},
        [=](const Inputs& in) { return AdaptiveAvgPool2d(in[0], s.oh, s.ow); },
        [=](const Inputs& in) { return RefAdaptive2d(in[0], s.oh, s.ow); }));
  }
  for (auto [l, ol] : {std::pair<int64_t, int64_t>{7, 3}, {5, 2}, {8, 4}, {3, 5}}) {
    cases->push_back(Make(
        "adaptive_avg1d_" + std::to_string(l) + "_to_" + std::to_string(ol), OpKind::kAdaptiveAvgPool2d, {2, 3, l},
        [=](const Inputs& in) { return AdaptiveAvgPool1d(in[0], ol); },
        [=](const Inputs& in) { return As1d(RefAdaptive2d(As2d(in[0]), 1, ol)); }));
  }
  for (const Shape& shape : {Shape{2, 3, 5, 4}, Shape{2, 4, 8, 8}}) {
    cases->push_back(Make(
        "global_avg2d_" + std::to_string(shape[2]) + "x" + std::to_string(shape[3]), OpKind::kAdaptiveAvgPool2d, shape,
        [](const Inputs& in) { return GlobalAvgPool2d(in[0]); },
        [](const Inputs& in) {
          const Tensor y = RefAdaptive2d(in[0], 1, 1);
          return y.Reshape({y.size(0), y.size(1)});
        }));
  }
}

}  // namespace

void AddPoolCases(std::vector<OpCase>* cases) {
  AddPool2dCases(cases);
  AddPool1dCases(cases);
  AddAdaptiveCases(cases);
}

}  // namespace testing
}  // namespace nb360
