// tasks/darcy_flow/darcy_flow.cc: Darcy Flow splits, preprocessing, loss and metric; .mat prepare.
#include "tasks/darcy_flow/darcy_flow.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "tasks/common/mat.h"
#include "tasks/common/metric_math.h"
#include "tasks/common/metrics.h"
#include "tasks/darcy_flow/generate.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kSub = 5;             // the benchmark's `sub` hyperparameter
constexpr int64_t kTrainFile = 1000;    // smooth1 samples used (train + validation)
constexpr int64_t kTestFile = 100;      // smooth2 samples used
constexpr char kTrainMat[] = "piececonst_r421_N1024_smooth1.mat";
constexpr char kTestMat[] = "piececonst_r421_N1024_smooth2.mat";

// One split: coefficient and solution rows [begin, end) of the canonical arrays, normalized.
class DarcySet : public SampleSet {
 public:
  DarcySet(ArrayView coeff, ArrayView sol, int64_t begin, int64_t end, UnitGaussianNormalizer xn,
           UnitGaussianNormalizer yn, bool encode_target)
      : coeff_(std::move(coeff)), sol_(std::move(sol)), begin_(begin), end_(end), xn_(std::move(xn)),
        yn_(std::move(yn)), encode_target_(encode_target), s_(coeff_.dim(1)) {}

  int64_t size() const override { return end_ - begin_; }
  SampleLayout layout() const override { return {{3, s_, s_}, {s_, s_}, DType::kFloat32, {}}; }

  void Read(int64_t i, Generator* /*rng: no augmentation*/, SampleOut* out) const override {
    const int64_t plane = s_ * s_;
    const int64_t row = begin_ + i;
    Tensor a = coeff_.RowsToTensor(row, row + 1).Reshape({s_, s_});
    Tensor ax = xn_.Encode(a);
    std::memcpy(out->x, ax.data<float>(), plane * sizeof(float));
    const float denom = static_cast<float>(s_ - 1);
    for (int64_t r = 0; r < s_; ++r) {
      for (int64_t c = 0; c < s_; ++c) {
        out->x[plane + r * s_ + c] = static_cast<float>(c) / denom;      // varies along the width
        out->x[2 * plane + r * s_ + c] = static_cast<float>(r) / denom;  // varies along the height
      }
    }
    Tensor u = sol_.RowsToTensor(row, row + 1).Reshape({s_, s_});
    if (encode_target_) u = yn_.Encode(u);
    std::memcpy(out->y, u.data<float>(), plane * sizeof(float));
    out->group = i;
  }

 private:
  ArrayView coeff_, sol_;
  int64_t begin_, end_;
  UnitGaussianNormalizer xn_, yn_;
  bool encode_target_;
  int64_t s_;
};

class DarcyObjective : public Objective {
 public:
  explicit DarcyObjective(UnitGaussianNormalizer yn)
      : yn_(std::move(yn)), scale_(Add(yn_.std(), Tensor::Scalar(yn_.eps()))) {}

  // output (N, 1, S, S) or (N, S, S), y-encoded; batch.y (N, S, S) y-encoded training targets.
  Tensor Loss(const Tensor& output, const Batch& batch) const override {
    const Tensor& y = batch.y;
    Tensor pred = output.Reshape(y.shape());
    Tensor pred_raw = Add(Mul(pred, scale_), yn_.mean());
    Tensor y_raw = Add(Mul(y, scale_), yn_.mean());
    return RelativeL2Loss(pred_raw, y_raw, Reduction::kSum);
  }
  std::unique_ptr<Metric> NewMetric(Split) const override { return std::make_unique<DarcyMetric>(yn_); }

 private:
  UnitGaussianNormalizer yn_;
  Tensor scale_;  // std + eps, (S, S)
};

absl::Status CheckArrays(const Dataset& d, const std::string& prefix, int64_t* n, int64_t* s) {
  absl::StatusOr<ArrayView> c = d.Get(prefix + "_coeff");
  if (!c.ok()) return c.status();
  absl::StatusOr<ArrayView> u = d.Get(prefix + "_sol");
  if (!u.ok()) return u.status();
  const std::string where = d.dir.empty() ? "synthetic darcy_flow dataset" : d.dir;
  for (const ArrayView* v : {&*c, &*u}) {
    if (v->dtype != DType::kFloat32 || v->shape.size() != 3 || v->shape[1] != v->shape[2] || v->shape[1] < 2) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", prefix, " arrays must be float32 (N, S, S), got ",
                                                     std::string(DTypeName(v->dtype)), ShapeString(v->shape)));
    }
  }
  if (c->shape != u->shape) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", prefix, "_coeff ", ShapeString(c->shape),
                                                   " and ", prefix, "_sol ", ShapeString(u->shape), " differ"));
  }
  *n = c->shape[0];
  *s = c->shape[1];
  return absl::OkStatus();
}

// (N, K, K) float64/float32 MATLAB array -> (n, K', K') float32, rows/cols 0, 5, 10, ... (K' = (K-1)/5+1).
absl::StatusOr<Tensor> SubsampleMat(const Tensor& t, const std::string& file, const std::string& var, int64_t n) {
  if (t.dim() != 3 || t.size(1) != t.size(2)) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": variable '", var, "' is ", t.Describe(),
                                                   ", expected (N, 421, 421)"));
  }
  const int64_t k = t.size(1);
  const int64_t ks = (k - 1) / kSub + 1;
  Tensor src = t.To(DType::kFloat64).Contiguous();
  const double* p = src.data<double>();
  Tensor out = Tensor::Empty({n, ks, ks});
  float* o = out.data<float>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < ks; ++i) {
      for (int64_t j = 0; j < ks; ++j) {
        const double v = p[(b * k + i * kSub) * k + j * kSub];
        if (!std::isfinite(v)) {
          return absl::InvalidArgumentError(absl::StrCat(file, ": variable '", var, "' sample ", b, " has a non-finite value at (",
                                                         i * kSub, ", ", j * kSub, ")"));
        }
        o[(b * ks + i) * ks + j] = static_cast<float>(static_cast<float>(v));
      }
    }
  }
  return out;
}

}  // namespace

DarcyFlowTask::DarcyFlowTask() {
  info_.name = "darcy_flow";
  info_.title = "Darcy Flow";
  info_.input_shape = {3, 85, 85};
  info_.output_shape = {1, 85, 85};
  info_.num_classes = 1;
  info_.loss = LossKind::kRelativeL2Sum;
  info_.metric = "rel_l2";
  info_.dense = true;
  info_.batch = {.wrn = 8, .darts_search = 4, .darts_eval = 4, .eval = 8};
}

Dataset DarcyFlowTask::MakeSynthetic(const SyntheticOptions& options) const {
  darcy::GenerateOptions g;
  g.resolution = 85;
  g.sub = 1;
  g.seed = options.seed;
  if (options.fraction > 0) {
    const double f = std::min(options.fraction, 1.0);
    g.n_train = std::max<int64_t>(20, std::lround(kTrainFile * f));
    g.n_test = std::max<int64_t>(10, std::lround(kTestFile * f));
  } else {
    g.n_train = 100;
    g.n_test = 20;
  }
  absl::StatusOr<darcy::StreamArrays> train = darcy::GenerateStream(g, "darcy/train", g.n_train);
  NB_CHECK(train.ok(), "darcy synthetic generation failed: ", train.status().message());
  absl::StatusOr<darcy::StreamArrays> test = darcy::GenerateStream(g, "darcy/test", g.n_test);
  NB_CHECK(test.ok(), "darcy synthetic generation failed: ", test.status().message());
  DatasetManifest m{"darcy_flow", "synthetic",
                    absl::StrCat("small Darcy Flow set solved by nb360's generator directly at 85x85 (not 421 "
                                 "subsampled by 5): ",
                                 darcy::DescribeOptions(g))};
  return InMemoryDataset(m, {{"train_coeff", train->coeff},
                             {"train_sol", train->sol},
                             {"test_coeff", test->coeff},
                             {"test_sol", test->sol}});
}

absl::StatusOr<Dataset> DarcyFlowTask::MakeGenerated(const SyntheticOptions& options) const {
  darcy::GenerateOptions g;  // 421, sub 5, 12/3, alpha 2, tau 3
  g.seed = options.seed;
  if (options.fraction > 0) {
    const double f = std::min(options.fraction, 1.0);
    g.n_train = std::max<int64_t>(20, std::lround(kTrainFile * f));
    g.n_test = std::max<int64_t>(10, std::lround(kTestFile * f));
  }
  g.progress_every = g.n_train >= 200 ? 100 : 0;  // long runs say how far they are
  absl::Status ok = darcy::ValidateOptions(g);
  if (!ok.ok()) return ok;
  absl::StatusOr<darcy::StreamArrays> train = darcy::GenerateStream(g, "darcy/train", g.n_train);
  if (!train.ok()) return train.status();
  absl::StatusOr<darcy::StreamArrays> test = darcy::GenerateStream(g, "darcy/test", g.n_test);
  if (!test.ok()) return test.status();
  return InMemoryDataset({"darcy_flow", "generated", darcy::DescribeOptions(g)}, {{"train_coeff", train->coeff},
                                                                                   {"train_sol", train->sol},
                                                                                   {"test_coeff", test->coeff},
                                                                                   {"test_sol", test->sol}});
}

absl::Status DarcyFlowTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                    const PrepareOptions& options) const {
  std::map<std::string, Tensor> arrays;
  std::string description = "FNO piececonst r421 files subsampled by 5 (indices 0,5,...,420):";
  for (const auto& [file, prefix, want] :
       {std::tuple<std::string, std::string, int64_t>{kTrainMat, "train", kTrainFile},
        std::tuple<std::string, std::string, int64_t>{kTestMat, "test", kTestFile}}) {
    const std::string path = (std::filesystem::path(raw_dir) / file).string();
    if (!std::filesystem::exists(path)) {
      return absl::NotFoundError(absl::StrCat(path, ": missing (download it from the URL in docs/DATA.md)"));
    }
    absl::StatusOr<std::map<std::string, Tensor>> vars = ReadMat(path, {"coeff", "sol"});
    if (!vars.ok()) return vars.status();
    for (const char* v : {"coeff", "sol"}) {
      if (vars->count(v) == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no variable '", v, "'"));
    }
    const Tensor& c = vars->at("coeff");
    const Tensor& u = vars->at("sol");
    if (c.shape() != u.shape()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": coeff ", c.Describe(), " and sol ", u.Describe(),
                                                     " differ in shape"));
    }
    if (c.dim() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": coeff is ", c.Describe(), ", expected (1024, 421, 421)"));
    }
    int64_t n = want;
    if (c.size(0) < want || c.size(1) != 421) {
      if (!options.allow_count_mismatch) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": coeff is ", c.Describe(), "; the benchmark needs at least ",
                                                       want, " samples at 421x421 (pass --allow_count_mismatch to accept)"));
      }
      n = std::min(n, c.size(0));
    }
    absl::StatusOr<Tensor> cs = SubsampleMat(c, path, "coeff", n);
    if (!cs.ok()) return cs.status();
    absl::StatusOr<Tensor> us = SubsampleMat(u, path, "sol", n);
    if (!us.ok()) return us.status();
    std::vector<float> cv = cs->ToVector<float>();
    auto [lo, hi] = std::minmax_element(cv.begin(), cv.end());
    absl::StrAppend(&description, " ", file, " samples 0..", n - 1, " (of ", c.size(0), ", ", c.size(1), "x",
                    c.size(2), ", coeff range [", *lo, ", ", *hi, "]);");
    arrays[prefix + "_coeff"] = *cs;
    arrays[prefix + "_sol"] = *us;
  }
  return WriteDataset(out_dir, {"darcy_flow", "real", description}, arrays);
}

absl::StatusOr<TaskData> DarcyFlowTask::Build(const Dataset& data, const DataOptions& options) const {
  int64_t n_train = 0, n_test = 0, s = 0, s_test = 0;
  absl::Status st = CheckArrays(data, "train", &n_train, &s);
  if (!st.ok()) return st;
  st = CheckArrays(data, "test", &n_test, &s_test);
  if (!st.ok()) return st;
  if (s != s_test) {
    return absl::InvalidArgumentError(absl::StrCat(data.dir, ": train fields are ", s, "x", s, " but test fields ", s_test,
                                                   "x", s_test));
  }
  const bool search = options.mode == RunMode::kSearch;
  const int64_t n_val = search ? n_train / 10 : 0;
  const int64_t n_fit = n_train - n_val;
  if (n_fit < 2 || (search && n_val < 1) || n_test < 1) {
    return absl::InvalidArgumentError(absl::StrCat(data.dir.empty() ? "darcy_flow dataset" : data.dir,
                                                   ": too few samples (", n_train, " train, ", n_test, " test)"));
  }
  const ArrayView tc = data.arrays.at("train_coeff"), ts = data.arrays.at("train_sol");
  const UnitGaussianNormalizer xn = UnitGaussianNormalizer::Fit(tc.RowsToTensor(0, n_fit));
  const UnitGaussianNormalizer yn = UnitGaussianNormalizer::Fit(ts.RowsToTensor(0, n_fit));
  TaskData d;
  d.train = std::make_shared<DarcySet>(tc, ts, 0, n_fit, xn, yn, /*encode_target=*/true);
  if (search) d.val = std::make_shared<DarcySet>(tc, ts, n_fit, n_train, xn, yn, false);
  d.test = std::make_shared<DarcySet>(data.arrays.at("test_coeff"), data.arrays.at("test_sol"), 0, n_test, xn, yn,
                                      false);
  d.augment_train = false;
  d.objective = std::make_shared<DarcyObjective>(yn);
  return d;
}

std::unique_ptr<Task> NewDarcyFlowTask() { return std::make_unique<DarcyFlowTask>(); }

}  // namespace nb360::tasks
