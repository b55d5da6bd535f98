// benchmarks/tasks/common/mat_timing.cc: wall time of WriteMatV5 and ReadMat on Darcy-sized data.
//
// Usage: mat_timing DIR [N=1024] [compress=1] [level=1] [reps=3]
// Writes DIR/darcy_timing.mat with float64 variables coeff and sol of MATLAB size (N, 421, 421) (the
// original files' shape; 1.45 GB each for N = 1024), reads `coeff` back `reps` times (skipping `sol`,
// which is stored second), then both, and prints the seconds and GB/s of each step. Deletes the file at the end.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/tensor.h"
#include "tasks/common/mat.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  using nb360::Tensor;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [N=1024] [compress=1] [level=1] [reps=3]\n", argv[0]);
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/darcy_timing.mat";
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 1024;
  const bool compress = argc > 3 ? std::atoi(argv[3]) != 0 : true;
  const int level = argc > 4 ? std::atoi(argv[4]) : 1;
  const int reps = argc > 5 ? std::atoi(argv[5]) : 3;
  const nb360::Shape shape{n, 421, 421};
  Tensor coeff = Tensor::Empty(shape, nb360::DType::kFloat64);
  Tensor sol = Tensor::Empty(shape, nb360::DType::kFloat64);
  double* c = coeff.data<double>();
  double* s = sol.data<double>();
  for (int64_t k = 0; k < coeff.numel(); ++k) {
    c[k] = ((k * 2654435761u) >> 7) % 2 ? 12.0 : 3.0;  // piecewise constant, like the real coefficients
    s[k] = 1e-3 * static_cast<double>(k % 421) * static_cast<double>((k / 421) % 421);
  }
  const double gb = 8.0 * coeff.numel() / 1e9;
  auto t0 = std::chrono::steady_clock::now();
  absl::Status st = nb360::tasks::WriteMatV5(path, {{"coeff", coeff}, {"sol", sol}}, compress, level);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  const double write_s = Seconds(t0);
  std::printf("write 2 x %.2f GB (compress=%d level=%d): %.2f s\n", gb, compress, level, write_s);
  for (int rep = 0; rep < reps; ++rep) {
    t0 = std::chrono::steady_clock::now();
    auto one = nb360::tasks::ReadMat(path, {"coeff"});
    const double one_s = Seconds(t0);
    if (!one.ok()) {
      std::fprintf(stderr, "%s\n", one.status().ToString().c_str());
      return 1;
    }
    std::printf("read coeff only: %.2f s (%.2f GB/s of tensor data)\n", one_s, gb / one_s);
  }
  t0 = std::chrono::steady_clock::now();
  auto both = nb360::tasks::ReadMat(path);
  const double both_s = Seconds(t0);
  if (!both.ok()) {
    std::fprintf(stderr, "%s\n", both.status().ToString().c_str());
    return 1;
  }
  const bool same = both->at("coeff").data<double>()[12345] == c[12345] &&
                    both->at("sol").data<double>()[coeff.numel() - 1] == s[coeff.numel() - 1];
  std::printf("read coeff + sol: %.2f s (%.2f GB/s); spot check %s\n", both_s, 2 * gb / both_s,
              same ? "ok" : "MISMATCH");
  std::remove(path.c_str());
  return same ? 0 : 1;
}
