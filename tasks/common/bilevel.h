// tasks/common/bilevel.h: the DARTS bi-level split of a training set (spec §0.2).
//
// With n training samples, the first floor(n/2) feed the weight step and the next floor(n/2) the
// architecture step (an odd last sample is unused). The original wraps them into one dataset of pairs
// (weight sample i, architecture sample perm_e(i)) with the architecture order reshuffled every epoch,
// and the DataLoader shuffles the pairs: the architecture batch is therefore an independent random
// permutation of its half, which is what two independently shuffled loaders give. BilevelLoader hands out
// (weight batch, architecture batch) pairs; both are deterministic functions of (seed, epoch, batch).
#ifndef NB360_TASKS_COMMON_BILEVEL_H_
#define NB360_TASKS_COMMON_BILEVEL_H_

#include <memory>

#include "tasks/common/loader.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

struct BilevelHalves {
  std::shared_ptr<const SampleSet> weight;  // samples [0, floor(n/2))
  std::shared_ptr<const SampleSet> arch;    // samples [floor(n/2), 2 floor(n/2))
};

BilevelHalves SplitBilevel(std::shared_ptr<const SampleSet> train);

class BilevelLoader {
 public:
  // options.shuffle is forced on (both halves are shuffled, independently); drop_last applies to both.
  BilevelLoader(std::shared_ptr<const SampleSet> train, LoaderOptions options);

  int64_t num_batches() const { return weight_.num_batches(); }
  int64_t half_size() const { return weight_.num_samples(); }
  void StartEpoch(int64_t epoch, int64_t first_batch = 0);
  // The next pair; false at the end of the epoch.
  bool Next(Batch* weight, Batch* arch);
  double wait_seconds() const { return weight_.wait_seconds() + arch_.wait_seconds(); }

 private:
  static LoaderOptions ArchOptions(LoaderOptions o);
  Loader weight_;
  Loader arch_;
};

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_BILEVEL_H_
