// tasks/common/loader.h: batched, shuffled, multi-threaded loading of a SampleSet.
//
// Batch b of epoch e is a pure function of (seed, e, b): the sample order is a Philox permutation of
// (seed, epoch), and every sample's augmentation draws from its own stream keyed by (seed, epoch,
// position in the epoch). So the result does not depend on the number of worker threads or on timing,
// and a run resumed at (epoch, batch) sees exactly the batches it would have seen.
//
// Workers (default 2) build batches ahead of the consumer (at most `prefetch` in flight) and hand them
// over in order. The loader measures how long Next() waited for data, so training can report the
// fraction of step time spent starved.
//
// Example:
//   Loader loader(data.train, {.batch_size = 128, .shuffle = true, .drop_last = true, .augment = true,
//                              .seed = 7});
//   loader.StartEpoch(0);
//   Batch batch;
//   while (loader.Next(&batch)) { ... }
#ifndef NB360_TASKS_COMMON_LOADER_H_
#define NB360_TASKS_COMMON_LOADER_H_

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tasks/common/batch.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

struct LoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  bool augment = false;
  uint64_t seed = 0;
  int num_workers = 2;  // 0: build batches on the calling thread
  int prefetch = 4;     // batches built ahead of the consumer
};

class Loader {
 public:
  Loader(std::shared_ptr<const SampleSet> set, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t num_batches() const;
  int64_t num_samples() const { return set_->size(); }
  const LoaderOptions& options() const { return options_; }

  // Starts (or restarts) epoch `epoch`, skipping its first `first_batch` batches (resume).
  void StartEpoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the current epoch; false when the epoch is done.
  bool Next(Batch* batch);
  // Index of the batch Next() returns next.
  int64_t next_batch() const { return next_; }

  // Seconds Next() spent waiting for workers since construction (or ResetWaitTime()).
  double wait_seconds() const { return wait_seconds_; }
  void ResetWaitTime() { wait_seconds_ = 0; }

  // Builds batch b of `epoch` directly (what the workers do); exposed for tests.
  Batch BuildBatch(int64_t epoch, int64_t b) const;

 private:
  void StopWorkers();
  // Builds batches first_batch + worker, + num_workers, ... (first_batch is fixed at StartEpoch: the
  // consumer may already have advanced when the thread starts).
  void WorkerLoop(int worker, uint64_t generation, int64_t first_batch);
  std::vector<int64_t> Order(int64_t epoch) const;

  std::shared_ptr<const SampleSet> set_;
  LoaderOptions options_;
  SampleLayout layout_;

  int64_t epoch_ = -1;
  int64_t next_ = 0;
  std::vector<int64_t> order_;
  double wait_seconds_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;     // bumped by StartEpoch to retire old workers
  bool stop_ = false;
  std::map<int64_t, Batch> ready_;
  std::exception_ptr error_;  // a worker's exception, rethrown by Next()
  std::vector<std::thread> workers_;
};

// Mixes integers into a 64-bit seed (SplitMix64 steps); used for per-sample streams.
uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c = 0);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_LOADER_H_
