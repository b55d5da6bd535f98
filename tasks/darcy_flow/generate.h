// tasks/darcy_flow/generate.h: the Darcy Flow data generator (FNO "piececonst" construction, spec §12).
//
// One sample at resolution s: U = GRF(α, τ, s) (grf.h); coefficient a = a_pos where U >= 0 else a_neg
// on the s×s cell-centred grid; u = SolveGwf(a, 1); both fields are then subsampled by `sub`
// (indices 0, sub, 2·sub, … < s; 421/5 → 85). The dataset written by GenerateDataset holds
//   train_coeff, train_sol (n_train, s', s') float32  — play smooth1 samples 0..n_train−1
//   test_coeff,  test_sol  (n_test,  s', s') float32  — play smooth2 samples 0..n_test−1
// Randomness: Generator(seed).Fork("darcy/train") (or "darcy/test"), then .Fork("sample/<i>") for
// sample i, so every sample is reproducible on its own, in any order and on any thread count.
//
// SolveGwf is solve_gwf.m's pipeline: spline the K×K cell-centred a and f ((2i−1)/(2K)) to the K×K
// node grid (spline.h), solve the node problem (solver.h), spline the node solution back to the cell
// centres. solve_gwf.m reshapes its solution vector row-wise (vec2mat) — a transpose of its
// column-major unknown order — and transposes the interpolated result once more; the two transposes
// cancel, so sol(i, j) belongs to the same point as coeff(i, j). That is what is returned here.
//
// Leaves out: the log-normal coefficient variant.
#ifndef NB360_TASKS_DARCY_FLOW_GENERATE_H_
#define NB360_TASKS_DARCY_FLOW_GENERATE_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/tensor.h"
#include "tasks/darcy_flow/field.h"
#include "tasks/darcy_flow/grf.h"
#include "tasks/darcy_flow/solver.h"

namespace nb360::tasks::darcy {

struct GenerateOptions {
  int64_t resolution = 421;  // s: GRF grid and solver size K
  int64_t sub = 5;           // stored stride
  int64_t n_train = 1000;
  int64_t n_test = 100;
  uint64_t seed = 0;
  GrfParams grf;             // α = 2, τ = 3
  double a_pos = 12.0;       // coefficient where U >= 0
  double a_neg = 3.0;        // where U < 0 (FNO paper: 3; the repository's demo.m: 4)
  SolverOptions solver;
  int threads = 0;           // samples solved at once; 0 = NumThreads()
  int64_t progress_every = 0;  // print a progress line every this many samples (0: quiet)
  std::FILE* progress = stdout;
  // Non-empty: GenerateDataset also writes the full-resolution fields in the original files' layout,
  // <mat_out>/piececonst_r<s>_N<n>_smooth1.mat (train) and ..._smooth2.mat (test), MAT v5 (zlib),
  // variables coeff and sol, float64 (n, s, s). Needs 2 · n · s² · 8 bytes of memory per stream.
  std::string mat_out;
};

struct DarcySample {
  Field coeff;  // (s, s) thresholded coefficient, full resolution
  Field sol;    // (s, s) solution at the cell centres, same orientation
  SolveStats stats;
  double min_node_coeff = 0.0;  // smallest splined coefficient on the node grid (spline overshoot)
  double min_face_coeff = 0.0;  // smallest face coefficient of the system
};

// solve_gwf.m: coef, f (K, K) cell-centred → solution (K, K) cell-centred. Fails (with the numbers)
// when the splined coefficient is not positive or the solver does not converge.
absl::StatusOr<Field> SolveGwf(const Field& coef, const Field& f, const SolverOptions& options,
                               SolveStats* stats = nullptr, double* min_node_coeff = nullptr,
                               double* min_face_coeff = nullptr);

// The generator of sample `index` of `stream` ("darcy/train" or "darcy/test").
Generator SampleGenerator(uint64_t seed, const std::string& stream, int64_t index);

// Sample `index` of `stream` at full resolution.
absl::StatusOr<DarcySample> GenerateSample(const GenerateOptions& options, const std::string& stream,
                                           int64_t index);

// Rows/columns 0, sub, 2·sub, … of f.
Field Subsample(const Field& f, int64_t sub);

// Samples [0, n) of `stream`, subsampled, as float32 (n, s', s') tensors {coeff, sol}; runs
// `options.threads` samples at once.
struct StreamArrays {
  Tensor coeff, sol;
  Tensor full_coeff, full_sol;  // (n, s, s) float64, only when `keep_full` was asked for
  int64_t total_iterations = 0;
  int max_iterations = 0;
  double min_node_coeff = 0.0;
  double min_face_coeff = 0.0;
  int64_t samples_with_negative_face = 0;
  int64_t minres_fallbacks = 0;  // samples whose matrix was not SPD (solved by MINRES)
  double seconds = 0.0;
};
absl::StatusOr<StreamArrays> GenerateStream(const GenerateOptions& options, const std::string& stream,
                                            int64_t n, bool keep_full = false);

// The manifest description: every generation parameter.
std::string DescribeOptions(const GenerateOptions& options);

// Checks the options (sizes, positivity) with messages naming the bad flag value.
absl::Status ValidateOptions(const GenerateOptions& options);

// Generates both streams and writes the canonical dataset (task "darcy_flow", source "generated").
absl::Status GenerateDataset(const std::string& dir, const GenerateOptions& options);

}  // namespace nb360::tasks::darcy

#endif  // NB360_TASKS_DARCY_FLOW_GENERATE_H_
