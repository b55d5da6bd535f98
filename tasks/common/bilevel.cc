// tasks/common/bilevel.cc: DARTS weight/architecture halves and their paired loader.
#include "tasks/common/bilevel.h"

namespace nb360::tasks {
namespace {

LoaderOptions Shuffled(LoaderOptions o) {
  o.shuffle = true;
  return o;
}

}  // namespace

BilevelHalves SplitBilevel(std::shared_ptr<const SampleSet> train) {
  NB_CHECK(train != nullptr, "SplitBilevel: null training set");
  const int64_t half = train->size() / 2;
  NB_CHECK(half > 0, "SplitBilevel: a bi-level split needs at least 2 training samples, got ", train->size());
  return {Range(train, 0, half), Range(train, half, 2 * half)};
}

LoaderOptions BilevelLoader::ArchOptions(LoaderOptions o) {
  o = Shuffled(o);
  o.seed = MixSeed(o.seed, 0x61726368ull /* "arch" */);  // its own order and augmentation streams
  return o;
}

BilevelLoader::BilevelLoader(std::shared_ptr<const SampleSet> train, LoaderOptions options)
    : weight_(SplitBilevel(train).weight, Shuffled(options)), arch_(SplitBilevel(train).arch, ArchOptions(options)) {}

void BilevelLoader::StartEpoch(int64_t epoch, int64_t first_batch) {
  weight_.StartEpoch(epoch, first_batch);
  arch_.StartEpoch(epoch, first_batch);
}

bool BilevelLoader::Next(Batch* weight, Batch* arch) {
  if (!weight_.Next(weight)) return false;
  NB_CHECK(arch_.Next(arch), "BilevelLoader: halves out of step");
  return true;
}

}  // namespace nb360::tasks
