// Conformance cases: cross-entropy, BCE-with-logits, MSE, L1, relative L2, scaled dot-product and
// multi-head attention (ops/loss.h, ops/attention.h). References: tests/ops/reference/loss_reference.cc.
#include <cmath>
#include <string>

#include "ops/attention.h"
#include "ops/loss.h"
#include "tests/ops/conformance.h"
#include "tests/ops/reference/loss_reference.h"

namespace nb360 {
namespace testing {
namespace {

const char* ReductionName(Reduction r) {
  switch (r) {
    case Reduction::kNone: return "none";
    case Reduction::kMean: return "mean";
    case Reduction::kSum: return "sum";
  }
  return "?";
}

Tensor Opt(const Inputs& in, size_t i) { return i < in.size() ? in[i] : Tensor(); }

// ---------------------------------------------------------------- cross-entropy

struct CeSpec {
  std::string variant;
  Shape logits;            // (N, C, ...)
  bool weighted = false;
  int64_t ignore_index = -100;
  int ignored = 0;         // how many target entries are set to ignore_index
  double smoothing = 0.0;
};

void AddCrossEntropy(std::vector<OpCase>* cases, const CeSpec& s, Reduction red) {
  OpCase c;
  c.name = "loss/cross_entropy_" + s.variant + "_" + ReductionName(red);
  c.kind = OpKind::kSoftmax;
  c.make_inputs = [s](Generator& g) {
    const int64_t classes = s.logits[1];
    Shape ts = s.logits;
    ts.erase(ts.begin() + 1);
    Tensor target = RandIndex(g, ts, classes);
    for (int i = 0; i < s.ignored; ++i) target.data<int64_t>()[(3 * i + 1) % target.numel()] = s.ignore_index;
    Inputs in{RandN(g, s.logits, 1.5), target};
    if (s.weighted) in.push_back(RandU(g, {classes}, 0.2, 2.0));
    return in;
  };
  c.op = [s, red](const Inputs& in) {
    return CrossEntropy(in[0], in[1], Opt(in, 2), s.ignore_index, red, s.smoothing);
  };
  c.reference = [s, red](const Inputs& in) {
    return RefCrossEntropy(in[0], in[1], Opt(in, 2), s.ignore_index, red, s.smoothing);
  };
  c.differentiable = {true, false, false};  // class weights are constants, as in PyTorch
  cases->push_back(c);
}

// ---------------------------------------------------------------- BCE with logits

struct BceSpec {
  std::string variant;
  Shape logits;
  Shape weight;        // empty vector = none (use {} sentinel via has_weight)
  bool has_weight = false;
  bool has_pos_weight = false;
  double logit_scale = 2.0;
  bool hard_targets = false;
};

void AddBce(std::vector<OpCase>* cases, const BceSpec& s, Reduction red) {
  OpCase c;
  c.name = "loss/bce_with_logits_" + s.variant + "_" + ReductionName(red);
  c.kind = OpKind::kUnary;
  c.make_inputs = [s](Generator& g) {
    Tensor x = RandN(g, s.logits, s.logit_scale);
    // Keep clear of softplus's switch to the linear branch at x = 20 (a kink at float64 precision).
    double* xp = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (std::abs(xp[i] - 20.0) < 0.5) xp[i] += 1.0;
    }
    Tensor t = s.hard_targets ? RandIndex(g, s.logits, 2).To(DType::kFloat64) : RandU(g, s.logits, 0.0, 1.0);
    Inputs in{x, t};
    in.push_back(s.has_weight ? RandU(g, s.weight, 0.2, 2.0) : Tensor());
    in.push_back(s.has_pos_weight ? RandU(g, {s.logits.back()}, 0.3, 3.0) : Tensor());
    Inputs defined;
    for (const Tensor& t2 : in) {
      if (t2.defined()) defined.push_back(t2);
    }
    return defined;
  };
  // Inputs are {x, t[, weight][, pos_weight]}; map them back to their roles.
  auto unpack = [s](const Inputs& in, Tensor* w, Tensor* pw) {
    size_t i = 2;
    if (s.has_weight) *w = in[i++];
    if (s.has_pos_weight) *pw = in[i++];
  };
  c.op = [unpack, red](const Inputs& in) {
    Tensor w, pw;
    unpack(in, &w, &pw);
    return BinaryCrossEntropyWithLogits(in[0], in[1], w, pw, red);
  };
  c.reference = [unpack, red](const Inputs& in) {
    Tensor w, pw;
    unpack(in, &w, &pw);
    return RefBceWithLogits(in[0], in[1], w, pw, red);
  };
  cases->push_back(c);
}

// ---------------------------------------------------------------- regression losses

void AddRegression(std::vector<OpCase>* cases, const std::string& name, const Shape& shape, Reduction red,
                   Tensor (*op)(const Tensor&, const Tensor&, Reduction),
                   Tensor (*ref)(const Tensor&, const Tensor&, Reduction)) {
  OpCase c;
  c.name = "loss/" + name + "_" + ShapeString(shape) + "_" + ReductionName(red);
  c.kind = OpKind::kUnary;
  c.make_inputs = [shape](Generator& g) { return Inputs{RandN(g, shape), RandN(g, shape)}; };
  c.op = [op, red](const Inputs& in) { return op(in[0], in[1], red); };
  c.reference = [ref, red](const Inputs& in) { return ref(in[0], in[1], red); };
  cases->push_back(c);
}

// The spec's check (tasks.md 5.4): pred = 2 * target gives rel_n = 1 for every sample.
void AddRelativeL2Doubling(std::vector<OpCase>* cases, Reduction red) {
  OpCase c;
  c.name = std::string("loss/relative_l2_pred_twice_target_") + ReductionName(red);
  c.kind = OpKind::kUnary;
  c.make_inputs = [](Generator& g) {
    Tensor t = RandN(g, {4, 5, 6});
    Tensor p = Tensor::FromVector(t.ToVector<double>(), t.shape());
    for (int64_t i = 0; i < p.numel(); ++i) p.data<double>()[i] *= 2.0;
    return Inputs{p, t};
  };
  c.op = [red](const Inputs& in) { return RelativeL2Loss(in[0], in[1], red); };
  c.reference = [red](const Inputs&) {
    if (red == Reduction::kNone) return Tensor::Ones({4}, DType::kFloat64);
    return Tensor::Scalar(red == Reduction::kSum ? 4.0 : 1.0, DType::kFloat64);
  };
  cases->push_back(c);
}

// ---------------------------------------------------------------- attention

enum class MaskKind { kNone, kBool, kFloat };

struct AttnSpec {
  std::string variant;
  int64_t b, h, lq, lk, d, dv;
  MaskKind mask = MaskKind::kNone;
  Shape mask_shape;
  double scale = -1.0;
};

// A random mask of `shape`; bool masks keep at least the first key of every row.
Tensor RandMask(Generator& g, MaskKind kind, const Shape& shape) {
  if (kind == MaskKind::kFloat) return RandN(g, shape);
  Tensor m = Tensor::Empty(shape, DType::kBool);
  const int64_t lk = shape.back();
  for (int64_t i = 0; i < m.numel(); ++i) m.data<bool>()[i] = i % lk == 0 || g.NextDouble() < 0.6;
  return m;
}

void AddAttention(std::vector<OpCase>* cases, const AttnSpec& s) {
  OpCase c;
  c.name = "loss/attention_" + s.variant;
  c.kind = OpKind::kSoftmax;
  c.make_inputs = [s](Generator& g) {
    Inputs in{RandN(g, {s.b, s.h, s.lq, s.d}), RandN(g, {s.b, s.h, s.lk, s.d}), RandN(g, {s.b, s.h, s.lk, s.dv})};
    if (s.mask != MaskKind::kNone) in.push_back(RandMask(g, s.mask, s.mask_shape));
    return in;
  };
  c.op = [s](const Inputs& in) { return ScaledDotProductAttention(in[0], in[1], in[2], Opt(in, 3), s.scale); };
  c.reference = [s](const Inputs& in) { return RefAttention(in[0], in[1], in[2], Opt(in, 3), s.scale); };
  cases->push_back(c);
}

struct MhaSpec {
  std::string variant;
  int64_t b, lq, lk, e, heads;
  bool self = false;       // query = key = value (the fused projection path)
  bool shared_kv = false;  // key = value (the fused key/value projection path)
  bool bias = true;
  MaskKind mask = MaskKind::kNone;
  Shape mask_shape;
};

void AddMultiHead(std::vector<OpCase>* cases, const MhaSpec& s) {
  OpCase c;
  c.name = "loss/multi_head_attention_" + s.variant;
  c.kind = OpKind::kSoftmax;
  // Inputs: query, key, value, in_w, out_w[, in_b, out_b][, mask] (no key/value for self-attention, no
  // value when it is the key).
  c.make_inputs = [s](Generator& g) {
    const double ws = 1.0 / std::sqrt(static_cast<double>(s.e));
    Inputs in{RandN(g, {s.b, s.lq, s.e})};
    if (!s.self) in.push_back(RandN(g, {s.b, s.lk, s.e}));
    if (!s.self && !s.shared_kv) in.push_back(RandN(g, {s.b, s.lk, s.e}));
    in.push_back(RandN(g, {3 * s.e, s.e}, ws));
    in.push_back(RandN(g, {s.e, s.e}, ws));
    if (s.bias) {
      in.push_back(RandN(g, {3 * s.e}, 0.1));
      in.push_back(RandN(g, {s.e}, 0.1));
    }
    if (s.mask != MaskKind::kNone) in.push_back(RandMask(g, s.mask, s.mask_shape));
    return in;
  };
  struct Args {
    Tensor q, k, v, in_w, out_w, in_b, out_b, mask;
  };
  auto unpack = [s](const Inputs& in) {
    Args a;
    size_t i = 0;
    a.q = in[i++];
    a.k = s.self ? a.q : in[i++];
    a.v = s.self ? a.q : (s.shared_kv ? a.k : in[i++]);
    a.in_w = in[i++];
    a.out_w = in[i++];
    if (s.bias) {
      a.in_b = in[i++];
      a.out_b = in[i++];
    }
    if (s.mask != MaskKind::kNone) a.mask = in[i++];
    return a;
  };
  c.op = [s, unpack](const Inputs& in) {
    const Args a = unpack(in);
    return MultiHeadAttention(a.q, a.k, a.v, s.heads, a.in_w, a.in_b, a.out_w, a.out_b, a.mask);
  };
  c.reference = [s, unpack](const Inputs& in) {
    const Args a = unpack(in);
    return RefMultiHeadAttention(a.q, a.k, a.v, s.heads, a.in_w, a.in_b, a.out_w, a.out_b, a.mask);
  };
  c.max_fd_elements = 24;
  cases->push_back(c);
}

}  // namespace

void AddLossCases(std::vector<OpCase>* cases) {
  const Reduction all[] = {Reduction::kMean, Reduction::kSum, Reduction::kNone};
  // Cross-entropy.
  const CeSpec ce[] = {
      {"2d", {5, 7}},
      {"2d_weight", {6, 4}, true},
      {"2d_ignore", {6, 5}, false, -100, 2},
      {"2d_weight_ignore", {7, 5}, true, -100, 3},
      {"2d_ignore_valid_class", {6, 4}, true, 2, 0},  // ignore_index is a real class id
      {"3d_weight_ignore", {3, 4, 5}, true, -1, 2},
      {"4d", {2, 3, 4, 3}},
      {"4d_weight_ignore", {2, 5, 3, 2}, true, -100, 3},
      {"2d_smoothing", {5, 6}, false, -100, 0, 0.1},
      {"2d_smoothing_weight_ignore", {6, 5}, true, -100, 2, 0.2},
      {"4d_smoothing_weight_ignore", {2, 4, 3, 2}, true, 7, 2, 0.3},
  };
  for (const CeSpec& s : ce) {
    for (Reduction r : all) AddCrossEntropy(cases, s, r);
  }
  // BCE with logits.
  const BceSpec bce[] = {
      {"plain", {4, 6}},
      {"weight_rows", {4, 6}, {4, 1}, true},
      {"pos_weight", {3, 5}, {}, false, true},
      {"weight_pos_weight_3d", {2, 3, 5}, {5}, true, true},
      {"large_logits_hard", {4, 8}, {}, false, false, 40.0, true},
      {"large_logits_pos_weight", {4, 8}, {8}, true, true, 40.0, true},
  };
  for (const BceSpec& s : bce) {
    for (Reduction r : all) AddBce(cases, s, r);
  }
  // MSE, L1, relative L2.
  for (Reduction r : all) {
    AddRegression(cases, "mse", {3, 4, 5}, r, MseLoss, RefMse);
    AddRegression(cases, "l1", {4, 6}, r, L1Loss, RefL1);
    AddRegression(cases, "relative_l2", {4, 5, 6}, r, RelativeL2Loss, RefRelativeL2);
    AddRelativeL2Doubling(cases, r);
  }
  AddRegression(cases, "relative_l2", {3, 7}, Reduction::kSum, RelativeL2Loss, RefRelativeL2);
  // Scaled dot-product attention.
  const AttnSpec attn[] = {
      {"unmasked", 2, 2, 3, 5, 4, 6},
      {"square_scale", 1, 3, 4, 4, 5, 5, MaskKind::kNone, {}, 0.3},
      {"bool_mask_broadcast", 2, 2, 3, 5, 4, 6, MaskKind::kBool, {3, 5}},
      {"bool_mask_full", 2, 2, 4, 3, 5, 2, MaskKind::kBool, {2, 2, 4, 3}},
      {"float_mask", 2, 3, 3, 5, 4, 3, MaskKind::kFloat, {2, 1, 3, 5}},
  };
  for (const AttnSpec& s : attn) AddAttention(cases, s);
  // Multi-head attention.
  const MhaSpec mha[] = {
      {"self", 2, 4, 4, 6, 2, true},
      {"cross_lq_ne_lk", 2, 3, 5, 8, 2},
      {"cross_no_bias_float_mask", 2, 3, 4, 6, 3, false, false, false, MaskKind::kFloat, {3, 4}},
      {"self_bool_mask", 1, 5, 5, 4, 2, true, false, true, MaskKind::kBool, {1, 2, 5, 5}},
      {"shared_key_value", 2, 3, 5, 6, 2, false, true},
  };
  for (const MhaSpec& s : mha) AddMultiHead(cases, s);
}

}  // namespace testing
}  // namespace nb360
