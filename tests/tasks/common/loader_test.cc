// tests/tasks/common/loader_test.cc: batching, shuffling, determinism across worker counts, resume,
// augmentation streams, subsets and error propagation.
#include "tasks/common/loader.h"

#include <set>

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

// Sample i: x = (i, noise) where noise is drawn from the augmentation stream (0 without), y = i % 3.
class ToySet : public SampleSet {
 public:
  explicit ToySet(int64_t n, int64_t fail_at = -1) : n_(n), fail_at_(fail_at) {}
  int64_t size() const override { return n_; }
  SampleLayout layout() const override { return {{2}, {}, DType::kInt64, {1}}; }
  void Read(int64_t i, Generator* rng, SampleOut* out) const override {
    NB_CHECK(i != fail_at_, "ToySet: sample ", i, " is broken");
    out->x[0] = static_cast<float>(i);
    out->x[1] = rng != nullptr ? static_cast<float>(rng->NextDouble()) : 0.f;
    static_cast<int64_t*>(out->y)[0] = i % 3;
    out->aux[0] = 1.f;
    out->group = i / 2;
    out->extra = 10 * i;
  }

 private:
  int64_t n_, fail_at_;
};

std::vector<Batch> Epoch(Loader& l, int64_t epoch, int64_t first = 0) {
  l.StartEpoch(epoch, first);
  std::vector<Batch> out;
  Batch b;
  while (l.Next(&b)) out.push_back(b);
  return out;
}

std::vector<float> Flat(const std::vector<Batch>& bs) {
  std::vector<float> v;
  for (const Batch& b : bs) {
    std::vector<float> x = b.x.ToVector<float>();
    v.insert(v.end(), x.begin(), x.end());
  }
  return v;
}

TEST(Loader, SequentialBatchesInOrder) {
  Loader l(std::make_shared<ToySet>(10), {.batch_size = 4, .num_workers = 2});
  EXPECT_EQ(l.num_batches(), 3);
  std::vector<Batch> bs = Epoch(l, 0);
  ASSERT_EQ(bs.size(), 3u);
  EXPECT_EQ(bs[2].size(), 2);
  EXPECT_EQ(bs[0].x.shape(), (Shape{4, 2}));
  EXPECT_EQ(bs[0].y.shape(), (Shape{4}));
  EXPECT_EQ(bs[0].aux.shape(), (Shape{4, 1}));
  EXPECT_EQ(bs[1].index, (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(bs[1].group, (std::vector<int64_t>{2, 2, 3, 3}));
  EXPECT_EQ(bs[1].extra, (std::vector<int64_t>{40, 50, 60, 70}));
  EXPECT_EQ(bs[2].y.ToVector<int64_t>(), (std::vector<int64_t>{2, 0}));
}

TEST(Loader, DropLast) {
  Loader l(std::make_shared<ToySet>(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(l.num_batches(), 2);
  EXPECT_EQ(Epoch(l, 0).size(), 2u);
}

TEST(Loader, ShuffleIsAPermutationPerEpochAndIndependentOfWorkers) {
  LoaderOptions o{.batch_size = 7, .shuffle = true, .augment = true, .seed = 42, .num_workers = 0};
  Loader serial(std::make_shared<ToySet>(50), o);
  o.num_workers = 2;
  o.prefetch = 2;
  Loader threaded(std::make_shared<ToySet>(50), o);
  for (int64_t e = 0; e < 3; ++e) {
    std::vector<Batch> a = Epoch(serial, e), b = Epoch(threaded, e);
    EXPECT_EQ(Flat(a), Flat(b)) << "epoch " << e;
    std::set<int64_t> seen;
    for (const Batch& x : a) seen.insert(x.index.begin(), x.index.end());
    EXPECT_EQ(seen.size(), 50u);
  }
  EXPECT_NE(Flat(Epoch(serial, 0)), Flat(Epoch(serial, 1)));
  Loader other_seed(std::make_shared<ToySet>(50), {.batch_size = 7, .shuffle = true, .augment = true, .seed = 43});
  EXPECT_NE(Flat(Epoch(serial, 0)), Flat(Epoch(other_seed, 0)));
}

TEST(Loader, ResumeMidEpochSeesTheSameBatches) {
  LoaderOptions o{.batch_size = 5, .shuffle = true, .augment = true, .seed = 9};
  Loader l(std::make_shared<ToySet>(33), o);
  std::vector<Batch> full = Epoch(l, 4);
  std::vector<Batch> tail = Epoch(l, 4, 3);
  ASSERT_EQ(tail.size(), full.size() - 3);
  for (size_t i = 0; i < tail.size(); ++i) {
    EXPECT_EQ(tail[i].x.ToVector<float>(), full[i + 3].x.ToVector<float>());
  }
}

TEST(Loader, NoAugmentationMeansNoRng) {
  Loader l(std::make_shared<ToySet>(6), {.batch_size = 6});
  std::vector<Batch> bs = Epoch(l, 0);
  std::vector<float> x = bs[0].x.ToVector<float>();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(x[2 * i + 1], 0.f);
}

TEST(Loader, AbandonedEpochRestartsCleanly) {
  Loader l(std::make_shared<ToySet>(100), {.batch_size = 3, .shuffle = true, .seed = 1, .prefetch = 8});
  l.StartEpoch(0);
  Batch b;
  ASSERT_TRUE(l.Next(&b));
  std::vector<Batch> again = Epoch(l, 0);
  EXPECT_EQ(again[0].index, b.index);
}

TEST(Loader, WorkerErrorsReachTheConsumer) {
  Loader l(std::make_shared<ToySet>(20, 13), {.batch_size = 4, .num_workers = 2});
  l.StartEpoch(0);
  Batch b;
  try {
    while (l.Next(&b)) {
    }
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 13 is broken"), std::string::npos) << e.what();
  }
}

TEST(Loader, SubsetAndRange) {
  auto base = std::make_shared<ToySet>(10);
  auto sub = Subset(base, {9, 1, 4});
  EXPECT_EQ(sub->size(), 3);
  Loader l(sub, {.batch_size = 3, .num_workers = 0});
  std::vector<Batch> bs = Epoch(l, 0);
  EXPECT_EQ(bs[0].x.ToVector<float>(), (std::vector<float>{9, 0, 1, 0, 4, 0}));
  auto r = Range(base, 2, 5);
  Loader lr(r, {.batch_size = 8, .num_workers = 0});
  EXPECT_EQ(Epoch(lr, 0)[0].group, (std::vector<int64_t>{1, 1, 2}));
}

// Regression: workers used to read the consumer's position when their thread started; a consumer
// that had already taken a batch made a worker skip one and Next() wait forever.
TEST(Loader, ManyShortEpochsNeverLoseABatch) {
  Loader l(std::make_shared<ToySet>(10), {.batch_size = 2, .shuffle = true, .seed = 3, .num_workers = 2, .prefetch = 1});
  for (int64_t e = 0; e < 300; ++e) {
    l.StartEpoch(e);
    Batch b;
    int64_t n = 0;
    while (l.Next(&b)) ++n;
    ASSERT_EQ(n, 5) << "epoch " << e;
  }
}

TEST(Loader, MixSeedSeparatesInputs) {
  EXPECT_NE(MixSeed(1, 2, 3), MixSeed(1, 3, 2));
  EXPECT_NE(MixSeed(0, 0, 0), MixSeed(0, 0, 1));
  EXPECT_EQ(MixSeed(5, 6, 7), MixSeed(5, 6, 7));
}

}  // namespace
}  // namespace nb360::tasks
