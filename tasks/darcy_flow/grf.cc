// tasks/darcy_flow/grf.cc: Gaussian random field sampling and the MATLAB-compatible inverse DCT.
#include "tasks/darcy_flow/grf.h"

#include <fftw3.h>

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "engine/check.h"
#include "engine/tensor.h"

namespace nb360::tasks::darcy {
namespace {

// An FFTW-allocated (aligned) buffer of doubles.
struct FftwBuffer {
  explicit FftwBuffer(size_t n) : p(static_cast<double*>(fftw_malloc(sizeof(double) * n))) {
    NB_CHECK(p != nullptr, "InverseDct2: fftw_malloc of ", n, " doubles failed");
  }
  ~FftwBuffer() { fftw_free(p); }
  FftwBuffer(const FftwBuffer&) = delete;
  FftwBuffer& operator=(const FftwBuffer&) = delete;
  double* p;
};

// The cached 2-D REDFT01 plan for a (rows, cols) shape. FFTW's planner is not thread-safe, so plans
// are made under a mutex; executing a plan on new (equally aligned) arrays is thread-safe.
fftw_plan Redft01Plan(int rows, int cols) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, fftw_plan>* plans = new std::map<std::pair<int, int>, fftw_plan>;
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans->find({rows, cols});
  if (it != plans->end()) return it->second;
  FftwBuffer in(static_cast<size_t>(rows) * cols), out(static_cast<size_t>(rows) * cols);
  fftw_plan plan = fftw_plan_r2r_2d(rows, cols, in.p, out.p, FFTW_REDFT01, FFTW_REDFT01, FFTW_ESTIMATE);
  NB_CHECK(plan != nullptr, "InverseDct2: FFTW could not plan a ", rows, "x", cols, " REDFT01");
  plans->emplace(std::make_pair(rows, cols), plan);
  return plan;
}

// Per-index factor that turns REDFT01 into the orthonormal DCT-III along an axis of length n.
double OrthoScale(int64_t k, int64_t n) {
  return k == 0 ? 1.0 / std::sqrt(static_cast<double>(n)) : 1.0 / std::sqrt(2.0 * static_cast<double>(n));
}

}  // namespace

Field GrfCoefficients(const GrfParams& params, int64_t s, Generator& gen) {
  NB_CHECK(s >= 1, "GrfCoefficients: grid size must be positive, got ", s);
  Tensor xi = Tensor::Empty({s, s}, DType::kFloat64);
  gen.Normal(xi, 0.0, 1.0);
  const double* x = xi.data<double>();
  const double pre = std::pow(params.tau, params.alpha - 1.0);
  const double tau2 = params.tau * params.tau;
  Field L(s, s);
  for (int64_t k1 = 0; k1 < s; ++k1) {
    for (int64_t k2 = 0; k2 < s; ++k2) {
      const double lambda = M_PI * M_PI * static_cast<double>(k1 * k1 + k2 * k2) + tau2;
      const double c = pre * std::pow(lambda, -params.alpha / 2.0);
      L(k1, k2) = static_cast<double>(s) * c * x[k1 * s + k2];
    }
  }
  L(0, 0) = 0.0;
  return L;
}

Field InverseDct2(const Field& coeffs) {
  const int64_t r = coeffs.rows, c = coeffs.cols;
  NB_CHECK(r >= 1 && c >= 1, "InverseDct2: empty input ", r, "x", c);
  fftw_plan plan = Redft01Plan(static_cast<int>(r), static_cast<int>(c));
  const size_t n = static_cast<size_t>(r * c);
  FftwBuffer in(n), out(n);
  for (int64_t i = 0; i < r; ++i) {
    const double si = OrthoScale(i, r);
    for (int64_t j = 0; j < c; ++j) in.p[i * c + j] = coeffs(i, j) * si * OrthoScale(j, c);
  }
  fftw_execute_r2r(plan, in.p, out.p);
  Field u(r, c);
  std::memcpy(u.data(), out.p, n * sizeof(double));
  return u;
}

Field SampleGrf(const GrfParams& params, int64_t s, Generator& gen) {
  return InverseDct2(GrfCoefficients(params, s, gen));
}

Field ThresholdField(const Field& u, double a_pos, double a_neg) {
  Field a(u.rows, u.cols);
  for (size_t i = 0; i < u.v.size(); ++i) a.v[i] = u.v[i] >= 0.0 ? a_pos : a_neg;
  return a;
}

}  // namespace nb360::tasks::darcy
