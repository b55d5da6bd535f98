// engine/strided.h: iteration over strided N-d layouts, row by row.
//
// Operands share one iteration shape and have their own element strides (0 for broadcast dims).
// Dimensions that are contiguous for every operand are merged, so the innermost "row" is as long as
// possible; rows are distributed over the machine's cores.
#ifndef NB360_ENGINE_STRIDED_H_
#define NB360_ENGINE_STRIDED_H_

#include <array>
#include <cstdint>
#include <vector>

#include "engine/parallel.h"
#include "engine/tensor.h"

namespace nb360 {

template <size_t K>
struct StridedIter {
  Shape shape;                      // collapsed iteration shape (at least 1 dim)
  std::array<Shape, K> strides;     // per operand, collapsed
};

template <size_t K>
StridedIter<K> Collapse(const Shape& shape, const std::array<Shape, K>& strides) {
  StridedIter<K> it;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;  // size-1 dims contribute nothing
    bool merge = !it.shape.empty();
    for (size_t k = 0; k < K && merge; ++k) {
      merge = it.strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      it.shape.back() *= shape[d];
      for (size_t k = 0; k < K; ++k) it.strides[k].back() = strides[k][d];
    } else {
      it.shape.push_back(shape[d]);
      for (size_t k = 0; k < K; ++k) it.strides[k].push_back(strides[k][d]);
    }
  }
  if (it.shape.empty()) {
    it.shape.push_back(1);
    for (size_t k = 0; k < K; ++k) it.strides[k].push_back(0);
  }
  return it;
}

// Calls body(offsets, n, inner_strides) for every innermost row; offsets are element offsets of
// the row's first element per operand. Rows run in parallel when the total work is large.
template <size_t K, class Body>
void ForEachRow(const Shape& shape, const std::array<Shape, K>& strides, Body&& body) {
  const StridedIter<K> it = Collapse<K>(shape, strides);
  const int nd = static_cast<int>(it.shape.size());
  const int64_t n = it.shape[nd - 1];
  std::array<int64_t, K> inner;
  for (size_t k = 0; k < K; ++k) inner[k] = it.strides[k][nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= it.shape[d];
  ParallelFor(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)),
              [&](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                  std::array<int64_t, K> off{};
                  int64_t rem = r;
                  for (int d = nd - 2; d >= 0; --d) {
                    const int64_t i = rem % it.shape[d];
                    rem /= it.shape[d];
                    for (size_t k = 0; k < K; ++k) off[k] += i * it.strides[k][d];
                  }
                  body(off, n, inner);
                }
              });
}

}  // namespace nb360

#endif  // NB360_ENGINE_STRIDED_H_
