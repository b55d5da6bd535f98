// Conformance cases: Conv2d over every combination of stride, padding, dilation, groups and bias
// (3x3 kernels), non-square kernels (1x3, 3x1, 5x5) and inputs, shapes that reach oneDNN's blocked
// and depthwise float32 kernels; Conv1d (ECG-like k = 8, 'same' right padding); channels-last inputs;
// ConvTranspose2d (stride 2, padding, output padding, groups, dilation).
#include "engine/memory_format.h"
#include "ops/conv.h"
#include "tests/ops/conformance.h"
#include "tests/ops/reference/conv_reference.h"

namespace nb360 {
namespace testing {
namespace {

struct Geometry {
  Shape x;    // input shape
  int64_t o;  // output channels
  Shape k;    // kernel (KH, KW) or (K)
};

std::string Num(int64_t v) { return std::to_string(v); }

std::string Suffix(const RefConvAttrs& a, bool bias) {
  std::string s = "_s" + Num(a.stride_h) + Num(a.stride_w) + "_p" + Num(a.pad_h) + Num(a.pad_w) + "_d" +
                  Num(a.dilation_h) + Num(a.dilation_w) + "_g" + Num(a.groups);
  if (a.output_pad_h || a.output_pad_w) s += "_op" + Num(a.output_pad_h) + Num(a.output_pad_w);
  return s + (bias ? "_bias" : "_nobias");
}

// Inputs: x, weight, and bias when `bias`.
std::function<Inputs(Generator&)> Maker(const Shape& x, const Shape& w, int64_t bias_size) {
  return [=](Generator& g) {
    Inputs in{RandN(g, x), RandN(g, w, 0.5)};
    if (bias_size > 0) in.push_back(RandN(g, {bias_size}));
    return in;
  };
}

Tensor Bias(const Inputs& in) { return in.size() > 2 ? in[2] : Tensor(); }

// The op's input, channels-last when asked (engine/memory_format.h); the output and the input
// gradient then are channels-last too, which the harness reads through their strides.
Tensor Input(const Tensor& x, bool channels_last) { return channels_last ? ToChannelsLast(x) : x; }

void AddConv2d(std::vector<OpCase>* cases, const std::string& tag, const Geometry& geo, const RefConvAttrs& a,
               bool bias, bool channels_last = false) {
  OpCase c;
  c.name = "conv/conv2d_" + tag + Suffix(a, bias) + (channels_last ? "_channels_last" : "");
  c.kind = OpKind::kConv2d;
  c.make_inputs = Maker(geo.x, {geo.o, geo.x[1] / a.groups, geo.k[0], geo.k[1]}, bias ? geo.o : 0);
  const Conv2dParams p{a.stride_h, a.stride_w, a.pad_h, a.pad_w, a.dilation_h, a.dilation_w, a.groups};
  c.op = [p, channels_last](const Inputs& in) { return Conv2d(Input(in[0], channels_last), in[1], Bias(in), p); };
  c.reference = [a](const Inputs& in) { return RefConv2d(in[0], in[1], Bias(in), a); };
  cases->push_back(c);
}

// extra_right: zeros added on the right beyond a.pad_w (Conv1dParams::padding_right); the reference
// sees them as explicit zeros.
void AddConv1d(std::vector<OpCase>* cases, const std::string& tag, const Geometry& geo, const RefConvAttrs& a,
               bool bias, bool channels_last = false, int64_t extra_right = 0) {
  OpCase c;
  c.name = "conv/conv1d_" + tag + Suffix(a, bias) + (extra_right > 0 ? "_right" + Num(a.pad_w + extra_right) : "") +
           (channels_last ? "_channels_last" : "");
  c.kind = OpKind::kConv2d;
  c.make_inputs = Maker(geo.x, {geo.o, geo.x[1] / a.groups, geo.k[0]}, bias ? geo.o : 0);
  Conv1dParams p{a.stride_w, a.pad_w, a.dilation_w, a.groups};
  if (extra_right > 0) p.padding_right = a.pad_w + extra_right;
  c.op = [p, channels_last](const Inputs& in) { return Conv1d(Input(in[0], channels_last), in[1], Bias(in), p); };
  c.reference = [a, extra_right](const Inputs& in) {
    const Tensor& x = in[0];  // (N, C, L) float64 contiguous
    const int64_t n = x.shape()[0], ch = x.shape()[1], l = x.shape()[2], lp = l + extra_right;
    Tensor padded = Tensor::Zeros({n, ch, lp}, DType::kFloat64);
    for (int64_t r = 0; r < n * ch; ++r) {
      for (int64_t i = 0; i < l; ++i) padded.data<double>()[r * lp + i] = x.data<double>()[r * l + i];
    }
    return RefConv1d(padded, in[1], Bias(in), a);
  };
  cases->push_back(c);
}

void AddTranspose(std::vector<OpCase>* cases, const std::string& tag, const Geometry& geo,
                  const RefConvAttrs& a, bool bias) {
  OpCase c;
  c.name = "conv/conv_transpose2d_" + tag + Suffix(a, bias);
  c.kind = OpKind::kConv2d;
  c.make_inputs = Maker(geo.x, {geo.x[1], geo.o / a.groups, geo.k[0], geo.k[1]}, bias ? geo.o : 0);
  const ConvTranspose2dParams p{a.stride_h,     a.stride_w,   a.pad_h,      a.pad_w, a.output_pad_h,
                                a.output_pad_w, a.dilation_h, a.dilation_w, a.groups};
  c.op = [p](const Inputs& in) { return ConvTranspose2d(in[0], in[1], Bias(in), p); };
  c.reference = [a](const Inputs& in) { return RefConvTranspose2d(in[0], in[1], Bias(in), a); };
  cases->push_back(c);
}

RefConvAttrs Attrs2d(int64_t s, int64_t pad, int64_t d, int64_t g) { return {s, s, pad, pad, d, d, g}; }

// Groups 1, 2 and depthwise on C = 4 input channels, with the output channels each uses.
struct GroupChoice {
  const char* name;
  int64_t groups, out;
};
const GroupChoice kGroups[] = {{"dense", 1, 5}, {"grouped", 2, 6}, {"depthwise", 4, 4}};

void AddConv2dGrid(std::vector<OpCase>* cases) {
  // 3x3 kernels on a non-square 7x6 input: every combination.
  for (int64_t s : {1, 2})
    for (int64_t pad : {0, 1, 2})
      for (int64_t d : {1, 2})
        for (const GroupChoice& g : kGroups)
          for (bool bias : {false, true}) {
            AddConv2d(cases, std::string(g.name) + "_k3x3", {{2, 4, 7, 6}, g.out, {3, 3}},
                      Attrs2d(s, pad, d, g.groups), bias);
          }
  // Non-square kernels on a 9x11 input: every stride / padding / dilation, groups and bias rotating.
  const Shape kernels[] = {{1, 3}, {3, 1}, {5, 5}};
  int i = 0;
  for (const Shape& k : kernels)
    for (int64_t s : {1, 2})
      for (int64_t pad : {0, 1, 2})
        for (int64_t d : {1, 2}) {
          const GroupChoice& g = kGroups[i % 3];
          const std::string tag = std::string(g.name) + "_k" + Num(k[0]) + "x" + Num(k[1]);
          AddConv2d(cases, tag, {{2, 4, 9, 11}, g.out, k}, Attrs2d(s, pad, d, g.groups), (i / 3) % 2 == 0);
          ++i;
        }
}

void AddConv2dSpecial(std::vector<OpCase>* cases) {
  AddConv2d(cases, "stem_c3", {{2, 3, 8, 8}, 8, {3, 3}}, Attrs2d(1, 1, 1, 1), true);
  AddConv2d(cases, "blocked_c16", {{2, 16, 6, 6}, 32, {3, 3}}, Attrs2d(1, 1, 1, 1), true);
  AddConv2d(cases, "blocked_c16_stride2", {{2, 16, 7, 7}, 16, {3, 3}}, Attrs2d(2, 1, 1, 1), false);
  AddConv2d(cases, "shortcut_1x1", {{2, 16, 8, 8}, 32, {1, 1}}, Attrs2d(2, 0, 1, 1), false);
  AddConv2d(cases, "pointwise_1x1", {{2, 32, 5, 5}, 16, {1, 1}}, Attrs2d(1, 0, 1, 1), false);
  AddConv2d(cases, "depthwise_c32_k3", {{2, 32, 8, 8}, 32, {3, 3}}, Attrs2d(1, 1, 1, 32), false);
  AddConv2d(cases, "depthwise_c32_k3_dil", {{2, 32, 8, 8}, 32, {3, 3}}, Attrs2d(1, 2, 2, 32), false);
  AddConv2d(cases, "depthwise_c32_k5_dil", {{2, 32, 9, 9}, 32, {5, 5}}, Attrs2d(1, 4, 2, 32), false);
  AddConv2d(cases, "depthwise_c32_k5_s2", {{2, 32, 9, 9}, 32, {5, 5}}, Attrs2d(2, 2, 1, 32), true);
  AddConv2d(cases, "depthwise_multiplier2", {{2, 4, 6, 5}, 8, {3, 3}}, Attrs2d(1, 1, 1, 4), true);
  AddConv2d(cases, "batch1_wide", {{1, 2, 3, 10}, 3, {3, 3}}, Attrs2d(1, 1, 1, 1), true);
  AddConv2d(cases, "mixed_attrs", {{2, 4, 9, 8}, 6, {3, 5}}, {2, 1, 1, 2, 1, 2, 2}, true);
  AddConv2d(cases, "blocked_c16", {{2, 16, 6, 6}, 32, {3, 3}}, Attrs2d(1, 1, 1, 1), true, true);
  AddConv2d(cases, "blocked_c16_stride2", {{2, 16, 7, 7}, 16, {3, 3}}, Attrs2d(2, 1, 1, 1), false, true);
  AddConv2d(cases, "shortcut_1x1", {{2, 16, 8, 8}, 32, {1, 1}}, Attrs2d(2, 0, 1, 1), false, true);
  AddConv2d(cases, "stem_c3", {{2, 3, 8, 8}, 8, {3, 3}}, Attrs2d(1, 1, 1, 1), true, true);
  AddConv2d(cases, "depthwise_c32_k3", {{2, 32, 8, 8}, 32, {3, 3}}, Attrs2d(1, 1, 1, 32), false, true);
}

void AddConv1dCases(std::vector<OpCase>* cases) {
  auto a1 = [](int64_t s, int64_t pad, int64_t d, int64_t g) {
    RefConvAttrs a;
    a.stride_w = s;
    a.pad_w = pad;
    a.dilation_w = d;
    a.groups = g;
    return a;
  };
  AddConv1d(cases, "k3", {{2, 4, 13}, 5, {3}}, a1(1, 0, 1, 1), true);
  AddConv1d(cases, "k3", {{2, 4, 13}, 5, {3}}, a1(2, 1, 1, 1), false);
  AddConv1d(cases, "k3", {{2, 4, 13}, 5, {3}}, a1(1, 2, 2, 1), true);
  AddConv1d(cases, "k3", {{2, 4, 13}, 6, {3}}, a1(1, 1, 1, 2), true);
  AddConv1d(cases, "k3_depthwise", {{2, 4, 13}, 4, {3}}, a1(2, 1, 2, 4), false);
  AddConv1d(cases, "ecg_k8", {{2, 4, 20}, 6, {8}}, a1(1, 4, 1, 1), true);
  AddConv1d(cases, "ecg_k8", {{2, 4, 20}, 6, {8}}, a1(1, 3, 1, 1), false);
  AddConv1d(cases, "ecg_k8", {{2, 4, 21}, 6, {8}}, a1(2, 3, 1, 2), true);
  AddConv1d(cases, "ecg_k8", {{2, 4, 24}, 4, {8}}, a1(1, 7, 2, 4), true);
  AddConv1d(cases, "ecg_k8_blocked", {{2, 16, 30}, 16, {8}}, a1(1, 4, 1, 1), true);
  // ResNet1D's 'same' padding of even kernels (3 left, 4 right), plain and channels-last (oneDNN's
  // NHWC kernels; float64 and grouped ones through contiguous copies).
  AddConv1d(cases, "ecg_k8_same", {{2, 4, 20}, 6, {8}}, a1(1, 3, 1, 1), true, false, 1);
  AddConv1d(cases, "ecg_k8_same", {{2, 16, 30}, 16, {8}}, a1(1, 3, 1, 1), true, true, 1);
  AddConv1d(cases, "ecg_k8_same_in1", {{2, 1, 20}, 16, {8}}, a1(1, 3, 1, 1), true, true, 1);
  AddConv1d(cases, "k5", {{2, 16, 19}, 32, {5}}, a1(1, 2, 1, 1), false, true);
  AddConv1d(cases, "k1", {{2, 16, 19}, 32, {1}}, a1(1, 0, 1, 1), true, true);
  AddConv1d(cases, "k3", {{2, 4, 13}, 6, {3}}, a1(1, 1, 1, 2), true, true);
  AddConv1d(cases, "k3_depthwise", {{2, 4, 13}, 4, {3}}, a1(2, 1, 2, 4), false, true);
}

void AddTransposeCases(std::vector<OpCase>* cases) {
  auto at = [](int64_t s, int64_t pad, int64_t op, int64_t d, int64_t g) {
    RefConvAttrs a = Attrs2d(s, pad, d, g);
    a.output_pad_h = a.output_pad_w = op;
    return a;
  };
  AddTranspose(cases, "k3", {{2, 4, 4, 5}, 3, {3, 3}}, at(2, 0, 0, 1, 1), true);
  AddTranspose(cases, "k3", {{2, 4, 4, 5}, 3, {3, 3}}, at(2, 1, 1, 1, 1), false);
  AddTranspose(cases, "k3", {{2, 4, 4, 5}, 6, {3, 3}}, at(2, 1, 1, 1, 2), true);
  AddTranspose(cases, "k3", {{2, 4, 4, 5}, 4, {3, 3}}, at(2, 1, 0, 1, 4), false);
  AddTranspose(cases, "k3", {{2, 4, 5, 4}, 3, {3, 3}}, at(1, 1, 0, 1, 1), true);
  AddTranspose(cases, "k3", {{2, 4, 4, 5}, 3, {3, 3}}, at(2, 2, 1, 2, 1), true);
  AddTranspose(cases, "k3", {{2, 4, 4, 5}, 3, {3, 3}}, at(1, 0, 1, 2, 1), false);  // output pad >= stride
  AddTranspose(cases, "k2x4", {{2, 4, 3, 4}, 2, {2, 4}}, {2, 1, 0, 1, 1, 1, 1, 1, 0}, true);
  AddTranspose(cases, "k4_blocked", {{2, 16, 4, 4}, 16, {4, 4}}, at(2, 1, 0, 1, 1), true);
}

}  // namespace

void AddConvCases(std::vector<OpCase>* cases) {
  AddConv2dGrid(cases);
  AddConv2dSpecial(cases);
  AddConv1dCases(cases);
  AddTransposeCases(cases);
}

}  // namespace testing
}  // namespace nb360
