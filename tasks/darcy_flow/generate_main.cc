// tasks/darcy_flow/generate_main.cc: `bazel run -c opt //tasks/darcy_flow:generate -- --out=DIR`.
//
// Generates the Darcy Flow train/test arrays with our own GRF + finite-difference solver and writes
// them as a canonical dataset (see generate.h), optionally also as .mat files in the original layout.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "engine/parallel.h"
#include "tasks/common/canonical.h"
#include "tasks/darcy_flow/generate.h"

ABSL_FLAG(std::string, out, "", "Output dataset directory (required).");
ABSL_FLAG(int64_t, resolution, 421, "Grid size s of the GRF and of the solver (the files use 421).");
ABSL_FLAG(int64_t, sub, 5, "Stored stride: indices 0, sub, 2*sub, ... (421/5 -> 85).");
ABSL_FLAG(int64_t, n_train, 1000, "Training samples (play smooth1 samples 0..n_train-1).");
ABSL_FLAG(int64_t, n_test, 100, "Test samples (play smooth2 samples 0..n_test-1).");
ABSL_FLAG(uint64_t, seed, 0, "Seed of all randomness.");
ABSL_FLAG(double, a_pos, 12.0, "Coefficient where the GRF is >= 0.");
ABSL_FLAG(double, a_neg, 3.0, "Coefficient where the GRF is < 0 (FNO paper: 3; repository demo.m: 4).");
ABSL_FLAG(double, alpha, 2.0, "GRF smoothness alpha.");
ABSL_FLAG(double, tau, 3.0, "GRF inverse length scale tau.");
ABSL_FLAG(double, tol, 1e-10, "Relative residual tolerance of the PCG solve.");
ABSL_FLAG(int, threads, 0, "Samples solved at once (0: all OpenMP threads).");
ABSL_FLAG(std::string, mat_out, "",
          "Also write the full-resolution fields as piececonst_r<s>_N<n>_smooth{1,2}.mat (MAT v5, coeff/sol "
          "float64) into this existing directory.");
ABSL_FLAG(int64_t, progress_every, 10, "Print a progress line every this many samples (0: quiet).");

int main(int argc, char** argv) {
  using nb360::tasks::darcy::GenerateOptions;
  absl::SetProgramUsageMessage(
      "Generates Darcy Flow data (GRF threshold coefficient, finite-difference solve).\n"
      "  bazel run -c opt //tasks/darcy_flow:generate -- --out=DIR [--resolution=421 --sub=5 "
      "--n_train=1000 --n_test=100 --seed=0 --a_pos=12 --a_neg=3 --threads=2]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "generate: unexpected argument '%s'\n", rest[1]);
    return 1;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::fprintf(stderr, "generate: --out=DIR is required\n");
    return 1;
  }
  GenerateOptions o;
  o.resolution = absl::GetFlag(FLAGS_resolution);
  o.sub = absl::GetFlag(FLAGS_sub);
  o.n_train = absl::GetFlag(FLAGS_n_train);
  o.n_test = absl::GetFlag(FLAGS_n_test);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.a_pos = absl::GetFlag(FLAGS_a_pos);
  o.a_neg = absl::GetFlag(FLAGS_a_neg);
  o.grf.alpha = absl::GetFlag(FLAGS_alpha);
  o.grf.tau = absl::GetFlag(FLAGS_tau);
  o.solver.rel_tol = absl::GetFlag(FLAGS_tol);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.progress_every = absl::GetFlag(FLAGS_progress_every);
  o.mat_out = absl::GetFlag(FLAGS_mat_out);
  if (o.threads < 0) {
    std::fprintf(stderr, "generate: --threads=%d must be >= 0\n", o.threads);
    return 1;
  }
  if (o.threads > nb360::NumThreads()) nb360::SetNumThreads(o.threads);
  std::printf("generate darcy_flow: %s\n", nb360::tasks::darcy::DescribeOptions(o).c_str());
  std::fflush(stdout);
  absl::Status s = nb360::tasks::darcy::GenerateDataset(out, o);
  if (!s.ok()) {
    std::fprintf(stderr, "generate darcy_flow: FAILED: %s\n(nothing was written to %s)\n",
                 std::string(s.message()).c_str(), out.c_str());
    return 1;
  }
  absl::StatusOr<nb360::tasks::Dataset> d = nb360::tasks::OpenDataset(out, "darcy_flow");
  if (!d.ok()) {
    std::fprintf(stderr, "generate darcy_flow: the written dataset does not open: %s\n",
                 std::string(d.status().message()).c_str());
    return 1;
  }
  std::printf("generate darcy_flow: wrote %s\n", out.c_str());
  for (const auto& [name, v] : d->arrays) {
    std::printf("  %-12s %-8s %s\n", name.c_str(), std::string(nb360::DTypeName(v.dtype)).c_str(),
                nb360::ShapeString(v.shape).c_str());
  }
  return 0;
}
