// tasks/darcy_flow/generate.cc: samples, streams and the dataset writer of the Darcy generator.
#include "tasks/darcy_flow/generate.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "tasks/common/canonical.h"
#include "tasks/common/mat.h"
#include "tasks/darcy_flow/spline.h"

namespace nb360::tasks::darcy {
namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int64_t SubsampledSize(int64_t s, int64_t sub) { return (s - 1) / sub + 1; }

}  // namespace

absl::StatusOr<Field> SolveGwf(const Field& coef, const Field& f, const SolverOptions& options,
                               SolveStats* stats, double* min_node_coeff, double* min_face_coeff) {
  const int64_t K = coef.rows;
  if (coef.cols != K || f.rows != K || f.cols != K || K < 3) {
    return absl::InvalidArgumentError(absl::StrCat("SolveGwf: coefficient ", coef.rows, "x", coef.cols,
                                                   " and forcing ", f.rows, "x", f.cols,
                                                   " must be equal K×K grids with K >= 3"));
  }
  const std::vector<double> cells = CellCentres(K), nodes = NodePoints(K);
  const Field a_nodes = SplineInterp2(coef, cells, cells, nodes, nodes);
  const Field f_nodes = SplineInterp2(f, cells, cells, nodes, nodes);
  const double amin = *std::min_element(a_nodes.v.begin(), a_nodes.v.end());
  if (min_node_coeff != nullptr) *min_node_coeff = amin;
  if (min_face_coeff != nullptr) *min_face_coeff = MinFaceCoefficient(a_nodes);

  SolveStats st;
  const Field u_nodes = SolveDarcyNodes(a_nodes, f_nodes, options, &st);
  if (stats != nullptr) *stats = st;
  if (!st.failure.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SolveGwf: ", st.failure, " (K = ", K, "; smallest splined node coefficient ", amin,
        ", smallest face coefficient ", MinFaceCoefficient(a_nodes), ")"));
  }
  if (!st.converged) {
    return absl::InternalError(absl::StrCat("SolveGwf: PCG did not reach relative residual ", options.rel_tol,
                                            " in ", st.iterations, " iterations (K = ", K, ", got ",
                                            st.relative_residual, ")"));
  }
  return SplineInterp2(u_nodes, nodes, nodes, cells, cells);
}

Generator SampleGenerator(uint64_t seed, const std::string& stream, int64_t index) {
  return Generator(seed).Fork(stream).Fork(absl::StrCat("sample/", index));
}

absl::StatusOr<DarcySample> GenerateSample(const GenerateOptions& options, const std::string& stream,
                                           int64_t index) {
  Generator gen = SampleGenerator(options.seed, stream, index);
  const int64_t s = options.resolution;
  DarcySample sample;
  sample.coeff = ThresholdField(SampleGrf(options.grf, s, gen), options.a_pos, options.a_neg);
  const Field ones(s, s, 1.0);
  absl::StatusOr<Field> sol = SolveGwf(sample.coeff, ones, options.solver, &sample.stats, &sample.min_node_coeff,
                                       &sample.min_face_coeff);
  if (!sol.ok()) {
    return absl::Status(sol.status().code(),
                        absl::StrCat(stream, " sample ", index, ": ", sol.status().message()));
  }
  sample.sol = *std::move(sol);
  return sample;
}

Field Subsample(const Field& f, int64_t sub) {
  const int64_t r = SubsampledSize(f.rows, sub), c = SubsampledSize(f.cols, sub);
  Field out(r, c);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) out(i, j) = f(i * sub, j * sub);
  return out;
}

absl::StatusOr<StreamArrays> GenerateStream(const GenerateOptions& options, const std::string& stream,
                                            int64_t n, bool keep_full) {
  const int64_t s2 = SubsampledSize(options.resolution, options.sub);
  StreamArrays out;
  out.coeff = Tensor::Empty({n, s2, s2}, DType::kFloat32);
  out.sol = Tensor::Empty({n, s2, s2}, DType::kFloat32);
  out.min_node_coeff = out.min_face_coeff = std::numeric_limits<double>::infinity();
  float* coeff = out.coeff.data<float>();
  float* sol = out.sol.data<float>();
  const int64_t s = options.resolution;
  double* full_coeff = nullptr;
  double* full_sol = nullptr;
  if (keep_full) {
    out.full_coeff = Tensor::Empty({n, s, s}, DType::kFloat64);
    out.full_sol = Tensor::Empty({n, s, s}, DType::kFloat64);
    full_coeff = out.full_coeff.data<double>();
    full_sol = out.full_sol.data<double>();
  }
  std::vector<absl::Status> status(static_cast<size_t>(n));
  std::vector<int> iterations(static_cast<size_t>(n), 0), minres(static_cast<size_t>(n), 0);
  std::vector<double> min_coeff(static_cast<size_t>(n), 0.0), min_face(static_cast<size_t>(n), 0.0);
  const int threads = std::max(1, std::min(options.threads > 0 ? options.threads : NumThreads(), NumThreads()));
  std::mutex mu;
  int64_t done = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto run = [&](int64_t i) {
    absl::StatusOr<DarcySample> sample = GenerateSample(options, stream, i);
    if (!sample.ok()) {
      status[i] = sample.status();
      return;
    }
    iterations[i] = sample->stats.iterations;
    minres[i] = sample->stats.method == "minres" ? 1 : 0;
    min_coeff[i] = sample->min_node_coeff;
    min_face[i] = sample->min_face_coeff;
    const Field c = Subsample(sample->coeff, options.sub), u = Subsample(sample->sol, options.sub);
    for (int64_t k = 0; k < s2 * s2; ++k) {
      coeff[i * s2 * s2 + k] = static_cast<float>(c.v[k]);
      sol[i * s2 * s2 + k] = static_cast<float>(u.v[k]);
    }
    if (keep_full) {
      std::copy(sample->coeff.v.begin(), sample->coeff.v.end(), full_coeff + i * s * s);
      std::copy(sample->sol.v.begin(), sample->sol.v.end(), full_sol + i * s * s);
    }
    std::lock_guard<std::mutex> lock(mu);
    ++done;
    if (options.progress_every > 0 && options.progress != nullptr &&
        (done % options.progress_every == 0 || done == n)) {
      const double secs = Seconds(t0);
      std::fprintf(options.progress, "%s: %lld/%lld samples, %.3f s/sample wall (%d threads), %.1f s elapsed\n",
                   stream.c_str(), static_cast<long long>(done), static_cast<long long>(n),
                   secs / static_cast<double>(done), threads, secs);
      std::fflush(options.progress);
    }
  };
  // Thread t takes samples t, t + threads, …: every thread advances through the stream evenly.
  ParallelFor(0, threads, 1, [&](int64_t t0_, int64_t t1_) {
    for (int64_t t = t0_; t < t1_; ++t)
      for (int64_t i = t; i < n; i += threads) run(i);
  });
  out.seconds = Seconds(t0);
  for (int64_t i = 0; i < n; ++i) {
    if (!status[i].ok()) return status[i];
    out.total_iterations += iterations[i];
    out.max_iterations = std::max(out.max_iterations, iterations[i]);
    out.minres_fallbacks += minres[i];
    out.min_node_coeff = std::min(out.min_node_coeff, min_coeff[i]);
    out.min_face_coeff = std::min(out.min_face_coeff, min_face[i]);
    if (min_face[i] <= 0.0) ++out.samples_with_negative_face;
  }
  return out;
}

std::string DescribeOptions(const GenerateOptions& o) {
  return absl::StrFormat(
      "Darcy flow -div(a grad u) = 1 on [0,1]^2, u = 0 on the boundary, generated by nb360 "
      "(tasks/darcy_flow, FNO piececonst construction): GRF alpha=%g tau=%g on a %dx%d grid "
      "(cosine KL expansion, idct2), a=%g where GRF>=0 else %g, solve_gwf five-point scheme on %dx%d "
      "nodes with spline transfer (PCG + multigrid, rel_tol=%g), subsampled by %d to %dx%d; "
      "seed=%d, train stream 'darcy/train' n=%d (plays smooth1), test stream 'darcy/test' n=%d "
      "(plays smooth2), sample i from Fork('sample/<i>')",
      o.grf.alpha, o.grf.tau, o.resolution, o.resolution, o.a_pos, o.a_neg, o.resolution, o.resolution,
      o.solver.rel_tol, o.sub, SubsampledSize(o.resolution, o.sub), SubsampledSize(o.resolution, o.sub), o.seed,
      o.n_train, o.n_test);
}

absl::Status ValidateOptions(const GenerateOptions& o) {
  if (o.resolution < 4) return absl::InvalidArgumentError(absl::StrCat("--resolution=", o.resolution, ": must be at least 4"));
  if (o.resolution > 8193) return absl::InvalidArgumentError(absl::StrCat("--resolution=", o.resolution, ": larger than 8193 is not supported"));
  if (o.sub < 1 || o.sub >= o.resolution) {
    return absl::InvalidArgumentError(absl::StrCat("--sub=", o.sub, ": must be in [1, resolution)"));
  }
  if (o.n_train < 0 || o.n_test < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--n_train=", o.n_train, " --n_test=", o.n_test,
                                                   ": sample counts must be non-negative"));
  }
  if (!(o.a_pos > 0.0) || !(o.a_neg > 0.0)) {
    return absl::InvalidArgumentError(absl::StrCat("--a_pos=", o.a_pos, " --a_neg=", o.a_neg,
                                                   ": both coefficient values must be positive"));
  }
  if (!(o.grf.alpha > 1.0) || !(o.grf.tau > 0.0)) {
    return absl::InvalidArgumentError(absl::StrCat("--alpha=", o.grf.alpha, " --tau=", o.grf.tau,
                                                   ": need alpha > 1 (d/2) and tau > 0"));
  }
  if (!(o.solver.rel_tol > 0.0) || o.solver.max_iterations < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tol=", o.solver.rel_tol, ": must be positive"));
  }
  return absl::OkStatus();
}

absl::Status GenerateDataset(const std::string& dir, const GenerateOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  std::map<std::string, Tensor> arrays;
  for (const auto& [stream, n, prefix] : {std::make_tuple(std::string("darcy/train"), options.n_train, "train"),
                                          std::make_tuple(std::string("darcy/test"), options.n_test, "test")}) {
    absl::StatusOr<StreamArrays> a = GenerateStream(options, stream, n, !options.mat_out.empty());
    if (!a.ok()) return a.status();
    if (!options.mat_out.empty()) {
      const std::string path =
          absl::StrCat(options.mat_out, "/piececonst_r", options.resolution, "_N", n, "_smooth",
                       prefix == std::string("train") ? 1 : 2, ".mat");
      if (absl::Status s = WriteMatV5(path, {{"coeff", a->full_coeff}, {"sol", a->full_sol}}, true); !s.ok()) {
        return s;
      }
      if (options.progress != nullptr) std::fprintf(options.progress, "%s: wrote %s\n", stream.c_str(), path.c_str());
    }
    if (options.progress != nullptr && n > 0) {
      std::fprintf(options.progress,
                   "%s: %lld samples in %.1f s; solver iterations mean %.1f, max %d (%lld MINRES fallbacks); "
                   "smallest splined node coefficient %.4g, smallest face coefficient %.4g (%lld samples "
                   "with a face <= 0)\n",
                   stream.c_str(), static_cast<long long>(n), a->seconds,
                   static_cast<double>(a->total_iterations) / static_cast<double>(n), a->max_iterations,
                   static_cast<long long>(a->minres_fallbacks), a->min_node_coeff, a->min_face_coeff, static_cast<long long>(a->samples_with_negative_face));
    }
    arrays[absl::StrCat(prefix, "_coeff")] = a->coeff;
    arrays[absl::StrCat(prefix, "_sol")] = a->sol;
  }
  return WriteDataset(dir, DatasetManifest{"darcy_flow", "generated", DescribeOptions(options)}, arrays);
}

}  // namespace nb360::tasks::darcy
