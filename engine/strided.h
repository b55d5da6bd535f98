// engine/strided.h: iteration over strided N-d layouts, row by row.
//
// Operands share one iteration shape and have their own element strides (0 for broadcast dims).
// Dimensions that are contiguous for every operand are merged, so the innermost "row" is as long as
// possible; rows are distributed over the machine's cores.
#ifndef NB360_ENGINE_STRIDED_H_
#define NB360_ENGINE_STRIDED_H_

#include <algorithm>
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

// Calls body(offsets, n, inner_strides) for every innermost row (or piece of a long row); offsets are
// element offsets of the first element per operand. Rows run in parallel when the total work is large.
template <size_t K, class Body>
void ForEachRow(const Shape& shape, const std::array<Shape, K>& strides, Body&& body) {
  const StridedIter<K> it = Collapse<K>(shape, strides);
  const int nd = static_cast<int>(it.shape.size());
  const int64_t n = it.shape[nd - 1];
  std::array<int64_t, K> inner;
  for (size_t k = 0; k < K; ++k) inner[k] = it.strides[k][nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= it.shape[d];
  // Long rows are cut into pieces so that a contiguous tensor (one collapsed row) still uses every
  // core; the bodies are elementwise, so a piece is just a shorter row.
  int64_t piece = n;
  if (rows < 4 * NumThreads() && n >= 2 * kParallelGrain) {
    const int64_t pieces = std::min<int64_t>(4 * NumThreads(), n / kParallelGrain);
    piece = ((n + pieces - 1) / pieces + 63) / 64 * 64;
  }
  const int64_t per_row = (n + piece - 1) / std::max<int64_t>(piece, 1);
  ParallelFor(0, rows * per_row, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(piece, 1)),
              [&](int64_t t0, int64_t t1) {
                for (int64_t t = t0; t < t1; ++t) {
                  const int64_t r = t / per_row;
                  const int64_t start = (t % per_row) * piece;
                  std::array<int64_t, K> off{};
                  int64_t rem = r;
                  for (int d = nd - 2; d >= 0; --d) {
                    const int64_t i = rem % it.shape[d];
                    rem /= it.shape[d];
                    for (size_t k = 0; k < K; ++k) off[k] += i * it.strides[k][d];
                  }
                  for (size_t k = 0; k < K; ++k) off[k] += start * inner[k];
                  body(off, std::min(piece, n - start), inner);
                }
              });
}

}  // namespace nb360

#endif  // NB360_ENGINE_STRIDED_H_
