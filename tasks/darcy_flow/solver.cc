// tasks/darcy_flow/solver.cc: multigrid-preconditioned CG for the solve_gwf.m five-point system.
//
// Every level stores its vectors on the padded (n+1)×(n+1) node grid with zero boundary values, so
// stencil sweeps need no branches; the stencil of interior node p is st[k][p], k = 3(di+1) + (dj+1)
// for the neighbour (i+di, j+dj).
#include "tasks/darcy_flow/solver.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/check.h"

namespace nb360::tasks::darcy {
namespace {

// Σ a[k] b[k] with four independent partial sums (the compiler may not reassociate one long chain).
double DotRange(const double* a, const double* b, int64_t n) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < n; ++k) s0 += a[k] * b[k];
  return (s0 + s1) + (s2 + s3);
}

// Symmetric banded matrix, Cholesky-factored in place; row i keeps columns [i − bw, i].
class BandCholesky {
 public:
  BandCholesky(int64_t n, int64_t bw) : n_(n), bw_(bw), l_(static_cast<size_t>(n * (bw + 1)), 0.0) {}
  // Entry (i, j), j <= i, i − j <= bw (before Factor()).
  double& At(int64_t i, int64_t j) { return l_[i * (bw_ + 1) + (j - i + bw_)]; }
  // False when the matrix is not positive definite (a pivot <= 0 at some row).
  bool Factor() {
    for (int64_t i = 0; i < n_; ++i) {
      double* li = &l_[i * (bw_ + 1)];
      for (int64_t j = std::max<int64_t>(0, i - bw_); j <= i; ++j) {
        const double* lj = &l_[j * (bw_ + 1)];
        const int64_t k0 = std::max<int64_t>(0, i - bw_);
        const double s = li[j - i + bw_] - DotRange(li + (k0 - i + bw_), lj + (k0 - j + bw_), j - k0);
        if (j < i) {
          li[j - i + bw_] = s / lj[bw_];
        } else {
          if (!(s > 0.0)) return false;
          li[bw_] = std::sqrt(s);
        }
      }
    }
    return true;
  }
  // Solves L Lᵀ x = b in place.
  void Solve(double* x) const {
    for (int64_t i = 0; i < n_; ++i) {
      const double* li = &l_[i * (bw_ + 1)];
      const int64_t k0 = std::max<int64_t>(0, i - bw_);
      x[i] = (x[i] - DotRange(li + (k0 - i + bw_), x + k0, i - k0)) / li[bw_];
    }
    for (int64_t i = n_ - 1; i >= 0; --i) {
      x[i] /= l_[i * (bw_ + 1) + bw_];
      const double* li = &l_[i * (bw_ + 1)];
      for (int64_t k = std::max<int64_t>(0, i - bw_); k < i; ++k) x[k] -= li[k - i + bw_] * x[i];
    }
  }

 private:
  int64_t n_, bw_;
  std::vector<double> l_;
};

struct Level {
  int64_t n = 0;  // intervals per side; nodes 0..n, interior 1..n−1
  int64_t p = 0;  // padded side n + 1
  bool five_point = false;
  std::array<std::vector<double>, 9> st;
  std::vector<double> inv_diag;
  std::vector<double> u, b, r;  // work vectors (padded)
  std::shared_ptr<BandCholesky> direct;  // only on the coarsest level

  int64_t Off(int k) const { return (k / 3 - 1) * p + (k % 3 - 1); }
  void Init(int64_t intervals) {
    n = intervals;
    p = n + 1;
    for (auto& s : st) s.assign(static_cast<size_t>(p * p), 0.0);
    u.assign(p * p, 0.0);
    b.assign(p * p, 0.0);
    r.assign(p * p, 0.0);
  }
};

// out = A v on interior nodes (boundary of out left at 0).
template <bool kFive>
void ApplyT(const Level& L, const double* v, double* out) {
  const double* st[9];
  int64_t off[9];
  for (int k = 0; k < 9; ++k) {
    st[k] = L.st[k].data();
    off[k] = L.Off(k);
  }
  for (int64_t i = 1; i < L.n; ++i) {
    for (int64_t j = 1; j < L.n; ++j) {
      const int64_t x = i * L.p + j;
      double s = st[4][x] * v[x] + st[1][x] * v[x + off[1]] + st[3][x] * v[x + off[3]] +
                 st[5][x] * v[x + off[5]] + st[7][x] * v[x + off[7]];
      if (!kFive) {
        s += st[0][x] * v[x + off[0]] + st[2][x] * v[x + off[2]] + st[6][x] * v[x + off[6]] +
             st[8][x] * v[x + off[8]];
      }
      out[x] = s;
    }
  }
}
void Apply(const Level& L, const double* v, double* out) {
  L.five_point ? ApplyT<true>(L, v, out) : ApplyT<false>(L, v, out);
}

// One Gauss–Seidel sweep on L.u for L.b, lexicographic forward or backward.
template <bool kFive>
void SweepT(Level& L, bool forward) {
  double* u = L.u.data();
  const double* b = L.b.data();
  const double* inv = L.inv_diag.data();
  const double* st[9];
  int64_t off[9];
  for (int k = 0; k < 9; ++k) {
    st[k] = L.st[k].data();
    off[k] = L.Off(k);
  }
  auto relax = [&](int64_t x) {
    double s = b[x] - (st[1][x] * u[x + off[1]] + st[3][x] * u[x + off[3]] + st[5][x] * u[x + off[5]] +
                       st[7][x] * u[x + off[7]]);
    if (!kFive) {
      s -= st[0][x] * u[x + off[0]] + st[2][x] * u[x + off[2]] + st[6][x] * u[x + off[6]] +
           st[8][x] * u[x + off[8]];
    }
    u[x] = s * inv[x];
  };
  if (forward) {
    for (int64_t i = 1; i < L.n; ++i)
      for (int64_t j = 1; j < L.n; ++j) relax(i * L.p + j);
  } else {
    for (int64_t i = L.n - 1; i >= 1; --i)
      for (int64_t j = L.n - 1; j >= 1; --j) relax(i * L.p + j);
  }
}
void Sweep(Level& L, bool forward) { L.five_point ? SweepT<true>(L, forward) : SweepT<false>(L, forward); }

// 1-D bilinear prolongation weights: fine index q's coarse parents.
int Parents(int64_t q, int64_t parent[2], double w[2]) {
  if (q % 2 == 0) {
    parent[0] = q / 2;
    w[0] = 1.0;
    return 1;
  }
  parent[0] = (q - 1) / 2;
  parent[1] = (q + 1) / 2;
  w[0] = w[1] = 0.5;
  return 2;
}

// The Galerkin coarse operator PᵀAP of `f` on a level with f.n / 2 intervals.
void Coarsen(const Level& f, Level& c) {
  c.Init(f.n / 2);
  for (int64_t I1 = 1; I1 < c.n; ++I1) {
    for (int64_t I2 = 1; I2 < c.n; ++I2) {
      for (int a = -1; a <= 1; ++a) {
        for (int b = -1; b <= 1; ++b) {
          const int64_t p1 = 2 * I1 + a, p2 = 2 * I2 + b;
          const double wp = (a == 0 ? 1.0 : 0.5) * (b == 0 ? 1.0 : 0.5);
          const int64_t px = p1 * f.p + p2;
          for (int k = 0; k < 9; ++k) {
            const double val = wp * f.st[k][px];
            if (val == 0.0) continue;
            const int64_t q1 = p1 + k / 3 - 1, q2 = p2 + k % 3 - 1;
            if (q1 <= 0 || q1 >= f.n || q2 <= 0 || q2 >= f.n) continue;  // boundary: not an unknown
            int64_t j1[2], j2[2];
            double w1[2], w2[2];
            const int n1 = Parents(q1, j1, w1), n2 = Parents(q2, j2, w2);
            for (int s = 0; s < n1; ++s) {
              if (j1[s] <= 0 || j1[s] >= c.n) continue;
              for (int t = 0; t < n2; ++t) {
                if (j2[t] <= 0 || j2[t] >= c.n) continue;
                const int kc = 3 * static_cast<int>(I1 - j1[s] + 1) + static_cast<int>(I2 - j2[t] + 1);
                c.st[kc][j1[s] * c.p + j2[t]] += val * w1[s] * w2[t];
              }
            }
          }
        }
      }
    }
  }
}

// Banded Cholesky factor of a level's operator (lexicographic interior order); null when the
// operator is not positive definite.
std::unique_ptr<BandCholesky> FactorLevel(const Level& L) {
  const int64_t m = L.n - 1;
  auto chol = std::make_unique<BandCholesky>(m * m, m + 1);
  for (int64_t i = 1; i < L.n; ++i) {
    for (int64_t j = 1; j < L.n; ++j) {
      const int64_t row = (i - 1) * m + (j - 1);
      for (int k = 0; k <= 4; ++k) {  // neighbours at or before this node in lexicographic order
        const int64_t ni = i + k / 3 - 1, nj = j + k % 3 - 1;
        if (ni <= 0 || nj <= 0 || nj >= L.n) continue;
        chol->At(row, (ni - 1) * m + (nj - 1)) = L.st[k][i * L.p + j];
      }
    }
  }
  if (!chol->Factor()) return nullptr;
  return chol;
}

void DirectSolve(Level& L) {
  const int64_t m = L.n - 1;
  std::vector<double> x(static_cast<size_t>(m * m));
  for (int64_t i = 1; i < L.n; ++i)
    for (int64_t j = 1; j < L.n; ++j) x[(i - 1) * m + (j - 1)] = L.b[i * L.p + j];
  L.direct->Solve(x.data());
  for (int64_t i = 1; i < L.n; ++i)
    for (int64_t j = 1; j < L.n; ++j) L.u[i * L.p + j] = x[(i - 1) * m + (j - 1)];
}

// The five-point operator of solve_gwf.m for node coefficients a (K, K), scaled by (K−1)².
Level FineLevel(const Field& a) {
  const int64_t K = a.rows;
  Level fine;
  fine.Init(K - 1);
  fine.five_point = true;
  const double scale = static_cast<double>((K - 1) * (K - 1));
  for (int64_t i = 1; i < K - 1; ++i) {
    for (int64_t j = 1; j < K - 1; ++j) {
      const int64_t x = i * fine.p + j;
      const double c = a(i, j);
      const double wn = 0.5 * (c + a(i - 1, j)) * scale, ws = 0.5 * (c + a(i + 1, j)) * scale;
      const double ww = 0.5 * (c + a(i, j - 1)) * scale, we = 0.5 * (c + a(i, j + 1)) * scale;
      fine.st[1][x] = -wn;
      fine.st[7][x] = -ws;
      fine.st[3][x] = -ww;
      fine.st[5][x] = -we;
      fine.st[4][x] = wn + ws + ww + we;
    }
  }
  return fine;
}

class Multigrid {
 public:
  Multigrid(const Level& fine, const SolverOptions& options) : options_(options) {
    levels_.push_back(fine);
    while (levels_.back().n % 2 == 0 && levels_.back().n - 1 > options_.direct_max_side) {
      Level coarse;
      Coarsen(levels_.back(), coarse);
      levels_.push_back(std::move(coarse));
    }
    for (Level& L : levels_) {
      L.inv_diag.assign(L.p * L.p, 0.0);
      for (int64_t i = 1; i < L.n; ++i) {
        for (int64_t j = 1; j < L.n; ++j) {
          const double d = L.st[4][i * L.p + j];
          if (!(d > 0.0)) {
            failure_ = StrCat("non-positive diagonal ", d, " at node (", i, ", ", j, ") of the level with ", L.n,
                              " intervals");
            return;
          }
          L.inv_diag[i * L.p + j] = 1.0 / d;
        }
      }
    }
    levels_.back().direct = FactorLevel(levels_.back());
    if (levels_.back().direct == nullptr) {
      failure_ = StrCat("the operator with ", levels_.back().n, " intervals is not positive definite");
    }
  }

  // Empty when the hierarchy was built; otherwise why the operator cannot be solved by (P)CG.
  const std::string& failure() const { return failure_; }

  int num_levels() const { return static_cast<int>(levels_.size()); }
  Level& fine() { return levels_[0]; }
  bool direct_only() const { return levels_.size() == 1; }

  // z = M⁻¹ r: one V-cycle from zero on the finest level (r and z padded).
  void Precondition(const double* r, double* z) {
    Level& f = levels_[0];
    std::copy(r, r + f.p * f.p, f.b.begin());
    VCycle(0);
    std::copy(f.u.begin(), f.u.end(), z);
  }

 private:
  void VCycle(size_t l) {
    Level& L = levels_[l];
    std::fill(L.u.begin(), L.u.end(), 0.0);
    if (l + 1 == levels_.size()) {
      DirectSolve(L);
      return;
    }
    for (int s = 0; s < options_.smoothing_steps; ++s) Sweep(L, true);
    Apply(L, L.u.data(), L.r.data());
    for (int64_t i = 1; i < L.n; ++i)
      for (int64_t j = 1; j < L.n; ++j) L.r[i * L.p + j] = L.b[i * L.p + j] - L.r[i * L.p + j];
    Level& C = levels_[l + 1];
    for (int64_t I1 = 1; I1 < C.n; ++I1) {  // b_c = Pᵀ r
      for (int64_t I2 = 1; I2 < C.n; ++I2) {
        double s = 0.0;
        for (int a = -1; a <= 1; ++a)
          for (int b = -1; b <= 1; ++b)
            s += (a == 0 ? 1.0 : 0.5) * (b == 0 ? 1.0 : 0.5) * L.r[(2 * I1 + a) * L.p + 2 * I2 + b];
        C.b[I1 * C.p + I2] = s;
      }
    }
    VCycle(l + 1);
    for (int64_t I1 = 1; I1 < C.n; ++I1) {  // u += P e_c
      for (int64_t I2 = 1; I2 < C.n; ++I2) {
        const double e = C.u[I1 * C.p + I2];
        for (int a = -1; a <= 1; ++a)
          for (int b = -1; b <= 1; ++b)
            L.u[(2 * I1 + a) * L.p + 2 * I2 + b] += (a == 0 ? 1.0 : 0.5) * (b == 0 ? 1.0 : 0.5) * e;
      }
    }
    for (int s = 0; s < options_.smoothing_steps; ++s) Sweep(L, false);
  }

  SolverOptions options_;
  std::vector<Level> levels_;
  std::string failure_;
};

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void CheckInputs(const Field& a, const Field& f, const char* who) {
  NB_CHECK(a.rows == a.cols && a.rows >= 3, who, ": coefficient must be K×K with K >= 3, got ", a.rows, "x",
           a.cols);
  NB_CHECK(f.rows == a.rows && f.cols == a.cols, who, ": forcing is ", f.rows, "x", f.cols,
           " but the coefficient is ", a.rows, "x", a.cols);
}

}  // namespace

double MinFaceCoefficient(const Field& a) {
  const int64_t K = a.rows;
  double m = std::numeric_limits<double>::infinity();
  for (int64_t i = 1; i + 1 < K; ++i) {
    for (int64_t j = 0; j + 1 < K; ++j) {
      m = std::min(m, 0.5 * (a(i, j) + a(i, j + 1)));  // faces along a row
      m = std::min(m, 0.5 * (a(j, i) + a(j + 1, i)));  // faces along a column
    }
  }
  return m;
}

namespace {

double Norm(const std::vector<double>& v) { return std::sqrt(Dot(v, v)); }

// ‖b − A x‖₂ over the interior (A's boundary rows are zero, b's boundary is zero).
double ResidualNorm(const Level& A, const std::vector<double>& b, const std::vector<double>& x) {
  std::vector<double> ax(b.size(), 0.0);
  Apply(A, x.data(), ax.data());
  double rr = 0.0;
  for (int64_t i = 1; i < A.n; ++i)
    for (int64_t j = 1; j < A.n; ++j) {
      const double d = b[i * A.p + j] - ax[i * A.p + j];
      rr += d * d;
    }
  return std::sqrt(rr);
}

// Preconditioned CG from x = 0. Returns false on a breakdown (pAp or rz not positive).
bool Pcg(const Level& A, Multigrid& mg, const std::vector<double>& b, double tol, int max_iterations,
         std::vector<double>& x, int* iterations) {
  const size_t np = b.size();
  const double bnorm = Norm(b);
  std::vector<double> r = b, z(np), p(np), q(np);
  std::fill(x.begin(), x.end(), 0.0);
  mg.Precondition(r.data(), z.data());
  p = z;
  double rz = Dot(r, z);
  for (int it = 1; it <= max_iterations; ++it) {
    *iterations = it;
    Apply(A, p.data(), q.data());
    const double pq = Dot(p, q);
    if (!(pq > 0.0) || !(rz > 0.0)) return false;
    const double alpha = rz / pq;
    for (size_t i = 0; i < np; ++i) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
    }
    if (Norm(r) <= tol * bnorm) return true;
    mg.Precondition(r.data(), z.data());
    const double rz_new = Dot(r, z);
    const double beta = rz_new / rz;
    rz = rz_new;
    for (size_t i = 0; i < np; ++i) p[i] = z[i] + beta * p[i];
  }
  return true;
}

// Preconditioned MINRES (symmetric A, possibly indefinite; SPD preconditioner M) from x = 0, after
// Elman, Silvester & Wathen, "Finite Elements and Fast Iterative Solvers", Alg. 2.4. Stops on the
// true residual ‖b − A x‖ <= tol ‖b‖. Returns false on a breakdown.
bool Minres(const Level& A, Multigrid& mg, const std::vector<double>& b, double tol, int max_iterations,
            std::vector<double>& x, int* iterations) {
  const size_t np = b.size();
  const double bnorm = Norm(b);
  std::vector<double> v_prev(np, 0.0), v = b, v_next(np), z(np), az(np);
  std::vector<double> w_prev(np, 0.0), w(np, 0.0), w_next(np);
  std::fill(x.begin(), x.end(), 0.0);
  mg.Precondition(v.data(), z.data());
  double gamma = std::sqrt(Dot(z, v)), gamma_prev = 1.0;
  if (!(gamma > 0.0)) return false;
  double eta = gamma, s_prev = 0.0, s = 0.0, c_prev = 1.0, c = 1.0;
  for (int it = 1; it <= max_iterations; ++it) {
    *iterations = it;
    for (double& zi : z) zi /= gamma;
    Apply(A, z.data(), az.data());
    const double delta = Dot(az, z);
    for (size_t i = 0; i < np; ++i) v_next[i] = az[i] - (delta / gamma) * v[i] - (gamma / gamma_prev) * v_prev[i];
    std::vector<double> z_next(np);
    mg.Precondition(v_next.data(), z_next.data());
    const double zv = Dot(z_next, v_next);
    if (zv < 0.0) return false;
    const double gamma_next = std::sqrt(zv);
    const double a0 = c * delta - c_prev * s * gamma;
    const double a1 = std::sqrt(a0 * a0 + gamma_next * gamma_next);
    const double a2 = s * delta + c_prev * c * gamma;
    const double a3 = s_prev * gamma;
    if (!(a1 > 0.0)) return false;
    const double c_next = a0 / a1, s_next = gamma_next / a1;
    for (size_t i = 0; i < np; ++i) w_next[i] = (z[i] - a3 * w_prev[i] - a2 * w[i]) / a1;
    for (size_t i = 0; i < np; ++i) x[i] += c_next * eta * w_next[i];
    eta = -s_next * eta;
    if (ResidualNorm(A, b, x) <= tol * bnorm) return true;
    if (gamma_next == 0.0) return true;  // exact Krylov space exhausted
    std::swap(v_prev, v);
    std::swap(v, v_next);
    std::swap(w_prev, w);
    std::swap(w, w_next);
    z = std::move(z_next);
    gamma_prev = gamma;
    gamma = gamma_next;
    s_prev = s;
    s = s_next;
    c_prev = c;
    c = c_next;
  }
  return true;
}

// Node coefficients raised to a floor (a quarter of the interior mean) so every face is positive:
// the SPD surrogate whose V-cycle preconditions MINRES when the true operator is not SPD.
Field FlooredCoefficient(const Field& a) {
  const int64_t K = a.rows;
  double sum = 0.0;
  for (int64_t i = 1; i + 1 < K; ++i)
    for (int64_t j = 1; j + 1 < K; ++j) sum += std::abs(a(i, j));
  const double floor = 0.25 * sum / static_cast<double>((K - 2) * (K - 2));
  Field out = a;
  for (double& v : out.v) v = std::max(v, floor);
  return out;
}

}  // namespace

Field SolveDarcyNodes(const Field& a, const Field& f, const SolverOptions& options, SolveStats* stats) {
  CheckInputs(a, f, "SolveDarcyNodes");
  const int64_t K = a.rows;
  const Level A = FineLevel(a);
  const size_t np = static_cast<size_t>(A.p * A.p);
  std::vector<double> b(np, 0.0), x(np, 0.0);
  for (int64_t i = 1; i < K - 1; ++i)
    for (int64_t j = 1; j < K - 1; ++j) b[i * A.p + j] = f(i, j);
  const double bnorm = Norm(b);
  SolveStats st;
  Field u(K, K);
  if (bnorm == 0.0) {
    st.converged = true;
    if (stats != nullptr) *stats = st;
    return u;
  }
  // First choice: CG preconditioned by the V-cycle of A itself (or A's exact factor if it is small).
  bool solved = false;
  {
    Multigrid mg(A, options);
    st.levels = mg.num_levels();
    if (mg.failure().empty()) {
      if (mg.direct_only()) {
        mg.Precondition(b.data(), x.data());
        st.method = "direct";
      } else {
        Pcg(A, mg, b, options.rel_tol, options.max_iterations, x, &st.iterations);
        st.method = "pcg";
      }
      st.relative_residual = ResidualNorm(A, b, x) / bnorm;
      solved = std::isfinite(st.relative_residual) && st.relative_residual <= 10.0 * options.rel_tol;
      if (mg.direct_only() && std::isfinite(st.relative_residual)) solved = true;
    }
  }
  // Fallback for an operator that is not SPD (spline overshoot at the boundary): MINRES on A,
  // preconditioned by the V-cycle of the floored SPD surrogate.
  if (!solved) {
    Multigrid mg(FineLevel(FlooredCoefficient(a)), options);
    st.levels = mg.num_levels();
    st.method = "minres";
    if (!mg.failure().empty()) {
      st.failure = StrCat("the floored surrogate operator failed too: ", mg.failure());
    } else if (!Minres(A, mg, b, options.rel_tol, options.max_iterations, x, &st.iterations)) {
      st.failure = StrCat("MINRES breakdown at iteration ", st.iterations);
    }
    st.relative_residual = ResidualNorm(A, b, x) / bnorm;
    solved = st.failure.empty() && st.relative_residual <= 10.0 * options.rel_tol;
    if (!solved && st.failure.empty()) {
      st.failure = StrCat("MINRES reached relative residual ", st.relative_residual, " after ", st.iterations,
                          " iterations (tolerance ", options.rel_tol, ")");
    }
  }
  st.converged = solved;
  if (stats != nullptr) *stats = st;
  for (int64_t i = 1; i < K - 1; ++i)
    for (int64_t j = 1; j < K - 1; ++j) u(i, j) = x[i * A.p + j];
  return u;
}

Field SolveDarcyNodesDense(const Field& a, const Field& f) {
  CheckInputs(a, f, "SolveDarcyNodesDense");
  const int64_t K = a.rows, m = K - 2, n = m * m;
  NB_CHECK(K <= 40, "SolveDarcyNodesDense: K = ", K, " is too large for the dense reference (<= 40)");
  // Column-major unknown order of solve_gwf.m: node (i, j) (1-based interior i, j in 2..K−1) is
  // unknown (j−2)·(K−2) + (i−2); 0-based here: (j−1)·m + (i−1).
  auto id = [&](int64_t i, int64_t j) { return (j - 1) * m + (i - 1); };
  std::vector<double> A(static_cast<size_t>(n * n), 0.0), rhs(n);
  const double h2 = static_cast<double>((K - 1) * (K - 1));
  for (int64_t j = 1; j <= m; ++j) {
    for (int64_t i = 1; i <= m; ++i) {
      const int64_t r = id(i, j);
      const double nb[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
      for (const auto& d : nb) {
        const int64_t ni = i + static_cast<int64_t>(d[0]), nj = j + static_cast<int64_t>(d[1]);
        const double face = (a(i, j) + a(ni, nj)) / 2.0 * h2;
        A[r * n + r] += face;
        if (ni >= 1 && ni <= m && nj >= 1 && nj <= m) A[r * n + id(ni, nj)] -= face;
      }
      rhs[r] = f(i, j);
    }
  }
  // Gaussian elimination with partial pivoting (the matrix may be indefinite, as MATLAB's backslash
  // allows), then back substitution.
  for (int64_t c = 0; c < n; ++c) {
    int64_t piv = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::abs(A[r * n + c]) > std::abs(A[piv * n + c])) piv = r;
    NB_CHECK(A[piv * n + c] != 0.0, "SolveDarcyNodesDense: singular matrix at column ", c);
    if (piv != c) {
      for (int64_t k = 0; k < n; ++k) std::swap(A[c * n + k], A[piv * n + k]);
      std::swap(rhs[c], rhs[piv]);
    }
    for (int64_t r = c + 1; r < n; ++r) {
      const double m = A[r * n + c] / A[c * n + c];
      if (m == 0.0) continue;
      for (int64_t k = c; k < n; ++k) A[r * n + k] -= m * A[c * n + k];
      rhs[r] -= m * rhs[c];
    }
  }
  for (int64_t r = n - 1; r >= 0; --r) {
    for (int64_t k = r + 1; k < n; ++k) rhs[r] -= A[r * n + k] * rhs[k];
    rhs[r] /= A[r * n + r];
  }
  Field u(K, K);
  for (int64_t j = 1; j <= m; ++j)
    for (int64_t i = 1; i <= m; ++i) u(i, j) = rhs[id(i, j)];
  return u;
}

}  // namespace nb360::tasks::darcy
