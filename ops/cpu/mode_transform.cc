// ops/cpu/mode_transform.cc: the FFT and truncated-DFT mode transforms and the cost model that
// chooses between them (see mode_transform.h).
#include "ops/cpu/mode_transform.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/fftw_plans.h"

namespace nb360 {
namespace cpu {
namespace {

// ---------------------------------------------------------------- FFT

template <class T>
class FftModeTransform : public ModeTransform<T> {
 public:
  FftModeTransform(const ModeLayout& l, const fftw::ImagePlans<T>& p) : l_(l), p_(p), ws_(p) {}

  void Forward(const T* x, T* modes) override {
    fftw::ForwardImage(p_, ws_, x);
    const T* s = ws_.spec.get();
    for (int64_t r = 0; r < l_.rows(); ++r) {
      const T* row = s + 2 * l_.row(r) * p_.wc;
      for (int64_t k2 = 0; k2 < l_.m2; ++k2) {
        modes[l_.at(k2, 0, r)] = row[2 * k2];
        modes[l_.at(k2, 1, r)] = row[2 * k2 + 1];
      }
    }
  }

  void Inverse(const T* modes, T* y) override {
    T* s = ws_.spec.get();
    std::memset(s, 0, sizeof(T) * 2 * p_.h * p_.wc);
    for (int64_t r = 0; r < l_.rows(); ++r) {
      T* row = s + 2 * l_.row(r) * p_.wc;
      for (int64_t k2 = 0; k2 < l_.m2; ++k2) {
        const T f = T(1) / ColumnMultiplicity(k2, l_.w);  // InverseImage counts column k2 c(k2) times
        row[2 * k2] = modes[l_.at(k2, 0, r)] * f;
        row[2 * k2 + 1] = modes[l_.at(k2, 1, r)] * f;
      }
    }
    fftw::InverseImage(p_, ws_, y);
  }

 private:
  ModeLayout l_;
  const fftw::ImagePlans<T>& p_;
  fftw::Workspace<T> ws_;
};

// ---------------------------------------------------------------- truncated DFT

// Row-major C (M, N) = op(A) op(B), op = transpose where asked. Single-threaded when called inside
// a parallel region (oneDNN runs on the same OpenMP team).
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float* c, int64_t ldc) {
  const dnnl_status_t st =
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  NB_CHECK(st == dnnl_success, "fft: dnnl_sgemm failed with status ", static_cast<int>(st));
}

void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
          const double* b, int64_t ldb, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), 0.0, c, static_cast<int>(ldc));
}

// Whether the column DFT is split radix-2 (even / odd image rows): for layouts keeping every row of
// an even-height spectrum, this halves the column stage, the larger one for full transforms.
bool SplitColumns(const ModeLayout& l) { return l.lo == l.h && l.hi == 0 && l.h % 2 == 0; }

// cos/sin tables of the truncated DFT for one layout:
//   row_dft (2 m2, W): [2 k2] = cos(2 pi k2 w / W), [2 k2 + 1] = -sin(...). Applied to image rows it
//     gives their DFT at the kept columns; applied (transposed) to [re; im] column data it gives the
//     real part of the inverse row DFT, sum_k2 Re(z e^{+i ...}).
//   col_dft (2 n, 2 R): the real 2x2-block form of e^{-i 2 pi row(r) h / n}, mapping [re/im][h] to
//     [re/im][r]; its transpose is the form of e^{+i ...}, mapping [re/im][r] back to [re/im][h].
//     n = H, or H/2 (all R = H/2 rows) when the columns are split.
//   twiddle (2 H), split only: [2 k] = cos(2 pi k / H), [2 k + 1] = -sin(...) = e^{-i 2 pi k / H}.
template <class T>
struct DftTables {
  std::vector<T> row_dft, col_dft, twiddle;
};

constexpr double kTwoPi = 6.283185307179586476925286766559;

// e^{-i 2 pi num / den} as (cos, -sin), with num reduced mod den first for accuracy.
std::pair<double, double> Root(int64_t num, int64_t den) {
  const double th = kTwoPi * static_cast<double>(num % den) / static_cast<double>(den);
  return {std::cos(th), -std::sin(th)};
}

template <class T>
std::vector<T> ColumnTable(int64_t n, int64_t rr, const ModeLayout& l, bool split) {
  std::vector<T> t(2 * n * 2 * rr);
  for (int64_t h = 0; h < n; ++h) {
    for (int64_t r = 0; r < rr; ++r) {
      const auto [c, ms] = Root((split ? r : l.row(r)) * h, n);
      t[h * 2 * rr + r] = static_cast<T>(c);                // re in -> re out
      t[(n + h) * 2 * rr + r] = static_cast<T>(-ms);        // im in -> re out
      t[h * 2 * rr + rr + r] = static_cast<T>(ms);          // re in -> im out
      t[(n + h) * 2 * rr + rr + r] = static_cast<T>(c);     // im in -> im out
    }
  }
  return t;
}

template <class T>
DftTables<T> MakeTables(const ModeLayout& l) {
  DftTables<T> t;
  t.row_dft.resize(2 * l.m2 * l.w);
  for (int64_t k2 = 0; k2 < l.m2; ++k2) {
    for (int64_t w = 0; w < l.w; ++w) {
      const auto [c, ms] = Root(k2 * w, l.w);
      t.row_dft[(2 * k2) * l.w + w] = static_cast<T>(c);
      t.row_dft[(2 * k2 + 1) * l.w + w] = static_cast<T>(ms);
    }
  }
  if (SplitColumns(l)) {
    t.col_dft = ColumnTable<T>(l.h / 2, l.h / 2, l, true);
    t.twiddle.resize(2 * l.h);
    for (int64_t k = 0; k < l.h; ++k) {
      const auto [c, ms] = Root(k, l.h);
      t.twiddle[2 * k] = static_cast<T>(c);
      t.twiddle[2 * k + 1] = static_cast<T>(ms);
    }
  } else {
    t.col_dft = ColumnTable<T>(l.h, l.rows(), l, false);
  }
  return t;
}

// Tables per layout, built on first use and kept for the life of the process.
template <class T>
const DftTables<T>& GetTables(const ModeLayout& l) {
  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>;
  static auto* cache = new std::map<Key, DftTables<T>>;
  static auto* mu = new std::mutex;
  std::lock_guard<std::mutex> lock(*mu);
  const Key key{l.h, l.w, l.lo, l.hi, l.m2};
  auto it = cache->find(key);
  if (it == cache->end()) it = cache->emplace(key, MakeTables<T>(l)).first;
  return it->second;  // std::map nodes never move
}

// Column data buffers are (m2, [re/im][n]) = (2 m2, n) row-major.
template <class T>
class DftModeTransform : public ModeTransform<T> {
 public:
  DftModeTransform(const ModeLayout& l, const DftTables<T>& t)
      : l_(l), t_(t), split_(SplitColumns(l)), a_(2 * l.m2 * l.h), b_(split_ ? 2 * l.m2 * l.h : 0) {}

  void Forward(const T* x, T* modes) override {
    if (split_) return ForwardSplit(x, modes);
    // a = DFT of every image row at the kept columns; modes = column DFT of it.
    const int64_t r2 = 2 * l_.rows();
    Gemm(false, true, 2 * l_.m2, l_.h, l_.w, t_.row_dft.data(), l_.w, x, l_.w, a_.data(), l_.h);
    Gemm(false, false, l_.m2, r2, 2 * l_.h, a_.data(), 2 * l_.h, t_.col_dft.data(), r2, modes, r2);
  }

  void Inverse(const T* modes, T* y) override {
    if (split_) return InverseSplit(modes, y);
    // a = inverse column DFT of the modes; y = Re of the inverse row DFT.
    const int64_t r2 = 2 * l_.rows();
    Gemm(false, true, l_.m2, 2 * l_.h, r2, modes, r2, t_.col_dft.data(), r2, a_.data(), 2 * l_.h);
    Gemm(true, false, l_.h, l_.w, 2 * l_.m2, a_.data(), l_.h, t_.row_dft.data(), l_.w, y, l_.w);
  }

 private:
  // Radix-2 in the column direction, n = H/2: with E, O the n-point DFTs of the even and odd image
  // rows, X[k] = E[k mod n] + e^{-i 2 pi k / H} O[k mod n].
  void ForwardSplit(const T* x, T* modes) {
    const int64_t n = l_.h / 2, m2 = l_.m2, w = l_.w;
    T* even = a_.data();
    T* odd = a_.data() + 2 * m2 * n;
    Gemm(false, true, 2 * m2, n, w, t_.row_dft.data(), w, x, 2 * w, even, n);
    Gemm(false, true, 2 * m2, n, w, t_.row_dft.data(), w, x + w, 2 * w, odd, n);
    T* e = b_.data();
    T* o = b_.data() + 2 * m2 * n;
    Gemm(false, false, m2, 2 * n, 2 * n, even, 2 * n, t_.col_dft.data(), 2 * n, e, 2 * n);
    Gemm(false, false, m2, 2 * n, 2 * n, odd, 2 * n, t_.col_dft.data(), 2 * n, o, 2 * n);
    for (int64_t k2 = 0; k2 < m2; ++k2) {
      const T* er = e + 2 * n * k2;
      const T* ei = er + n;
      const T* orr = o + 2 * n * k2;
      const T* oi = orr + n;
      T* zr = modes + l_.at(k2, 0, 0);
      T* zi = modes + l_.at(k2, 1, 0);
      for (int64_t k = 0; k < l_.h; ++k) {
        const int64_t j = k < n ? k : k - n;
        const T tr = t_.twiddle[2 * k], ti = t_.twiddle[2 * k + 1];
        zr[k] = er[j] + tr * orr[j] - ti * oi[j];
        zi[k] = ei[j] + tr * oi[j] + ti * orr[j];
      }
    }
  }

  // The inverse column DFT at even rows 2h is the n-point inverse DFT of Y[k] + Y[k + n], at odd
  // rows 2h + 1 that of (Y[k] - Y[k + n]) e^{+i 2 pi k / H}.
  void InverseSplit(const T* modes, T* y) {
    const int64_t n = l_.h / 2, m2 = l_.m2, w = l_.w;
    T* sum = b_.data();
    T* diff = b_.data() + 2 * m2 * n;
    for (int64_t k2 = 0; k2 < m2; ++k2) {
      const T* yr = modes + l_.at(k2, 0, 0);
      const T* yi = modes + l_.at(k2, 1, 0);
      T* sr = sum + 2 * n * k2;
      T* si = sr + n;
      T* dr = diff + 2 * n * k2;
      T* di = dr + n;
      for (int64_t k = 0; k < n; ++k) {
        const T tr = t_.twiddle[2 * k], ti = -t_.twiddle[2 * k + 1];  // e^{+i 2 pi k / H}
        sr[k] = yr[k] + yr[k + n];
        si[k] = yi[k] + yi[k + n];
        const T ar = yr[k] - yr[k + n], ai = yi[k] - yi[k + n];
        dr[k] = ar * tr - ai * ti;
        di[k] = ar * ti + ai * tr;
      }
    }
    T* even = a_.data();
    T* odd = a_.data() + 2 * m2 * n;
    Gemm(false, true, m2, 2 * n, 2 * n, sum, 2 * n, t_.col_dft.data(), 2 * n, even, 2 * n);
    Gemm(false, true, m2, 2 * n, 2 * n, diff, 2 * n, t_.col_dft.data(), 2 * n, odd, 2 * n);
    Gemm(true, false, n, w, 2 * m2, even, n, t_.row_dft.data(), w, y, 2 * w);
    Gemm(true, false, n, w, 2 * m2, odd, n, t_.row_dft.data(), w, y + w, 2 * w);
  }

  ModeLayout l_;
  const DftTables<T>& t_;
  bool split_;
  std::vector<T> a_, b_;
};

// ---------------------------------------------------------------- cost model

// Sum of the prime factors of n, with multiplicity: FFTW spends ~n * SumOfPrimeFactors(n) per
// length-n complex transform (a radix-p pass costs ~p per point; large primes go to generic code).
int64_t SumOfPrimeFactors(int64_t n) {
  int64_t s = 0;
  for (int64_t p = 2; p * p <= n; ++p) {
    while (n % p == 0) {
      s += p;
      n /= p;
    }
  }
  return n > 1 ? s + n : s;
}

}  // namespace

// Calibrated on this machine (one core, float32, FFTW 3.3.10, oneDNN 2.6): the DFT's GEMMs run at
// ~45 GMAC/s (0.022 ns per multiply-add); FFTW costs 0.07-0.34 ns (0.18 typical) per unit of
// rows * (W/2) * SumOfPrimeFactors(W) + columns * H * SumOfPrimeFactors(H). Measured per image:
// 94x94 with 12x24 modes, FFT 45 us vs DFT 7.5 us; 137x137, 390 vs 15 us; 256x256 with 32x64
// modes, FFT 61 vs DFT 115 us; full 94x94 transforms, FFT 87 vs DFT ~57 us.
FftAlgorithm ChooseModeTransform(FftAlgorithm requested, const ModeLayout& l) {
  if (requested != FftAlgorithm::kAuto) return requested;
  const double dft_macs = 2.0 * l.m2 * l.h * l.w +
                          (SplitColumns(l) ? 2.0 : 4.0) * l.m2 * l.rows() * l.h;
  const double fft_units = static_cast<double>(l.h) * (l.w / 2.0) * SumOfPrimeFactors(l.w) +
                           static_cast<double>(l.m2) * l.h * SumOfPrimeFactors(l.h);
  return dft_macs * 0.022 < fft_units * 0.18 ? FftAlgorithm::kDft : FftAlgorithm::kFft;
}

SingleThreadedBlas::SingleThreadedBlas() : previous_(openblas_get_num_threads()) {
  if (previous_ != 1) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous_ != 1) openblas_set_num_threads(previous_);
}

int64_t ImageGrain(int64_t pixels) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 4 * pixels));
}

template <class T>
struct ModeTransformFactory<T>::Shared {
  const DftTables<T>* tables = nullptr;
  const fftw::ImagePlans<T>* plans = nullptr;
};

template <class T>
ModeTransformFactory<T>::ModeTransformFactory(const ModeLayout& l, FftAlgorithm requested)
    : l_(l), shared_(new Shared) {
  NB_CHECK(l.h > 0 && l.w > 0 && l.m2 > 0 && l.m2 <= l.w / 2 + 1 && l.lo >= 0 && l.hi >= 0 &&
               l.rows() > 0 && l.rows() <= l.h,
           "fft: bad mode layout ", l.h, "x", l.w, " rows ", l.lo, "+", l.hi, " columns ", l.m2);
  if (ChooseModeTransform(requested, l) == FftAlgorithm::kDft) {
    shared_->tables = &GetTables<T>(l);
  } else {
    shared_->plans = &fftw::GetPlans<T>(l.h, l.w, l.m2);
  }
}

template <class T>
ModeTransformFactory<T>::~ModeTransformFactory() = default;

template <class T>
std::unique_ptr<ModeTransform<T>> ModeTransformFactory<T>::Make() const {
  if (shared_->tables != nullptr) return std::make_unique<DftModeTransform<T>>(l_, *shared_->tables);
  return std::make_unique<FftModeTransform<T>>(l_, *shared_->plans);
}

template class ModeTransformFactory<float>;
template class ModeTransformFactory<double>;

}  // namespace cpu
}  // namespace nb360
