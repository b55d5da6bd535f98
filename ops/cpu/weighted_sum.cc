// ops/cpu/weighted_sum.cc: CPU kernels of WeightedSum (ops/weighted_sum.h). Elements are cut into
// fixed blocks of kBlock; blocks run in parallel. Forward: each output element sums its K inputs in
// k order. Backward: one pass per block writes the K input gradients and forms the block's K dot
// products (in the element type within a block, then double), which are added in block order.
#include <algorithm>
#include <vector>

#include "engine/parallel.h"
#include "ops/weighted_sum.h"

namespace nb360 {
namespace cpu {
namespace {

constexpr int64_t kBlock = 4096;

template <class T>
void ForwardT(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& y) {
  const int64_t n = y.numel(), k = static_cast<int64_t>(xs.size());
  std::vector<const T*> x(k);
  for (int64_t i = 0; i < k; ++i) x[i] = xs[i].data<T>();
  const T* wp = w.data<T>();
  T* yp = y.data<T>();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  ParallelFor(0, blocks, std::max<int64_t>(1, 16384 / (kBlock * k)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const int64_t e0 = b * kBlock, e1 = std::min(n, e0 + kBlock);
      T* __restrict out = yp + e0;
      const T w0 = wp[0];
      const T* __restrict in0 = x[0] + e0;
#pragma omp simd
      for (int64_t e = 0; e < e1 - e0; ++e) out[e] = w0 * in0[e];
      for (int64_t i = 1; i < k; ++i) {
        const T wi = wp[i];
        const T* __restrict in = x[i] + e0;
#pragma omp simd
        for (int64_t e = 0; e < e1 - e0; ++e) out[e] += wi * in[e];
      }
    }
  });
}

template <class T>
void BackwardT(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& g, const std::vector<Tensor>& gxs,
               const Tensor& gw) {
  const int64_t n = g.numel(), k = static_cast<int64_t>(xs.size());
  const T* wp = w.data<T>();
  const T* gp = g.data<T>();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> dots(gw.defined() ? blocks * k : 0, 0.0);
  ParallelFor(0, blocks, std::max<int64_t>(1, 16384 / (kBlock * k)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const int64_t e0 = b * kBlock, len = std::min(n, e0 + kBlock) - e0;
      const T* __restrict gb = gp + e0;
      for (int64_t i = 0; i < k; ++i) {
        if (gxs[i].defined()) {
          T* __restrict out = gxs[i].data<T>() + e0;
          const T wi = wp[i];
#pragma omp simd
          for (int64_t e = 0; e < len; ++e) out[e] = wi * gb[e];
        }
        if (gw.defined()) {
          const T* __restrict in = xs[i].data<T>() + e0;
          T s = 0;
#pragma omp simd reduction(+ : s)
          for (int64_t e = 0; e < len; ++e) s += gb[e] * in[e];
          dots[b * k + i] = static_cast<double>(s);
        }
      }
    }
  });
  if (!gw.defined()) return;
  T* gwp = gw.data<T>();
  for (int64_t i = 0; i < k; ++i) {
    double s = 0;
    for (int64_t b = 0; b < blocks; ++b) s += dots[b * k + i];
    gwp[i] = static_cast<T>(s);
  }
}

void Forward(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& y) {
  DispatchFloating(y.dtype(), "WeightedSum", [&](auto tag) { ForwardT<decltype(tag)>(xs, w, y); });
}

void Backward(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& g, const std::vector<Tensor>& gxs,
              const Tensor& gw) {
  DispatchFloating(g.dtype(), "WeightedSum backward",
                   [&](auto tag) { BackwardT<decltype(tag)>(xs, w, g, gxs, gw); });
}

}  // namespace

const WeightedSumKernels kWeightedSum = {Forward, Backward};

}  // namespace cpu
}  // namespace nb360
