// tasks/common/parallel_jobs.cc: a small first-failure-wins worker pool.
#include "tasks/common/parallel_jobs.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace nb360::tasks {

absl::Status ParallelJobs(int64_t n, int threads, const std::function<absl::Status(int64_t)>& job) {
  std::atomic<int64_t> next{0};
  std::mutex mu;
  int64_t error_index = n;
  absl::Status error;
  auto worker = [&] {
    for (int64_t i = next++; i < n; i = next++) {
      absl::Status s = job(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < error_index) {
          error_index = i;
          error = s;
        }
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return error;
}

}  // namespace nb360::tasks
