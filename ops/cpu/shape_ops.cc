// ops/cpu/shape_ops.cc: copy/fill, index_select and gather kernels (parallel over outer rows).
#include <cstring>

#include "engine/parallel.h"
#include "ops/shape_ops.h"

namespace nb360 {
namespace cpu {
namespace {

void Copy(const Tensor& src, const Tensor& dst) { dst.CopyFrom(src); }
void Fill(const Tensor& dst, double value) { dst.Fill(value); }

// Views x as (outer, n, inner) around dim.
struct Around {
  int64_t outer = 1, n = 1, inner = 1;
};
Around Split3(const Shape& s, int64_t dim) {
  Around a;
  for (int64_t i = 0; i < dim; ++i) a.outer *= s[i];
  a.n = s[dim];
  for (size_t i = dim + 1; i < s.size(); ++i) a.inner *= s[i];
  return a;
}

void IndexSelectForward(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  const Around a = Split3(x.shape(), dim);
  const int64_t k = index.numel();
  const int64_t* ip = index.data<int64_t>();
  const size_t es = DTypeSize(x.dtype());
  const char* xp = static_cast<const char*>(x.raw_data());
  char* op = static_cast<char*>(out.raw_data());
  ParallelFor(0, a.outer * k, std::max<int64_t>(1, 16384 / std::max<int64_t>(a.inner, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / k, j = r % k;
      std::memcpy(op + r * a.inner * es, xp + (o * a.n + ip[j]) * a.inner * es, a.inner * es);
    }
  });
}

void IndexSelectBackward(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& gx) {
  DispatchFloating(g.dtype(), "index_select backward", [&](auto tag) {
    using T = decltype(tag);
    const Around a = Split3(gx.shape(), dim);
    const int64_t k = index.numel();
    const int64_t* ip = index.data<int64_t>();
    const T* gp = g.data<T>();
    T* xp = gx.data<T>();
    // Parallel over outer only: repeated indices accumulate into the same rows.
    ParallelFor(0, a.outer, 1, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        for (int64_t j = 0; j < k; ++j) {
          T* dst = xp + (o * a.n + ip[j]) * a.inner;
          const T* src = gp + (o * k + j) * a.inner;
          for (int64_t i = 0; i < a.inner; ++i) dst[i] += src[i];
        }
      }
    });
  });
}

template <class T>
void GatherT(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out, bool backward) {
  const Shape& is = index.shape();
  const Shape xs = x.shape();
  const Shape xstr = ContiguousStrides(xs);
  const int64_t* ip = index.data<int64_t>();
  T* xp = static_cast<T*>(x.raw_data());
  T* op = static_cast<T*>(out.raw_data());
  const int64_t n = index.numel();
  auto x_offset = [&](int64_t flat) {
    int64_t off = 0, rem = flat;
    for (int64_t d = static_cast<int64_t>(is.size()) - 1; d >= 0; --d) {
      const int64_t i = rem % is[d];
      rem /= is[d];
      off += (d == dim ? ip[flat] : i) * xstr[d];
    }
    return off;
  };
  if (!backward) {
    ParallelFor(0, n, 16384, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) op[i] = xp[x_offset(i)];
    });
  } else {
    for (int64_t i = 0; i < n; ++i) xp[x_offset(i)] += op[i];  // serial: targets may repeat
  }
}

void GatherForward(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  DispatchAll(x.dtype(), [&](auto tag) { GatherT<decltype(tag)>(x, dim, index, out, false); });
}

void GatherBackward(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& gx) {
  DispatchFloating(g.dtype(), "gather backward",
                   [&](auto tag) { GatherT<decltype(tag)>(gx, dim, index, g, true); });
}

}  // namespace

const CopyKernels kCopy = {Copy, Fill};
const IndexSelectKernels kIndexSelect = {IndexSelectForward, IndexSelectBackward};
const GatherKernels kGather = {GatherForward, GatherBackward};

}  // namespace cpu
}  // namespace nb360
