// Conformance cases: cat, stack, split/chunk, pad, index_select, gather, channel shuffle and the
// autograd-aware views (reshape, permute, narrow, expand, squeeze).
#include "ops/elementwise.h"
#include "ops/shape_ops.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

// Reads element `idx` (multi-index) of a contiguous float64 tensor.
double At(const Tensor& t, const std::vector<int64_t>& idx) {
  const Shape st = ContiguousStrides(t.shape());
  int64_t o = 0;
  for (size_t d = 0; d < idx.size(); ++d) o += idx[d] * st[d];
  return t.data<double>()[o];
}

// Builds an output of `shape` whose element at multi-index i is f(i).
Tensor Generate(const Shape& shape, const std::function<double(const std::vector<int64_t>&)>& f) {
  Tensor y = Tensor::Empty(shape, DType::kFloat64);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rem = i;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
    }
    y.data<double>()[i] = f(idx);
  }
  return y;
}

OpCase Make(const std::string& name, OpKind kind, std::function<Inputs(Generator&)> in,
            std::function<Tensor(const Inputs&)> op, std::function<Tensor(const Inputs&)> ref) {
  OpCase c;
  c.name = "shape/" + name;
  c.kind = kind;
  c.make_inputs = std::move(in);
  c.op = std::move(op);
  c.reference = std::move(ref);
  return c;
}

}  // namespace

void AddShapeCases(std::vector<OpCase>* cases) {
  cases->push_back(Make(
      "cat_dim1", OpKind::kCat, [](Generator& g) { return Inputs{RandN(g, {2, 3, 4}), RandN(g, {2, 1, 4}), RandN(g, {2, 2, 4})}; },
      [](const Inputs& in) { return Cat(in, 1); },
      [](const Inputs& in) {
        return Generate({2, 6, 4}, [&](const std::vector<int64_t>& i) {
          const int64_t j = i[1];
          if (j < 3) return At(in[0], {i[0], j, i[2]});
          if (j < 4) return At(in[1], {i[0], j - 3, i[2]});
          return At(in[2], {i[0], j - 4, i[2]});
        });
      }));
  cases->push_back(Make(
      "stack_dim0", OpKind::kCat, [](Generator& g) { return Inputs{RandN(g, {3, 2}), RandN(g, {3, 2})}; },
      [](const Inputs& in) { return Stack(in, 0); },
      [](const Inputs& in) {
        return Generate({2, 3, 2}, [&](const std::vector<int64_t>& i) { return At(in[i[0]], {i[1], i[2]}); });
      }));
  cases->push_back(Make(
      "split_recombined", OpKind::kCat, [](Generator& g) { return Inputs{RandN(g, {2, 7})}; },
      [](const Inputs& in) {
        const auto parts = Split(in[0], 3, 1);  // widths 3, 3, 1
        return Cat({parts[2] * 3.0, parts[0], parts[1] * 2.0}, 1);
      },
      [](const Inputs& in) {
        return Generate({2, 7}, [&](const std::vector<int64_t>& i) {
          const int64_t j = i[1];
          if (j == 0) return 3.0 * At(in[0], {i[0], 6});
          if (j < 4) return At(in[0], {i[0], j - 1});
          return 2.0 * At(in[0], {i[0], j - 1});
        });
      }));
  cases->push_back(Make(
      "chunk_dim0", OpKind::kCat, [](Generator& g) { return Inputs{RandN(g, {5, 3})}; },
      [](const Inputs& in) {
        const auto c = Chunk(in[0], 2, 0);  // rows 3 + 2
        return Cat({c[1] * 2.0, c[0]}, 0);
      },
      [](const Inputs& in) {
        return Generate({5, 3}, [&](const std::vector<int64_t>& i) {
          return i[0] < 2 ? 2.0 * At(in[0], {i[0] + 3, i[1]}) : At(in[0], {i[0] - 2, i[1]});
        });
      }));
  cases->push_back(Make(
      "pad_2d_asymmetric", OpKind::kPad, [](Generator& g) { return Inputs{RandN(g, {2, 3, 4, 5})}; },
      [](const Inputs& in) { return Pad(in[0], {1, 2, 0, 3}, 0.5); },
      [](const Inputs& in) {
        return Generate({2, 3, 7, 8}, [&](const std::vector<int64_t>& i) {
          const int64_t h = i[2], w = i[3] - 1;
          if (h >= 4 || w < 0 || w >= 5) return 0.5;
          return At(in[0], {i[0], i[1], h, w});
        });
      }));
  cases->push_back(Make(
      "index_select_repeated", OpKind::kIndexSelect,
      [](Generator& g) { return Inputs{RandN(g, {4, 5, 3}), Tensor::FromVector<int64_t>({4, 0, 4, 2}, {4})}; },
      [](const Inputs& in) { return IndexSelect(in[0], 1, in[1]); },
      [](const Inputs& in) {
        return Generate({4, 4, 3}, [&](const std::vector<int64_t>& i) {
          return At(in[0], {i[0], in[1].data<int64_t>()[i[1]], i[2]});
        });
      }));
  cases->push_back(Make(
      "gather_dim1", OpKind::kGather,
      [](Generator& g) { return Inputs{RandN(g, {3, 5}), RandIndex(g, {3, 4}, 5)}; },
      [](const Inputs& in) { return Gather(in[0], 1, in[1]); },
      [](const Inputs& in) {
        return Generate({3, 4}, [&](const std::vector<int64_t>& i) {
          return At(in[0], {i[0], in[1].data<int64_t>()[i[0] * 4 + i[1]]});
        });
      }));
  cases->push_back(Make(
      "channel_shuffle_g2", OpKind::kCat, [](Generator& g) { return Inputs{RandN(g, {2, 6, 2, 3})}; },
      [](const Inputs& in) { return ChannelShuffle(in[0], 2); },
      [](const Inputs& in) {
        // out channel c = j * groups + gi takes input channel gi * (C/groups) + j.
        return Generate({2, 6, 2, 3}, [&](const std::vector<int64_t>& i) {
          const int64_t j = i[1] / 2, gi = i[1] % 2;
          return At(in[0], {i[0], gi * 3 + j, i[2], i[3]});
        });
      }));
  cases->push_back(Make(
      "views_chain", OpKind::kCat, [](Generator& g) { return Inputs{RandN(g, {2, 3, 4})}; },
      [](const Inputs& in) {
        // permute -> narrow -> reshape -> unsqueeze/expand -> squeeze, then a copy to materialise.
        Tensor t = in[0].Permute({2, 0, 1}).Narrow(0, 1, 2).Reshape({2, 6}).Unsqueeze(0).Expand({3, 2, 6});
        return Cat({t.Select(0, 0), t.Select(0, 2) * 2.0}, 0);
      },
      [](const Inputs& in) {
        return Generate({4, 6}, [&](const std::vector<int64_t>& i) {
          const int64_t r = i[0] % 2, col = i[1];
          const double v = At(in[0], {col / 3, col % 3, r + 1});
          return i[0] < 2 ? v : 2.0 * v;
        });
      }));
}

}  // namespace testing
}  // namespace nb360
