// ops/cpu/conv_dnnl.cc: oneDNN convolution primitives, cached by shape + params + pass.
//
// Layout policy (measured at the benchmark shapes, benchmarks/ops/conv_benchmark.cc): convolutions
// with a kernel larger than 1x1 are created with format_tag::any, so oneDNN picks its fast
// channel-blocked layouts, and the plain user tensors are reordered in and out around them where the
// picked layout differs (1.2-2x faster than plain layouts, reorders included). 1x1 convolutions use
// the plain layouts directly (oneDNN runs them as GEMMs; 1.2-2.5x faster than blocked + reorders).
// NB360_CONV_LAYOUT=any|plain (read once) forces one policy for every convolution, for measuring.
//
// Algorithm policy: Winograd F(4x4, 3x3) (oneDNN's jit_wino_4x3, AVX-512) wherever oneDNN has it
// (3x3, stride 1, no dilation, groups 1, on AVX-512 machines), direct convolution elsewhere. It does
// 2.25x fewer multiplications than direct: WRN-16-4 train steps 1.4-1.8x faster (docs/PERFORMANCE.md).
// Results differ from direct convolution by rounding only (relative ~1e-6 in float32; golden parity
// tests hold at 1e-4), and every input of a 6x6 tile enters the rounding of its 4x4 outputs. It is
// deterministic like the direct kernels. NB360_CONV_ALGO=direct (read once) turns it off;
// NB360_CONV_ALGO=auto leaves the choice to oneDNN's heuristic (which skips small batches).
// Primitives use a user scratchpad, so one cached primitive may run on several threads at once.
#include "ops/cpu/conv_dnnl.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/memory_format.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace nb360 {
namespace cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

enum class Pass { kForward, kBackwardData, kBackwardWeight };

// Sizes of one convolution: input (n, c, h, w), output (o, oh, ow), kernel (kh, kw).
struct Geometry {
  int64_t n, c, h, w, o, oh, ow, kh, kw;
};

// Memory format of a data operand: contiguous NCHW or channels-last NHWC.
enum class Format { kNchw, kNhwc };

struct Key {
  Pass pass;
  Geometry g;
  Conv2dParams p;
  bool bias;
  Format in, out;  // formats of the input side (x or gx) and the output side (y or gy)
  bool operator==(const Key& k) const {
    return pass == k.pass && std::memcmp(&g, &k.g, sizeof(g)) == 0 && p == k.p && bias == k.bias &&
           in == k.in && out == k.out;
  }
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    const Geometry& g = k.g;
    const Conv2dParams& p = k.p;
    const int64_t fields[] = {
        g.n,     g.c,          g.h,          g.w,        g.o,        g.oh,
        g.ow,    g.kh,         g.kw,         p.stride_h, p.stride_w, p.pad_h,
        p.pad_w, p.dilation_h, p.dilation_w, p.groups,   k.bias,     static_cast<int64_t>(k.pass),
        static_cast<int64_t>(k.in), static_cast<int64_t>(k.out)};
    size_t h = 1469598103934665603ull;  // FNV-1a over the fields
    for (int64_t f : fields) h = (h ^ static_cast<size_t>(f)) * 1099511628211ull;
    return h;
  }
};

// One primitive argument: its plain user layout, the primitive's layout, and the reorder between
// them (user -> primitive for inputs, primitive -> user for outputs) when they differ.
struct Operand {
  int arg;
  bool output;
  memory::desc user, inner;
  std::optional<dnnl::reorder> reorder;
};

struct Plan {
  dnnl::primitive primitive;
  std::vector<Operand> operands;  // in the order of the tensors passed to Execute
  memory::desc scratchpad;
};

const dnnl::engine& Engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

enum class LayoutPolicy { kAuto, kAny, kPlain };

LayoutPolicy ForcedPolicy() {
  static const LayoutPolicy policy = [] {
    const char* v = std::getenv("NB360_CONV_LAYOUT");
    if (v != nullptr && std::strcmp(v, "plain") == 0) return LayoutPolicy::kPlain;
    if (v != nullptr && std::strcmp(v, "any") == 0) return LayoutPolicy::kAny;
    return LayoutPolicy::kAuto;
  }();
  return policy;
}

// Whether the primitive for this geometry works on the plain user layouts (see the policy above).
bool PlainLayouts(const Geometry& g) {
  switch (ForcedPolicy()) {
    case LayoutPolicy::kPlain:
      return true;
    case LayoutPolicy::kAny:
      return false;
    case LayoutPolicy::kAuto:
      break;
  }
  return g.kh == 1 && g.kw == 1;
}

memory::desc DataDesc(int64_t n, int64_t c, int64_t h, int64_t w, bool any, Format f = Format::kNchw) {
  const Tag tag = any ? Tag::any : (f == Format::kNhwc ? Tag::nhwc : Tag::nchw);
  return memory::desc({n, c, h, w}, memory::data_type::f32, tag);
}

memory::desc WeightDesc(const Geometry& g, int64_t groups, bool any) {
  const int64_t cg = g.c / groups;
  if (groups == 1) {
    return memory::desc({g.o, cg, g.kh, g.kw}, memory::data_type::f32, any ? Tag::any : Tag::oihw);
  }
  return memory::desc({groups, g.o / groups, cg, g.kh, g.kw}, memory::data_type::f32,
                      any ? Tag::any : Tag::goihw);
}

memory::desc BiasDesc(const Geometry& g, bool bias) {
  return bias ? memory::desc({g.o}, memory::data_type::f32, Tag::x) : memory::desc();
}

// Right padding that makes (in + pad_l + pad_r - span) / stride + 1 == out: the left padding
// where that already holds (every forward conv), otherwise what the output size needs (a
// transposed conv's output padding).
int64_t RightPad(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = dilation * (k - 1) + 1;
  if ((in + 2 * pad - span) / stride + 1 == out) return pad;
  return (out - 1) * stride + span - in - pad;
}

struct ConvAttrs {
  memory::dims strides, dilates, pad_l, pad_r;
};

ConvAttrs AttrsOf(const Geometry& g, const Conv2dParams& p) {
  return {{p.stride_h, p.stride_w},
          {p.dilation_h - 1, p.dilation_w - 1},
          {p.pad_h, p.pad_w},
          {RightPad(g.h, g.oh, g.kh, p.stride_h, p.pad_h, p.dilation_h),
           RightPad(g.w, g.ow, g.kw, p.stride_w, p.pad_w, p.dilation_w)}};
}

enum class AlgoPolicy { kDirect, kAuto, kWinograd };

AlgoPolicy ForcedAlgo() {
  static const AlgoPolicy policy = [] {
    const char* v = std::getenv("NB360_CONV_ALGO");
    if (v != nullptr && std::strcmp(v, "direct") == 0) return AlgoPolicy::kDirect;
    if (v != nullptr && std::strcmp(v, "auto") == 0) return AlgoPolicy::kAuto;
    return AlgoPolicy::kWinograd;
  }();
  return policy;
}

dnnl::primitive_attr Attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// With a channels-last operand the primitive works in NHWC throughout (oneDNN's NHWC kernels are as
// fast as its blocked ones for these shapes, and a channels-last model then needs no reorders);
// `inner` is that format, or what the layout policy picks.
Format InnerFormat(const Key& k) {
  return k.in == Format::kNhwc || k.out == Format::kNhwc ? Format::kNhwc : Format::kNchw;
}

dnnl::convolution_forward::primitive_desc ForwardPd(const Key& k, bool any, dnnl::algorithm algo) {
  const Geometry& g = k.g;
  const ConvAttrs a = AttrsOf(g, k.p);
  const Format f = InnerFormat(k);
  const dnnl::convolution_forward::desc d(
      dnnl::prop_kind::forward_training, algo,
      DataDesc(g.n, g.c, g.h, g.w, any, f), WeightDesc(g, k.p.groups, any || f == Format::kNhwc), BiasDesc(g, k.bias),
      DataDesc(g.n, g.o, g.oh, g.ow, any, f), a.strides, a.dilates, a.pad_l, a.pad_r);
  return dnnl::convolution_forward::primitive_desc(d, Attr(), Engine());
}

Operand MakeOperand(int arg, bool output, const memory::desc& user, const memory::desc& inner) {
  Operand op{arg, output, user, inner, std::nullopt};
  if (user != inner) {
    op.reorder = output ? dnnl::reorder(memory(inner, Engine(), nullptr), memory(user, Engine(), nullptr))
                        : dnnl::reorder(memory(user, Engine(), nullptr), memory(inner, Engine(), nullptr));
  }
  return op;
}

std::unique_ptr<Plan> BuildPlan(const Key& k, dnnl::algorithm algo) {
  const bool any = InnerFormat(k) == Format::kNchw && !PlainLayouts(k.g);
  const Format f = InnerFormat(k);
  const Geometry& g = k.g;
  const memory::desc x = DataDesc(g.n, g.c, g.h, g.w, false, k.in);
  const memory::desc y = DataDesc(g.n, g.o, g.oh, g.ow, false, k.out);
  const memory::desc w = WeightDesc(g, k.p.groups, false), b = BiasDesc(g, k.bias);
  auto plan = std::make_unique<Plan>();
  const dnnl::convolution_forward::primitive_desc fwd = ForwardPd(k, any, algo);
  const ConvAttrs a = AttrsOf(g, k.p);
  switch (k.pass) {
    case Pass::kForward: {
      plan->primitive = dnnl::convolution_forward(fwd);
      plan->operands = {MakeOperand(DNNL_ARG_SRC, false, x, fwd.src_desc()),
                        MakeOperand(DNNL_ARG_WEIGHTS, false, w, fwd.weights_desc()),
                        MakeOperand(DNNL_ARG_DST, true, y, fwd.dst_desc())};
      if (k.bias) plan->operands.push_back(MakeOperand(DNNL_ARG_BIAS, false, b, fwd.bias_desc()));
      plan->scratchpad = fwd.scratchpad_desc();
      break;
    }
    case Pass::kBackwardData: {
      const dnnl::convolution_backward_data::desc d(
          algo, DataDesc(g.n, g.c, g.h, g.w, any, f),
          WeightDesc(g, k.p.groups, any || f == Format::kNhwc), DataDesc(g.n, g.o, g.oh, g.ow, any, f), a.strides, a.dilates, a.pad_l,
          a.pad_r);
      const dnnl::convolution_backward_data::primitive_desc pd(d, Attr(), Engine(), fwd);
      plan->primitive = dnnl::convolution_backward_data(pd);
      plan->operands = {MakeOperand(DNNL_ARG_DIFF_DST, false, y, pd.diff_dst_desc()),
                        MakeOperand(DNNL_ARG_WEIGHTS, false, w, pd.weights_desc()),
                        MakeOperand(DNNL_ARG_DIFF_SRC, true, x, pd.diff_src_desc())};
      plan->scratchpad = pd.scratchpad_desc();
      break;
    }
    case Pass::kBackwardWeight: {
      const dnnl::convolution_backward_weights::desc d(
          algo, DataDesc(g.n, g.c, g.h, g.w, any, f),
          WeightDesc(g, k.p.groups, any || f == Format::kNhwc), BiasDesc(g, k.bias), DataDesc(g.n, g.o, g.oh, g.ow, any, f), a.strides,
          a.dilates, a.pad_l, a.pad_r);
      const dnnl::convolution_backward_weights::primitive_desc pd(d, Attr(), Engine(), fwd);
      plan->primitive = dnnl::convolution_backward_weights(pd);
      plan->operands = {MakeOperand(DNNL_ARG_SRC, false, x, pd.src_desc()),
                        MakeOperand(DNNL_ARG_DIFF_DST, false, y, pd.diff_dst_desc()),
                        MakeOperand(DNNL_ARG_DIFF_WEIGHTS, true, w, pd.diff_weights_desc())};
      if (k.bias) plan->operands.push_back(MakeOperand(DNNL_ARG_DIFF_BIAS, true, b, pd.diff_bias_desc()));
      plan->scratchpad = pd.scratchpad_desc();
      break;
    }
  }
  return plan;
}

// The algorithms to try for k, in order of preference.
std::vector<dnnl::algorithm> Algorithms(const Key& k) {
  switch (ForcedAlgo()) {
    case AlgoPolicy::kDirect:
      return {dnnl::algorithm::convolution_direct};
    case AlgoPolicy::kAuto:
      return {dnnl::algorithm::convolution_auto, dnnl::algorithm::convolution_direct};
    case AlgoPolicy::kWinograd:
      break;
  }
  return {dnnl::algorithm::convolution_winograd, dnnl::algorithm::convolution_direct};
}

// The cached plan for k, or null when oneDNN has no implementation for it.
const Plan* GetPlan(const Key& k) {
  static std::mutex mu;
  static auto* cache = new std::unordered_map<Key, std::unique_ptr<Plan>, KeyHash>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(k);
  if (it != cache->end()) return it->second.get();
  std::unique_ptr<Plan> plan;
  for (dnnl::algorithm algo : Algorithms(k)) {
    try {
      plan = BuildPlan(k, algo);
      break;
    } catch (const dnnl::error&) {
      plan = nullptr;
    }
  }
  // Plans are never evicted: a model has a few dozen conv shapes, and a pointer handed out stays valid.
  return cache->emplace(k, std::move(plan)).first->second.get();
}

// A float32 buffer of at least `bytes` bytes from the pooled allocator.
Tensor Buffer(size_t bytes) {
  return Tensor::Empty({static_cast<int64_t>((bytes + sizeof(float) - 1) / sizeof(float))});
}

// The gradient gy of the last backward-data pass on this thread, as reordered for its primitive.
// The front-end runs backward-weight right after backward-data with the same gy, which then skips
// its own reorder of gy (the largest operand of both). The entry holds gy's storage, so a matching
// data pointer means the same, unchanged tensor; it is dropped when used and by every other pass.
struct ReorderedGradient {
  std::shared_ptr<Storage> storage;
  const void* data = nullptr;
  memory::desc layout;
  Tensor buffer;
};

ReorderedGradient& LastGradient() {
  thread_local ReorderedGradient last;
  return last;
}

// Runs the plan on the user tensors `operands` (in the plan's order). `pass` says how the reordered
// gradient is shared (see ReorderedGradient).
void Execute(const Plan& plan, Pass pass, const std::vector<const Tensor*>& operands) {
  dnnl::stream& stream = Stream();
  ReorderedGradient& last = LastGradient();
  ReorderedGradient reused = std::move(last);
  last = ReorderedGradient();
  std::unordered_map<int, memory> args;
  std::vector<Tensor> buffers;
  std::vector<std::pair<const Operand*, memory>> outputs;  // operands to reorder back, with their memory
  for (size_t i = 0; i < plan.operands.size(); ++i) {
    const Operand& op = plan.operands[i];
    const Tensor& t = *operands[i];
    memory user(op.user, Engine(), t.raw_data());
    if (!op.reorder) {
      args.emplace(op.arg, user);
      continue;
    }
    const bool gradient = op.arg == DNNL_ARG_DIFF_DST;
    if (gradient && pass == Pass::kBackwardWeight && reused.data == t.raw_data() &&
        reused.storage == t.storage() && reused.layout == op.inner) {
      args.emplace(op.arg, memory(op.inner, Engine(), reused.buffer.raw_data()));
      continue;
    }
    buffers.push_back(Buffer(op.inner.get_size()));
    memory inner(op.inner, Engine(), buffers.back().raw_data());
    if (op.output) {
      outputs.emplace_back(&op, user);
    } else {
      op.reorder->execute(stream, user, inner);
    }
    if (gradient && pass == Pass::kBackwardData) last = {t.storage(), t.raw_data(), op.inner, buffers.back()};
    args.emplace(op.arg, inner);
  }
  if (plan.scratchpad.get_size() > 0) {
    buffers.push_back(Buffer(plan.scratchpad.get_size()));
    args.emplace(DNNL_ARG_SCRATCHPAD, memory(plan.scratchpad, Engine(), buffers.back().raw_data()));
  }
  plan.primitive.execute(stream, args);
  for (auto& [op, user] : outputs) op->reorder->execute(stream, args.at(op->arg), user);
  stream.wait();
}

Geometry GeometryOf(const Tensor& x, const Tensor& w, const Tensor& y) {
  return {x.size(0), x.size(1), x.size(2), x.size(3), y.size(1), y.size(2), y.size(3), w.size(2), w.size(3)};
}

// The format of a data operand, or nullopt when it is neither contiguous nor channels-last.
std::optional<Format> FormatOf(const Tensor& t) {
  if (t.is_contiguous()) return Format::kNchw;
  if (IsChannelsLast(t)) return Format::kNhwc;
  return std::nullopt;
}

// The key of a pass whose input side is `in` and output side `out`, or nullopt for other layouts.
std::optional<Key> MakeKey(Pass pass, const Geometry& g, const Conv2dParams& p, bool bias, const Tensor& in,
                           const Tensor& out) {
  const std::optional<Format> fi = FormatOf(in), fo = FormatOf(out);
  if (!fi || !fo) return std::nullopt;
  return Key{pass, g, p, bias, *fi, *fo};
}

bool Run(const std::optional<Key>& key, const std::vector<const Tensor*>& operands) {
  if (!key) return false;
  const Key& k = *key;
  const Plan* plan = GetPlan(k);
  if (plan == nullptr) return false;
  Execute(*plan, k.pass, operands);
  return true;
}

}  // namespace

bool DnnlConvForward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& b,
                     const Tensor& y) {
  const std::optional<Key> k = MakeKey(Pass::kForward, GeometryOf(x, w, y), p, b.defined(), x, y);
  std::vector<const Tensor*> operands = {&x, &w, &y};
  if (b.defined()) operands.push_back(&b);
  return Run(k, operands);
}

bool DnnlConvBackwardData(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const std::optional<Key> k = MakeKey(Pass::kBackwardData, GeometryOf(gx, w, gy), p, false, gx, gy);
  return Run(k, {&gy, &w, &gx});
}

bool DnnlConvBackwardWeight(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                            const Tensor& gb) {
  const std::optional<Key> k = MakeKey(Pass::kBackwardWeight, GeometryOf(x, gw, gy), p, gb.defined(), x, gy);
  std::vector<const Tensor*> operands = {&x, &gy, &gw};
  if (gb.defined()) operands.push_back(&gb);
  return Run(k, operands);
}

}  // namespace cpu
}  // namespace nb360
