// tests/tasks/darcy_flow/darcy_flow_task_test.cc: Darcy Flow splits, preprocessing (§5.2, §14),
// loss (§5.4), metric wiring and prepare from .mat files (v5, written by our writer).
#include "tasks/darcy_flow/darcy_flow.h"

#include <cmath>
#include <filesystem>

#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "tasks/common/loader.h"
#include "tasks/common/mat.h"
#include "tasks/common/metric_math.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path p = fs::path(t != nullptr ? t : "/tmp") / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

// A tiny hand-made dataset: n_train, n_test samples of (s, s) fields with known values.
Dataset TinyDataset(int64_t n_train, int64_t n_test, int64_t s) {
  auto field = [&](int64_t n, float base) {
    Tensor t = Tensor::Empty({n, s, s});
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = base + static_cast<float>((i * 37) % 101) / 7.f;
    return t;
  };
  return InMemoryDataset({"darcy_flow", "synthetic", "tiny"}, {{"train_coeff", field(n_train, 3.f)},
                                                              {"train_sol", field(n_train, 0.5f)},
                                                              {"test_coeff", field(n_test, 4.f)},
                                                              {"test_sol", field(n_test, 0.25f)}});
}

TEST(DarcyFlowTask, InfoMatchesSpec) {
  std::unique_ptr<Task> task = NewDarcyFlowTask();
  const TaskInfo& info = task->info();
  EXPECT_EQ(info.input_shape, (Shape{3, 85, 85}));
  EXPECT_EQ(info.output_shape, (Shape{1, 85, 85}));
  EXPECT_EQ(info.batch.wrn, 8);
  EXPECT_EQ(info.batch.darts_search, 4);
  EXPECT_EQ(info.metric, "rel_l2");
}

TEST(DarcyFlowTask, SplitsPerModeAndCoordinateChannels) {
  DarcyFlowTask task;
  Dataset d = TinyDataset(50, 7, 6);
  absl::StatusOr<TaskData> search = task.Build(d, {.mode = RunMode::kSearch});
  ASSERT_TRUE(search.ok()) << search.status();
  EXPECT_EQ(search->train->size(), 45);
  EXPECT_EQ(search->val->size(), 5);
  EXPECT_EQ(search->test->size(), 7);
  absl::StatusOr<TaskData> retrain = task.Build(d, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(retrain.ok());
  EXPECT_EQ(retrain->train->size(), 50);
  EXPECT_EQ(retrain->val, nullptr);
  EXPECT_EQ(retrain->test->size(), 7);

  // Channel 1 = j/(s-1) along columns, channel 2 = i/(s-1) along rows; channel 0 x-encoded.
  Loader l(search->val, {.batch_size = 5, .num_workers = 0});
  l.StartEpoch(0);
  Batch b;
  ASSERT_TRUE(l.Next(&b));
  EXPECT_EQ(b.x.shape(), (Shape{5, 3, 6, 6}));
  EXPECT_EQ(b.y.shape(), (Shape{5, 6, 6}));
  std::vector<float> x = b.x.ToVector<float>();
  EXPECT_FLOAT_EQ(x[36 + 2 * 6 + 3], 3.f / 5.f);
  EXPECT_FLOAT_EQ(x[72 + 2 * 6 + 3], 2.f / 5.f);
  // Validation targets are raw: sample 45 of train_sol.
  const ArrayView sol = d.arrays.at("train_sol");
  EXPECT_EQ(b.y.ToVector<float>()[0], sol.data<float>()[45 * 36]);
  // Inputs are encoded with the normalizer fitted on the 45 training samples.
  UnitGaussianNormalizer xn = UnitGaussianNormalizer::Fit(d.arrays.at("train_coeff").RowsToTensor(0, 45));
  Tensor enc = xn.Encode(d.arrays.at("train_coeff").RowsToTensor(45, 46).Reshape({6, 6}));
  EXPECT_EQ(enc.ToVector<float>()[7], x[7]);
}

TEST(DarcyFlowTask, TrainTargetsAreEncodedAndLossIsSumOfRelativeL2) {
  DarcyFlowTask task;
  Dataset d = TinyDataset(20, 4, 5);
  absl::StatusOr<TaskData> data = task.Build(d, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(data.ok());
  Loader l(data->train, {.batch_size = 4, .num_workers = 0});
  l.StartEpoch(0);
  Batch b;
  ASSERT_TRUE(l.Next(&b));
  // Predicting the encoded target exactly: loss 0. Predicting 2*decoded target: each rel = 1, sum = 4.
  Tensor perfect = b.y.Reshape({4, 1, 5, 5});
  EXPECT_NEAR(data->objective->Loss(perfect, b).item(), 0.0, 1e-6);
  UnitGaussianNormalizer yn = UnitGaussianNormalizer::Fit(d.arrays.at("train_sol").RowsToTensor(0, 20));
  Tensor twice = yn.Encode(Mul(yn.Decode(b.y), Tensor::Scalar(2.0)));
  EXPECT_NEAR(data->objective->Loss(twice, b).item(), 4.0, 1e-4);
  // The metric on raw test targets: a perfect encoded prediction gives ~0.
  std::unique_ptr<Metric> m = data->objective->NewMetric(Split::kTest);
  Loader lt(data->test, {.batch_size = 3, .num_workers = 0});
  lt.StartEpoch(0);
  while (lt.Next(&b)) m->Add(yn.Encode(b.y).Reshape({b.size(), 1, 5, 5}), b);
  MetricValues v = m->Result();
  EXPECT_EQ(v.primary, "rel_l2");
  EXPECT_LT(v.primary_value(), 1e-5);
}

TEST(DarcyFlowTask, SyntheticIsSolverGeneratedAndDeterministic) {
  DarcyFlowTask task;
  Dataset a = task.MakeSynthetic({.seed = 3, .fraction = 0.02});
  Dataset b = task.MakeSynthetic({.seed = 3, .fraction = 0.02});
  EXPECT_EQ(a.manifest.source, "synthetic");
  ASSERT_EQ(a.arrays.at("train_coeff").shape, (Shape{20, 85, 85}));
  EXPECT_EQ(a.arrays.at("test_sol").shape, (Shape{10, 85, 85}));
  EXPECT_EQ(a.arrays.at("train_sol").ToTensor().ToVector<float>(), b.arrays.at("train_sol").ToTensor().ToVector<float>());
  // Coefficients take the two threshold values; solutions are positive inside (maximum principle).
  std::vector<float> c = a.arrays.at("train_coeff").ToTensor().ToVector<float>();
  for (float v : c) ASSERT_TRUE(v == 12.f || v == 3.f) << v;
  std::vector<float> u = a.arrays.at("train_sol").ToTensor().ToVector<float>();
  EXPECT_GT(u[42 * 85 + 42], 0.f);
  absl::StatusOr<TaskData> built = task.Build(a, {.mode = RunMode::kSearch});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->train->size(), 18);
  EXPECT_EQ(built->val->size(), 2);
}

TEST(DarcyFlowTask, GeneratedSetIsTheBenchmarkConstructionAndFeedsTheMeanFieldBaseline) {
  DarcyFlowTask task;
  EXPECT_TRUE(task.HasGenerator());
  absl::StatusOr<Dataset> g = task.MakeGenerated({.seed = 1, .fraction = 0.02});  // 20 + 10 samples at 421
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->manifest.source, "generated");
  EXPECT_NE(g->manifest.description.find("421x421"), std::string::npos) << g->manifest.description;
  ASSERT_EQ(g->arrays.at("train_coeff").shape, (Shape{20, 85, 85}));
  EXPECT_EQ(g->arrays.at("test_sol").shape, (Shape{10, 85, 85}));
  absl::StatusOr<TaskData> data = task.Build(*g, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(data.ok());
  // Predicting the training mean field (encoded output 0) scores exactly the mean-field baseline.
  std::unique_ptr<Metric> m = data->objective->NewMetric(Split::kTest);
  Loader l(data->test, {.batch_size = 4, .num_workers = 0});
  l.StartEpoch(0);
  Batch b;
  while (l.Next(&b)) m->Add(Tensor::Zeros({b.size(), 1, 85, 85}), b);
  MetricValues v = m->Result();
  EXPECT_NEAR(v.values.at("rel_l2_per_sample"), v.values.at("rel_l2_mean_field"), 1e-6);
  EXPECT_GT(v.values.at("rel_l2_mean_field"), 0.01);
}

TEST(DarcyFlowTask, BuildRejectsBadArrays) {
  DarcyFlowTask task;
  Dataset d = InMemoryDataset({"darcy_flow", "real", ""}, {{"train_coeff", Tensor::Zeros({10, 4, 5})},
                                                          {"train_sol", Tensor::Zeros({10, 4, 5})},
                                                          {"test_coeff", Tensor::Zeros({2, 4, 4})},
                                                          {"test_sol", Tensor::Zeros({2, 4, 4})}});
  absl::StatusOr<TaskData> r = task.Build(d, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("(N, S, S)"), std::string::npos) << r.status();
  Dataset missing = InMemoryDataset({"darcy_flow", "real", ""}, {{"train_coeff", Tensor::Zeros({10, 4, 4})}});
  r = task.Build(missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("train_sol"), std::string::npos);
}

TEST(DarcyFlowTask, PrepareReadsMatFilesAndSubsamplesByFive) {
  const std::string raw = TempDir("darcy_raw");
  const int64_t k = 21;  // subsampled to 5x5
  auto make = [&](int64_t n, double base) {
    Tensor t = Tensor::Empty({n, k, k}, DType::kFloat64);
    double* p = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = base + i;
    return t;
  };
  ASSERT_TRUE(WriteMatV5(raw + "/piececonst_r421_N1024_smooth1.mat", {{"coeff", make(12, 0)}, {"sol", make(12, 0.5)}}, true).ok());
  ASSERT_TRUE(WriteMatV5(raw + "/piececonst_r421_N1024_smooth2.mat", {{"coeff", make(3, 1)}, {"sol", make(3, 2)}}, false).ok());
  DarcyFlowTask task;
  const std::string out = TempDir("darcy_out") + "/ds";
  // Strict counts: 12 samples at 21x21 is not the benchmark's file.
  absl::Status s = task.Prepare(raw, out, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("smooth1.mat"), std::string::npos) << s;
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE(task.Prepare(raw, out, {.allow_count_mismatch = true}).ok());
  absl::StatusOr<Dataset> d = OpenDataset(out, "darcy_flow");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "real");
  const ArrayView c = d->arrays.at("train_coeff");
  ASSERT_EQ(c.shape, (Shape{12, 5, 5}));
  // Element (b, i, j) of the subsampled array = source (b, 5i, 5j).
  EXPECT_EQ(c.data<float>()[(1 * 5 + 2) * 5 + 3], static_cast<float>((1 * k + 10) * k + 15));
  EXPECT_EQ(d->arrays.at("test_sol").shape, (Shape{3, 5, 5}));
  absl::StatusOr<TaskData> built = task.Build(*d, {.mode = RunMode::kRetrain});
  ASSERT_TRUE(built.ok()) << built.status();
}

TEST(DarcyFlowTask, PrepareNamesMissingAndNonFiniteFiles) {
  const std::string raw = TempDir("darcy_raw_bad");
  DarcyFlowTask task;
  absl::Status s = task.Prepare(raw, raw + "/out", {.allow_count_mismatch = true});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("smooth1.mat: missing"), std::string::npos) << s;
  Tensor bad = Tensor::Zeros({2, 6, 6}, DType::kFloat64);
  bad.data<double>()[36] = std::nan("");  // sample 1, (0, 0): kept by the subsampling
  ASSERT_TRUE(WriteMatV5(raw + "/piececonst_r421_N1024_smooth1.mat", {{"coeff", bad}, {"sol", bad}}, true).ok());
  ASSERT_TRUE(WriteMatV5(raw + "/piececonst_r421_N1024_smooth2.mat", {{"coeff", bad}, {"sol", bad}}, true).ok());
  s = task.Prepare(raw, raw + "/out", {.allow_count_mismatch = true});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("non-finite"), std::string::npos) << s;
}

}  // namespace
}  // namespace nb360::tasks
