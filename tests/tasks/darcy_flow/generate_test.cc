// Tests for tasks/darcy_flow/generate: solve_gwf orientation, per-sample determinism independent of
// threads and order, subsampling, and the written canonical dataset.
#include "tasks/darcy_flow/generate.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tasks/common/canonical.h"
#include "tasks/common/mat.h"

namespace nb360::tasks::darcy {
namespace {

GenerateOptions SmallOptions() {
  GenerateOptions o;
  o.resolution = 33;
  o.sub = 4;  // 9×9
  o.n_train = 5;
  o.n_test = 3;
  o.seed = 42;
  o.progress = nullptr;
  return o;
}

TEST(SolveGwf, ConstantCoefficientIsSymmetricAndPositive) {
  const int64_t K = 21;
  SolveStats st;
  absl::StatusOr<Field> u = SolveGwf(Field(K, K, 1.0), Field(K, K, 1.0), SolverOptions{}, &st);
  ASSERT_TRUE(u.ok()) << u.status();
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j) {
      EXPECT_GT((*u)(i, j), 0.0);
      EXPECT_NEAR((*u)(i, j), (*u)(j, i), 1e-12);
      EXPECT_NEAR((*u)(i, j), (*u)(K - 1 - i, j), 1e-12);
    }
  // The centre value of −Δu = 1 on the unit square is ≈ 0.07367.
  EXPECT_NEAR((*u)(K / 2, K / 2), 0.0737, 2e-3);
}

TEST(SolveGwf, OrientationFollowsTheCoefficient) {
  GenerateOptions o = SmallOptions();
  absl::StatusOr<DarcySample> s = GenerateSample(o, "darcy/train", 0);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<Field> ut = SolveGwf(Transposed(s->coeff), Field(33, 33, 1.0), SolverOptions{});
  ASSERT_TRUE(ut.ok());
  const Field back = Transposed(*ut);
  for (size_t i = 0; i < back.v.size(); ++i) EXPECT_NEAR(back.v[i], s->sol.v[i], 1e-12);
}

TEST(Generate, SampleValuesAndSubsample) {
  GenerateOptions o = SmallOptions();
  absl::StatusOr<DarcySample> s = GenerateSample(o, "darcy/test", 1);
  ASSERT_TRUE(s.ok()) << s.status();
  for (double v : s->coeff.v) EXPECT_TRUE(v == 12.0 || v == 3.0);
  const Field c = Subsample(s->coeff, 4);
  ASSERT_EQ(c.rows, 9);
  EXPECT_EQ(c(2, 3), s->coeff(8, 12));
  EXPECT_EQ(c(8, 8), s->coeff(32, 32));
  EXPECT_EQ(Subsample(Field(421, 421), 5).rows, 85);
}

TEST(Generate, StreamIsDeterministicAcrossThreadsAndOrder) {
  GenerateOptions o = SmallOptions();
  o.threads = 1;
  absl::StatusOr<StreamArrays> a = GenerateStream(o, "darcy/train", 5);
  o.threads = 2;
  absl::StatusOr<StreamArrays> b = GenerateStream(o, "darcy/train", 5);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->coeff.shape(), (Shape{5, 9, 9}));
  EXPECT_EQ(std::memcmp(a->coeff.data<float>(), b->coeff.data<float>(), 5 * 81 * 4), 0);
  EXPECT_EQ(std::memcmp(a->sol.data<float>(), b->sol.data<float>(), 5 * 81 * 4), 0);
  // Sample 3 regenerated on its own equals row 3 of the stream.
  absl::StatusOr<DarcySample> s3 = GenerateSample(o, "darcy/train", 3);
  ASSERT_TRUE(s3.ok());
  const Field u = Subsample(s3->sol, 4);
  for (int k = 0; k < 81; ++k) EXPECT_EQ(a->sol.data<float>()[3 * 81 + k], static_cast<float>(u.v[k]));
  // A different seed gives different data; train and test streams differ.
  o.seed = 43;
  absl::StatusOr<StreamArrays> c = GenerateStream(o, "darcy/train", 2);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(std::memcmp(a->coeff.data<float>(), c->coeff.data<float>(), 2 * 81 * 4), 0);
  o.seed = 42;
  absl::StatusOr<StreamArrays> t = GenerateStream(o, "darcy/test", 2);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(std::memcmp(a->coeff.data<float>(), t->coeff.data<float>(), 2 * 81 * 4), 0);
}

TEST(Generate, WritesCanonicalDatasetWithIdenticalBytes) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string base = std::string(tmp ? tmp : "/tmp") + "/darcy_generate_test";
  GenerateOptions o = SmallOptions();
  ASSERT_TRUE(GenerateDataset(base + "_a", o).ok());
  ASSERT_TRUE(GenerateDataset(base + "_b", o).ok());
  absl::StatusOr<Dataset> a = OpenDataset(base + "_a", "darcy_flow");
  absl::StatusOr<Dataset> b = OpenDataset(base + "_b", "darcy_flow");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->manifest.source, "generated");
  EXPECT_NE(a->manifest.description.find("a=12 where GRF>=0 else 3"), std::string::npos);
  const struct {
    const char* name;
    int64_t n;
  } arrays[] = {{"train_coeff", 5}, {"train_sol", 5}, {"test_coeff", 3}, {"test_sol", 3}};
  for (const auto& [name, n] : arrays) {
    const ArrayView& x = a->arrays.at(name);
    const ArrayView& y = b->arrays.at(name);
    EXPECT_EQ(x.dtype, DType::kFloat32);
    EXPECT_EQ(x.shape, (Shape{n, 9, 9})) << name;
    EXPECT_EQ(std::memcmp(x.raw, y.raw, static_cast<size_t>(x.numel()) * 4), 0) << name;
  }
  // Solutions are positive inside and small at the outermost cell centres.
  const float* sol = a->arrays.at("train_sol").data<float>();
  EXPECT_GT(sol[4 * 9 + 4], 0.0f);
}

TEST(Generate, MatOutputHoldsFullResolutionFields) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string base = std::string(tmp ? tmp : "/tmp");
  GenerateOptions o = SmallOptions();
  o.mat_out = base;
  ASSERT_TRUE(GenerateDataset(base + "/darcy_mat_ds", o).ok());
  absl::StatusOr<std::map<std::string, Tensor>> m = ReadMat(base + "/piececonst_r33_N5_smooth1.mat");
  ASSERT_TRUE(m.ok()) << m.status();
  const Tensor& coeff = m->at("coeff");
  const Tensor& sol = m->at("sol");
  ASSERT_EQ(coeff.shape(), (Shape{5, 33, 33}));
  ASSERT_EQ(sol.dtype(), DType::kFloat64);
  absl::StatusOr<Dataset> d = OpenDataset(base + "/darcy_mat_ds");
  ASSERT_TRUE(d.ok());
  const float* small = d->arrays.at("train_sol").data<float>();
  // Row 2, sample 4 of the subsampled array is full-resolution row 8, columns 0, 4, ..., 32.
  for (int j = 0; j < 9; ++j) {
    EXPECT_EQ(small[4 * 81 + 2 * 9 + j], static_cast<float>(sol.data<double>()[4 * 33 * 33 + 8 * 33 + 4 * j]));
  }
  EXPECT_TRUE(ReadMat(base + "/piececonst_r33_N3_smooth2.mat").ok());
}

TEST(Generate, RejectsBadOptions) {
  GenerateOptions o = SmallOptions();
  o.sub = 0;
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = SmallOptions();
  o.a_neg = -1.0;
  absl::Status s = ValidateOptions(o);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("--a_neg=-1"), std::string::npos) << s;
}

}  // namespace
}  // namespace nb360::tasks::darcy
