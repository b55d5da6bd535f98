// tests/tasks/common/bilevel_test.cc: DARTS bi-level halves (spec §0.2) and the paired loader.
#include "tasks/common/bilevel.h"

#include <set>

#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

class Indexed : public SampleSet {
 public:
  explicit Indexed(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  SampleLayout layout() const override { return {{1}, {}, DType::kInt64, {}}; }
  void Read(int64_t i, Generator*, SampleOut* out) const override {
    out->x[0] = static_cast<float>(i);
    static_cast<int64_t*>(out->y)[0] = i;
  }

 private:
  int64_t n_;
};

std::vector<int64_t> Ids(const Batch& b) { return b.y.ToVector<int64_t>(); }

TEST(Bilevel, HalvesAreTheFirstAndNextFloorHalf) {
  BilevelHalves h = SplitBilevel(std::make_shared<Indexed>(11));
  ASSERT_EQ(h.weight->size(), 5);
  ASSERT_EQ(h.arch->size(), 5);
  Loader w(h.weight, {.batch_size = 5, .num_workers = 0}), a(h.arch, {.batch_size = 5, .num_workers = 0});
  w.StartEpoch(0);
  a.StartEpoch(0);
  Batch bw, ba;
  ASSERT_TRUE(w.Next(&bw));
  ASSERT_TRUE(a.Next(&ba));
  EXPECT_EQ(Ids(bw), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Ids(ba), (std::vector<int64_t>{5, 6, 7, 8, 9}));  // sample 10 (odd one out) unused
}

TEST(Bilevel, PairsCoverBothHalvesWithIndependentPerEpochOrders) {
  BilevelLoader l(std::make_shared<Indexed>(40), {.batch_size = 4, .seed = 5});
  EXPECT_EQ(l.half_size(), 20);
  EXPECT_EQ(l.num_batches(), 5);
  std::vector<int64_t> arch_order_prev;
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    l.StartEpoch(epoch);
    Batch w, a;
    std::set<int64_t> ws, as;
    std::vector<int64_t> w_order, a_order;
    while (l.Next(&w, &a)) {
      for (int64_t i : Ids(w)) ws.insert(i), w_order.push_back(i);
      for (int64_t i : Ids(a)) as.insert(i), a_order.push_back(i);
    }
    EXPECT_EQ(ws.size(), 20u);
    EXPECT_EQ(as.size(), 20u);
    EXPECT_EQ(*ws.begin(), 0);
    EXPECT_EQ(*ws.rbegin(), 19);
    EXPECT_EQ(*as.begin(), 20);
    EXPECT_EQ(*as.rbegin(), 39);
    // The architecture order is not the weight order shifted by 20: an independent shuffle.
    std::vector<int64_t> shifted;
    for (int64_t i : w_order) shifted.push_back(i + 20);
    EXPECT_NE(a_order, shifted);
    EXPECT_NE(a_order, arch_order_prev);
    arch_order_prev = a_order;
  }
}

TEST(Bilevel, DeterministicAndResumable) {
  BilevelLoader x(std::make_shared<Indexed>(30), {.batch_size = 3, .seed = 9});
  BilevelLoader y(std::make_shared<Indexed>(30), {.batch_size = 3, .seed = 9});
  x.StartEpoch(2);
  y.StartEpoch(2, 2);
  Batch w, a, w2, a2;
  ASSERT_TRUE(x.Next(&w, &a));
  ASSERT_TRUE(x.Next(&w, &a));
  ASSERT_TRUE(x.Next(&w, &a));
  ASSERT_TRUE(y.Next(&w2, &a2));
  EXPECT_EQ(Ids(w), Ids(w2));
  EXPECT_EQ(Ids(a), Ids(a2));
}

}  // namespace
}  // namespace nb360::tasks
