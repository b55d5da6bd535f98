// engine/parallel.h: CPU parallelism for the ops that are not library calls.
//
// One OpenMP thread team is shared with oneDNN (which also runs on OpenMP), so the two never
// oversubscribe the cores. Work below kParallelGrain elements runs inline: a fork costs ~1-2 us.
#ifndef NB360_ENGINE_PARALLEL_H_
#define NB360_ENGINE_PARALLEL_H_

#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace nb360 {

inline constexpr int64_t kParallelGrain = 32768;

inline int NumThreads() { return omp_get_max_threads(); }
inline void SetNumThreads(int n) { omp_set_num_threads(n); }

// Calls fn(begin, end) on disjoint chunks covering [begin, end), each at least `grain` long.
template <class Fn>
void ParallelFor(int64_t begin, int64_t end, int64_t grain, const Fn& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int threads = omp_in_parallel() ? 1 : NumThreads();
  const int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks <= 1) {
    fn(begin, end);
    return;
  }
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = begin + n * c / chunks;
    const int64_t hi = begin + n * (c + 1) / chunks;
    fn(lo, hi);
  }
}

}  // namespace nb360

#endif  // NB360_ENGINE_PARALLEL_H_
