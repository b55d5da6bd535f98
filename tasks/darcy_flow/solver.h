// tasks/darcy_flow/solver.h: the finite-difference Darcy solver of solve_gwf.m (spec §12.4), fast.
//
// Problem: −∇·(a ∇u) = f on [0,1]², u = 0 on the boundary, on the K×K node grid x_i = i/(K−1).
// Unknowns are the (K−2)² interior nodes; the five-point operator uses face coefficients equal to the
// arithmetic mean of the two adjacent node values of `a`, all scaled by (K−1)²:
//   (K−1)² [ Σ_{nb} (a_p + a_nb)/2 · (u_p − u_nb) ] = f_p,   nb ∈ {N, S, W, E}, u_boundary = 0.
// Arrays are (row, column) = (y, x) as everywhere in this package; the operator is symmetric in the
// two axes, so the orientation only matters for the caller.
//
// Method: conjugate gradients preconditioned by one multigrid V-cycle (forward Gauss–Seidel before,
// backward after, so the preconditioner is symmetric), bilinear prolongation P, restriction Pᵀ and
// Galerkin coarse operators PᵀAP (9-point), which stay robust across the coefficient jumps. Levels
// halve the interval count while it is even and the interior side exceeds
// `options.direct_max_side`; the coarsest level is solved by banded Cholesky. K − 1 = 420 gives
// 420 → 210 → 105 (104² unknowns solved directly). If K − 1 is odd the whole problem is solved by
// banded Cholesky (correct but slow for large K). Single-threaded: the generator runs samples in
// parallel instead.
//
// solve_gwf.m's splined coefficient overshoots near the boundary (extrapolation to the boundary
// nodes), so some face coefficients can be negative. The matrix usually stays SPD and CG works; when
// CG breaks down or stalls, the solve falls back to MINRES (symmetric indefinite) preconditioned by
// the V-cycle of an SPD surrogate (node coefficients raised to a quarter of their interior mean),
// giving the exact solution of the same system that MATLAB's backslash computes.
//
// Leaves out: other boundary conditions, non-square grids.
#ifndef NB360_TASKS_DARCY_FLOW_SOLVER_H_
#define NB360_TASKS_DARCY_FLOW_SOLVER_H_

#include <cstdint>
#include <string>

#include "tasks/darcy_flow/field.h"

namespace nb360::tasks::darcy {

struct SolverOptions {
  double rel_tol = 1e-10;       // stop when ‖f − A u‖₂ ≤ rel_tol · ‖f‖₂ (interior nodes)
  int max_iterations = 200;
  int smoothing_steps = 2;      // Gauss–Seidel sweeps before and after each coarse correction
  int64_t direct_max_side = 31;  // stop coarsening once the interior side is at most this
};

struct SolveStats {
  int iterations = 0;          // PCG iterations (0 for a direct solve)
  double relative_residual = 0.0;  // true ‖f − A u‖₂ / ‖f‖₂ at the end
  int levels = 0;              // multigrid levels including the direct one
  bool converged = false;
  std::string method;          // "pcg", "direct" or "minres" (the fallback for a non-SPD matrix)
  std::string failure;         // why the system could not be solved, if so
};

// Solves on the node grid: a, f (K, K) node values (boundary values of f are ignored); returns u
// (K, K) with u = 0 on the boundary. K >= 3. The matrix must be symmetric positive definite, which
// holds when every face coefficient is positive but also in the usual case of a few slightly
// negative faces next to the boundary (splined coefficients overshoot there); when it is not, the
// solve stops with stats->converged = false and stats->failure saying why.
Field SolveDarcyNodes(const Field& a, const Field& f, const SolverOptions& options = {},
                      SolveStats* stats = nullptr);

// Reference: the same system assembled as a dense matrix in solve_gwf.m's column-major unknown order
// (independently of the stencil code above) and solved by Gaussian elimination with partial pivoting
// (so an indefinite matrix is solved as MATLAB's backslash would). For tests on small grids (K <= 40).
Field SolveDarcyNodesDense(const Field& a, const Field& f);

// The smallest face coefficient (a_p + a_q)/2 over faces with at least one interior node.
double MinFaceCoefficient(const Field& a);

}  // namespace nb360::tasks::darcy

#endif  // NB360_TASKS_DARCY_FLOW_SOLVER_H_
