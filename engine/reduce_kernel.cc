#include "engine/reduce_kernel.h"

#include <atomic>
#include <limits>

#include "engine/parallel.h"

namespace nb360 {
namespace {

template <class T, class Acc>
void Reduce(const Tensor& src, const std::vector<bool>& reduce, ReduceKind kind, const Tensor& out) {
  Shape kept_shape, kept_strides, red_shape, red_strides;
  for (int64_t d = 0; d < src.dim(); ++d) {
    if (reduce[d]) {
      red_shape.push_back(src.shape()[d]);
      red_strides.push_back(src.strides()[d]);
    } else {
      kept_shape.push_back(src.shape()[d]);
      kept_strides.push_back(src.strides()[d]);
    }
  }
  const int64_t outer = NumElements(kept_shape);
  const int64_t inner = NumElements(red_shape);
  const T* base = src.data<T>();
  // Fast inner path when the reduced block is one contiguous run.
  bool inner_contiguous = true;
  {
    int64_t expect = 1;
    for (int64_t d = static_cast<int64_t>(red_shape.size()) - 1; d >= 0; --d) {
      if (red_shape[d] != 1 && red_strides[d] != expect) inner_contiguous = false;
      expect *= red_shape[d];
    }
  }
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
  ParallelFor(0, outer, grain, [&](int64_t o0, int64_t o1) {
    std::vector<int64_t> idx(red_shape.size());
    for (int64_t o = o0; o < o1; ++o) {
      int64_t off = 0, rem = o;
      for (int64_t d = static_cast<int64_t>(kept_shape.size()) - 1; d >= 0; --d) {
        off += (rem % kept_shape[d]) * kept_strides[d];
        rem /= kept_shape[d];
      }
      const T* p = base + off;
      Acc acc = 0;
      T best = kind == ReduceKind::kMax || kind == ReduceKind::kArgMax ? std::numeric_limits<T>::lowest()
                                                                        : std::numeric_limits<T>::max();
      int64_t best_i = 0;
      bool seen_nan = false;
      std::fill(idx.begin(), idx.end(), 0);
      int64_t roff = 0;
      for (int64_t i = 0; i < inner; ++i) {
        const T v = inner_contiguous ? p[i] : p[roff];
        switch (kind) {
          case ReduceKind::kSum: acc += static_cast<Acc>(v); break;
          case ReduceKind::kSumSquares: acc += static_cast<Acc>(v) * static_cast<Acc>(v); break;
          case ReduceKind::kMax:
          case ReduceKind::kArgMax:
            if (!seen_nan && (v > best || v != v || i == 0)) {
              best = v;
              best_i = i;
              seen_nan = v != v;
            }
            break;
          case ReduceKind::kMin:
          case ReduceKind::kArgMin:
            if (!seen_nan && (v < best || v != v || i == 0)) {
              best = v;
              best_i = i;
              seen_nan = v != v;
            }
            break;
        }
        if (!inner_contiguous) {
          for (int64_t d = static_cast<int64_t>(red_shape.size()) - 1; d >= 0; --d) {
            roff += red_strides[d];
            if (++idx[d] < red_shape[d]) break;
            roff -= red_strides[d] * red_shape[d];
            idx[d] = 0;
          }
        }
      }
      switch (kind) {
        case ReduceKind::kSum:
        case ReduceKind::kSumSquares: out.data<T>()[o] = static_cast<T>(acc); break;
        case ReduceKind::kMax:
        case ReduceKind::kMin: out.data<T>()[o] = best; break;
        case ReduceKind::kArgMax:
        case ReduceKind::kArgMin: out.data<int64_t>()[o] = best_i; break;
      }
    }
  });
}

}  // namespace

namespace {

std::atomic<DeviceReduceFn>& DeviceReduce() {
  static std::atomic<DeviceReduceFn> fn{nullptr};
  return fn;
}

}  // namespace

void SetDeviceReduceKernel(DeviceType type, DeviceReduceFn fn) {
  NB_CHECK(type == DeviceType::kCUDA, "SetDeviceReduceKernel: only CUDA has a device table");
  DeviceReduce().store(fn);
}

void ReduceKernel(const Tensor& src, const std::vector<bool>& reduce, ReduceKind kind, const Tensor& out) {
  if (!src.device().is_cpu()) {
    const DeviceReduceFn fn = DeviceReduce().load();
    NB_CHECK(fn != nullptr, "reduction of ", src.Describe(), ": no kernel for ", src.device().ToString());
    return fn(src, reduce, kind, out);
  }
  HostReduceKernel(src, reduce, kind, out);
}

void HostReduceKernel(const Tensor& src, const std::vector<bool>& reduce, ReduceKind kind, const Tensor& out) {
  NB_CHECK(static_cast<int64_t>(reduce.size()) == src.dim(), "ReduceKernel: mask size mismatch");
  NB_CHECK(out.is_contiguous(), "ReduceKernel: output must be contiguous");
  DispatchAll(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      Reduce<T, double>(src, reduce, kind, out);
    } else if constexpr (std::is_same_v<T, bool>) {
      ThrowError("reduction over a bool tensor: convert it first");
    } else {
      Reduce<T, int64_t>(src, reduce, kind, out);
    }
  });
}

}  // namespace nb360
