// Conformance cases: matmul (2-d, batched, broadcast, vectors, transposed views) and linear.
#include "ops/matmul.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

// Plain triple loop over broadcast batches: a (..., M, K) @ b (..., K, N).
Tensor RefMatmul(Tensor a, Tensor b) {
  const bool va = a.dim() == 1, vb = b.dim() == 1;
  if (va) a = a.Reshape({1, a.shape()[0]});
  if (vb) b = b.Reshape({b.shape()[0], 1});
  const int64_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1], n = b.shape()[b.dim() - 1];
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  const size_t nd = std::max(ba.size(), bb.size());
  while (ba.size() < nd) ba.insert(ba.begin(), 1);
  while (bb.size() < nd) bb.insert(bb.begin(), 1);
  Shape batch(nd);
  for (size_t i = 0; i < nd; ++i) batch[i] = std::max(ba[i], bb[i]);
  Shape sa = batch, sb = batch, so = batch;
  sa.insert(sa.end(), {m, k});
  sb.insert(sb.end(), {k, n});
  so.insert(so.end(), {m, n});
  const Tensor ea = a.Reshape([&] { Shape s = ba; s.insert(s.end(), {m, k}); return s; }()).Expand(sa).Contiguous();
  const Tensor eb = b.Reshape([&] { Shape s = bb; s.insert(s.end(), {k, n}); return s; }()).Expand(sb).Contiguous();
  Tensor y = Tensor::Zeros(so, DType::kFloat64);
  const int64_t nb = NumElements(batch);
  for (int64_t z = 0; z < nb; ++z)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += ea.data<double>()[z * m * k + i * k + p] * eb.data<double>()[z * k * n + p * n + j];
        y.data<double>()[z * m * n + i * n + j] = s;
      }
  if (va) so.erase(so.end() - 2);
  if (vb) so.erase(so.end() - 1);
  return y.Reshape(so);
}

void Add(std::vector<OpCase>* cases, const std::string& name, Shape sa, Shape sb, bool transpose_b = false) {
  OpCase c;
  c.name = "matmul/" + name;
  c.kind = OpKind::kMatmul;
  c.make_inputs = [=](Generator& g) { return Inputs{RandN(g, sa), RandN(g, sb)}; };
  c.op = [transpose_b](const Inputs& in) { return Matmul(in[0], transpose_b ? in[1].Transpose(-1, -2) : in[1]); };
  c.reference = [transpose_b](const Inputs& in) {
    return RefMatmul(in[0], transpose_b ? in[1].Transpose(-1, -2).Contiguous() : in[1]);
  };
  cases->push_back(c);
}

}  // namespace

void AddMatmulCases(std::vector<OpCase>* cases) {
  Add(cases, "2d", {3, 4}, {4, 5});
  Add(cases, "2d_transposed_view", {3, 4}, {5, 4}, true);
  Add(cases, "batched", {2, 3, 4}, {2, 4, 5});
  Add(cases, "broadcast_rhs", {2, 3, 4}, {4, 6});
  Add(cases, "broadcast_both", {2, 1, 3, 4}, {3, 4, 2});
  Add(cases, "vector_matrix", {4}, {4, 3});
  Add(cases, "matrix_vector", {3, 4}, {4});
  OpCase lin;
  lin.name = "matmul/linear_3d_with_bias";
  lin.kind = OpKind::kMatmul;
  lin.make_inputs = [](Generator& g) { return Inputs{RandN(g, {2, 3, 5}), RandN(g, {4, 5}), RandN(g, {4})}; };
  lin.op = [](const Inputs& in) { return Linear(in[0], in[1], in[2]); };
  lin.reference = [](const Inputs& in) {
    Tensor y = RefMatmul(in[0], in[1].Transpose(0, 1).Contiguous());
    for (int64_t i = 0; i < y.numel(); ++i) y.data<double>()[i] += in[2].data<double>()[i % 4];
    return y;
  };
  cases->push_back(lin);
}

}  // namespace testing
}  // namespace nb360
