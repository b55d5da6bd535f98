// tasks/common/parallel_jobs.h: run n independent jobs on worker threads, stopping at the first failure.
//
// Prepare steps convert thousands of files (wavs, pickles, .npy stacks) whose work is I/O and parsing,
// not the tensor math engine/parallel.h's OpenMP loops are for. Jobs are handed out in index order;
// after a failure no new job starts, and the failure with the smallest index is returned, so the error
// a user sees does not depend on thread timing when only one file is bad.
#ifndef NB360_TASKS_COMMON_PARALLEL_JOBS_H_
#define NB360_TASKS_COMMON_PARALLEL_JOBS_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"

namespace nb360::tasks {

// Calls job(i) for i in [0, n) on `threads` threads (the caller's included); job must be thread-safe.
absl::Status ParallelJobs(int64_t n, int threads, const std::function<absl::Status(int64_t)>& job);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_PARALLEL_JOBS_H_
