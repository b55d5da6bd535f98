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

// cos/sin tables of the truncated DFT for one layout:
//   row_dft (2 m2, W): [2 k2] = cos(2 pi k2 w / W), [2 k2 + 1] = -sin(...). Applied to image rows it
//     gives their DFT at the kept columns; applied (transposed) to [re; im] column data it gives the
//     real part of the inverse row DFT, sum_k2 Re(z e^{+i ...}).
//   col_dft (2 H, 2 R): the real 2x2-block form of e^{-i 2 pi row(r) h / H}, mapping [re/im][h] to
//     [re/im][r]; its transpose is the form of e^{+i ...}, mapping [re/im][r] back to [re/im][h].
template <class T>
struct DftTables {
  std::vector<T> row_dft, col_dft;
};

template <class T>
DftTables<T> MakeTables(const ModeLayout& l) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  DftTables<T> t;
  t.row_dft.resize(2 * l.m2 * l.w);
  for (int64_t k2 = 0; k2 < l.m2; ++k2) {
    for (int64_t w = 0; w < l.w; ++w) {
      const double th = kTwoPi * static_cast<double>((k2 * w) % l.w) / static_cast<double>(l.w);
      t.row_dft[(2 * k2) * l.w + w] = static_cast<T>(std::cos(th));
      t.row_dft[(2 * k2 + 1) * l.w + w] = static_cast<T>(-std::sin(th));
    }
  }
  const int64_t rr = l.rows();
  t.col_dft.resize(2 * l.h * 2 * rr);
  for (int64_t h = 0; h < l.h; ++h) {
    for (int64_t r = 0; r < rr; ++r) {
      const double ph = kTwoPi * static_cast<double>((l.row(r) * h) % l.h) / static_cast<double>(l.h);
      const T c = static_cast<T>(std::cos(ph)), s = static_cast<T>(std::sin(ph));
      t.col_dft[h * 2 * rr + r] = c;               // re in -> re out
      t.col_dft[(l.h + h) * 2 * rr + r] = s;       // im in -> re out
      t.col_dft[h * 2 * rr + rr + r] = -s;         // re in -> im out
      t.col_dft[(l.h + h) * 2 * rr + rr + r] = c;  // im in -> im out
    }
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

template <class T>
class DftModeTransform : public ModeTransform<T> {
 public:
  DftModeTransform(const ModeLayout& l, const DftTables<T>& t) : l_(l), t_(t), partial_(2 * l.m2 * l.h) {}

  // partial (m2, [re/im][h]) = DFT of every image row at the kept columns; modes = column DFT of it.
  void Forward(const T* x, T* modes) override {
    const int64_t r2 = 2 * l_.rows();
    Gemm(false, true, 2 * l_.m2, l_.h, l_.w, t_.row_dft.data(), l_.w, x, l_.w, partial_.data(), l_.h);
    Gemm(false, false, l_.m2, r2, 2 * l_.h, partial_.data(), 2 * l_.h, t_.col_dft.data(), r2, modes, r2);
  }

  // partial (m2, [re/im][h]) = inverse column DFT of the modes; y = Re of the inverse row DFT.
  void Inverse(const T* modes, T* y) override {
    const int64_t r2 = 2 * l_.rows();
    Gemm(false, true, l_.m2, 2 * l_.h, r2, modes, r2, t_.col_dft.data(), r2, partial_.data(), 2 * l_.h);
    Gemm(true, false, l_.h, l_.w, 2 * l_.m2, partial_.data(), l_.h, t_.row_dft.data(), l_.w, y, l_.w);
  }

 private:
  ModeLayout l_;
  const DftTables<T>& t_;
  std::vector<T> partial_;
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
  const double dft_macs = 2.0 * l.m2 * l.h * l.w + 4.0 * l.m2 * l.rows() * l.h;
  const double fft_units = static_cast<double>(l.h) * (l.w / 2.0) * SumOfPrimeFactors(l.w) +
                           static_cast<double>(l.m2) * l.h * SumOfPrimeFactors(l.h);
  return dft_macs * 0.022 < fft_units * 0.18 ? FftAlgorithm::kDft : FftAlgorithm::kFft;
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
