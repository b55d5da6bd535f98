// tests/ops/conformance.h: the one conformance harness for all ops.
//
// An OpCase names an op, makes its inputs, runs it, and says how to compute the same result with a
// plain reference implementation. The harness then checks, for every case:
//   1. forward (float64) against the reference (float64),
//   2. gradients (float64) of sum(op(x) * r), r random, against central finite differences,
//   3. float32 forward and gradients against the float64 ones (this runs the fast kernels),
//   4. the same results for non-contiguous copies of every input,
//   5. where a CUDA backend Supports() the op, CUDA against CPU (skipped in CPU-only builds).
// Adding an op is adding one case in tests/ops/cases/<family>_cases.cc.
#ifndef NB360_TESTS_OPS_CONFORMANCE_H_
#define NB360_TESTS_OPS_CONFORMANCE_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "engine/tensor.h"
#include "ops/registry.h"

namespace nb360 {
namespace testing {

using Inputs = std::vector<Tensor>;

struct OpCase {
  std::string name;  // "family/variant", unique
  OpKind kind;       // the registry entry the op runs on
  // float64 (or integer) inputs; floating ones are cast to float32 for pass 3.
  std::function<Inputs(Generator&)> make_inputs;
  std::function<Tensor(const Inputs&)> op;
  // Plain loops over float64 data; gets contiguous float64 (or integer) inputs.
  std::function<Tensor(const Inputs&)> reference;
  // Which inputs to differentiate (default: every floating input).
  std::vector<bool> differentiable;
  double ref_tol = 1e-9;    // |op - ref| <= ref_tol * (1 + |ref|), float64
  double grad_tol = 1e-5;   // finite differences vs backprop, float64
  double grad_eps = 1e-6;   // finite difference step
  double f32_tol = 2e-4;    // float32 vs float64, relative to the tensor's max magnitude
  int max_fd_elements = 48; // finite-difference probes per input (sampled)
  bool check_gradients = true;
};

// Random normal float64 tensor.
Tensor RandN(Generator& g, const Shape& shape, double scale = 1.0);
// Uniform in [lo, hi).
Tensor RandU(Generator& g, const Shape& shape, double lo, double hi);
// int64 values in [0, n).
Tensor RandIndex(Generator& g, const Shape& shape, int64_t n);

// Case lists, one per op family (tests/ops/cases/*.cc).
void AddElementwiseCases(std::vector<OpCase>* cases);
void AddReduceCases(std::vector<OpCase>* cases);
void AddSoftmaxCases(std::vector<OpCase>* cases);
void AddMatmulCases(std::vector<OpCase>* cases);
void AddShapeCases(std::vector<OpCase>* cases);
void AddConvCases(std::vector<OpCase>* cases);
void AddPoolCases(std::vector<OpCase>* cases);
void AddNormCases(std::vector<OpCase>* cases);
void AddFftCases(std::vector<OpCase>* cases);
void AddLossCases(std::vector<OpCase>* cases);
void AddWeightedSumCases(std::vector<OpCase>* cases);

// All registered cases.
std::vector<OpCase> AllCases();

// gtest prints a case by its name.
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

struct CaseReport {
  bool ok = true;
  std::string failures;  // one line per failed check
  int fd_probes = 0;
  bool cuda_checked = false;
};

CaseReport RunCase(const OpCase& c);

// Whether this build has the CUDA backend and a device answered (the backend is started once).
bool CudaAvailable();

}  // namespace testing
}  // namespace nb360

#endif  // NB360_TESTS_OPS_CONFORMANCE_H_
