// ops/cpu/softmax.cc: row-wise softmax / log-softmax, parallel over rows.
#include <cmath>

#include "engine/parallel.h"
#include "ops/cpu/vec_math.h"
#include "ops/softmax.h"

namespace nb360 {
namespace cpu {
namespace {

template <class T>
void ForwardT(bool log, const Tensor& x, const Tensor& y) {
  const int64_t rows = x.shape()[0], cols = x.shape()[1];
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  ParallelFor(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = xp + r * cols;
      T* yr = yp + r * cols;
      T m = -INFINITY;
      for (int64_t c = 0; c < cols; ++c) m = std::max(m, xr[c]);
      double s = 0;
      if constexpr (std::is_same_v<T, float>) {
        for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - m;
        VecExp(yr, yr, cols);
        for (int64_t c = 0; c < cols; ++c) s += yr[c];
      } else {
        for (int64_t c = 0; c < cols; ++c) {
          const T e = std::exp(xr[c] - m);
          yr[c] = e;
          s += e;
        }
      }
      if (log) {
        const T ls = m + static_cast<T>(std::log(s));
        for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - ls;
      } else {
        const T inv = static_cast<T>(1.0 / s);
        for (int64_t c = 0; c < cols; ++c) yr[c] *= inv;
      }
    }
  });
}

template <class T>
void BackwardT(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) {
  const int64_t rows = y.shape()[0], cols = y.shape()[1];
  const T* yp = y.data<T>();
  const T* gp = gy.data<T>();
  T* op = gx.data<T>();
  ParallelFor(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* yr = yp + r * cols;
      const T* gr = gp + r * cols;
      T* orow = op + r * cols;
      double s = 0;
      if (log) {
        for (int64_t c = 0; c < cols; ++c) s += gr[c];
        for (int64_t c = 0; c < cols; ++c) orow[c] = gr[c] - std::exp(yr[c]) * static_cast<T>(s);
      } else {
        for (int64_t c = 0; c < cols; ++c) s += static_cast<double>(gr[c]) * yr[c];
        for (int64_t c = 0; c < cols; ++c) orow[c] = yr[c] * (gr[c] - static_cast<T>(s));
      }
    }
  });
}

void Forward(bool log, const Tensor& x, const Tensor& y) {
  DispatchFloating(x.dtype(), "softmax", [&](auto tag) { ForwardT<decltype(tag)>(log, x, y); });
}

void Backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) {
  const Tensor g = gy.To(y.dtype()).Contiguous();
  DispatchFloating(y.dtype(), "softmax backward", [&](auto tag) { BackwardT<decltype(tag)>(log, y, g, gx); });
}

}  // namespace

const SoftmaxKernels kSoftmax = {Forward, Backward};

}  // namespace cpu
}  // namespace nb360
