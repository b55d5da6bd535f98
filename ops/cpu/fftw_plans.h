// ops/cpu/fftw_plans.h: FFTW plumbing shared by the fft kernels: precision traits, aligned buffers,
// cached per-shape plans and the two-step transform of one (H, W) real image.
//
// An image's 2-D transform is done in two explicit steps: a batched 1-D r2c over its H rows, then a
// batched 1-D c2c over the first `ncols` columns of the (H, W/2+1) spectrum; the inverse runs the
// steps backwards and zeroes the imaginary parts of the k2 = 0 and Nyquist columns before the row
// c2r, which pins the C2R semantics down exactly. Plans use FFTW_ESTIMATE: FFTW_MEASURE measured no
// faster on these shapes (94, 137, 64, 128, 256 points) and would make results depend on timing.
// Plans are created once per shape under a mutex (FFTW's planner is not thread-safe) and executed
// with the new-array functions, which are, on FFTW-aligned per-thread buffers. FFTW threads are off.
#ifndef NB360_OPS_CPU_FFTW_PLANS_H_
#define NB360_OPS_CPU_FFTW_PLANS_H_

#include <fftw3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "engine/check.h"

namespace nb360 {
namespace cpu {
namespace fftw {

template <class T>
struct Traits;

template <>
struct Traits<float> {
  using Complex = fftwf_complex;
  using Plan = fftwf_plan;
  static void* Malloc(size_t bytes) { return fftwf_malloc(bytes); }
  static void Free(void* p) { fftwf_free(p); }
  static int AlignmentOf(const float* p) { return fftwf_alignment_of(const_cast<float*>(p)); }
  static Plan R2C(int n, int howmany, float* in, Complex* out, unsigned flags) {
    return fftwf_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, n, out, nullptr, 1, n / 2 + 1, flags);
  }
  static Plan C2R(int n, int howmany, Complex* in, float* out, unsigned flags) {
    return fftwf_plan_many_dft_c2r(1, &n, howmany, in, nullptr, 1, n / 2 + 1, out, nullptr, 1, n, flags);
  }
  static Plan Cols(int n, int howmany, int stride, Complex* data, int sign, unsigned flags) {
    return fftwf_plan_many_dft(1, &n, howmany, data, nullptr, stride, 1, data, nullptr, stride, 1, sign,
                               flags);
  }
  static void ExecR2C(Plan p, float* in, Complex* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void ExecC2R(Plan p, Complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
  static void ExecC2C(Plan p, Complex* data) { fftwf_execute_dft(p, data, data); }
};

template <>
struct Traits<double> {
  using Complex = fftw_complex;
  using Plan = fftw_plan;
  static void* Malloc(size_t bytes) { return fftw_malloc(bytes); }
  static void Free(void* p) { fftw_free(p); }
  static int AlignmentOf(const double* p) { return fftw_alignment_of(const_cast<double*>(p)); }
  static Plan R2C(int n, int howmany, double* in, Complex* out, unsigned flags) {
    return fftw_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, n, out, nullptr, 1, n / 2 + 1, flags);
  }
  static Plan C2R(int n, int howmany, Complex* in, double* out, unsigned flags) {
    return fftw_plan_many_dft_c2r(1, &n, howmany, in, nullptr, 1, n / 2 + 1, out, nullptr, 1, n, flags);
  }
  static Plan Cols(int n, int howmany, int stride, Complex* data, int sign, unsigned flags) {
    return fftw_plan_many_dft(1, &n, howmany, data, nullptr, stride, 1, data, nullptr, stride, 1, sign,
                              flags);
  }
  static void ExecR2C(Plan p, double* in, Complex* out) { fftw_execute_dft_r2c(p, in, out); }
  static void ExecC2R(Plan p, Complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
  static void ExecC2C(Plan p, Complex* data) { fftw_execute_dft(p, data, data); }
};

// An FFTW-aligned (SIMD-aligned) array of n elements of T.
template <class T>
class AlignedBuffer {
 public:
  explicit AlignedBuffer(int64_t n)
      : p_(static_cast<T*>(Traits<T>::Malloc(sizeof(T) * std::max<int64_t>(n, 1)))) {
    NB_CHECK(p_ != nullptr, "fft: out of memory allocating ", n, " elements");
  }
  ~AlignedBuffer() { Traits<T>::Free(p_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  T* get() const { return p_; }

 private:
  T* p_;
};

// The plans that transform one (h, w) image with an (h, w/2+1) spectrum, the column steps acting on
// the first ncols columns.
template <class T>
struct ImagePlans {
  using Plan = typename Traits<T>::Plan;
  int64_t h = 0, w = 0, wc = 0, ncols = 0;
  Plan rows_r2c = nullptr, rows_c2r = nullptr, cols_forward = nullptr, cols_backward = nullptr;
};

inline std::mutex& PlannerMutex() {
  static std::mutex* m = new std::mutex;
  return *m;
}

template <class T>
ImagePlans<T> CreatePlans(int64_t h, int64_t w, int64_t ncols) {
  using F = Traits<T>;
  ImagePlans<T> p;
  p.h = h;
  p.w = w;
  p.wc = w / 2 + 1;
  p.ncols = ncols;
  AlignedBuffer<T> real(h * w);
  AlignedBuffer<T> spec(2 * h * p.wc);
  auto* c = reinterpret_cast<typename F::Complex*>(spec.get());
  const int ih = static_cast<int>(h), iw = static_cast<int>(w), iwc = static_cast<int>(p.wc);
  p.rows_r2c = F::R2C(iw, ih, real.get(), c, FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
  p.rows_c2r = F::C2R(iw, ih, c, real.get(), FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  p.cols_forward = F::Cols(ih, static_cast<int>(ncols), iwc, c, FFTW_FORWARD, FFTW_ESTIMATE);
  p.cols_backward = F::Cols(ih, static_cast<int>(ncols), iwc, c, FFTW_BACKWARD, FFTW_ESTIMATE);
  NB_CHECK(p.rows_r2c && p.rows_c2r && p.cols_forward && p.cols_backward,
           "fft: FFTW could not plan an image of ", h, "x", w, " (", ncols, " columns)");
  return p;
}

// Plans for (h, w, ncols), created on first use and kept for the life of the process. Call it
// outside parallel regions' hot loops: it takes the planner mutex.
template <class T>
const ImagePlans<T>& GetPlans(int64_t h, int64_t w, int64_t ncols) {
  static auto* cache = new std::map<std::tuple<int64_t, int64_t, int64_t>, ImagePlans<T>>;
  std::lock_guard<std::mutex> lock(PlannerMutex());
  const auto key = std::make_tuple(h, w, ncols);
  auto it = cache->find(key);
  if (it == cache->end()) it = cache->emplace(key, CreatePlans<T>(h, w, ncols)).first;
  return it->second;  // std::map nodes never move
}

// Per-thread scratch: one spectrum (h, w/2+1, 2) and one real image (h, w).
template <class T>
struct Workspace {
  explicit Workspace(const ImagePlans<T>& p) : spec(2 * p.h * p.wc), real(p.h * p.w) {}
  AlignedBuffer<T> spec;
  AlignedBuffer<T> real;
};

// ws.spec = rfft2(x) on the first p.ncols columns (the others hold row-transform values only).
template <class T>
void ForwardImage(const ImagePlans<T>& p, Workspace<T>& ws, const T* x) {
  using F = Traits<T>;
  const T* in = x;
  if (F::AlignmentOf(x) != 0) {
    std::memcpy(ws.real.get(), x, sizeof(T) * p.h * p.w);
    in = ws.real.get();
  }
  auto* c = reinterpret_cast<typename F::Complex*>(ws.spec.get());
  F::ExecR2C(p.rows_r2c, const_cast<T*>(in), c);
  if (p.h > 1) F::ExecC2C(p.cols_forward, c);
}

// out (h, w) = sum_k c(k2) Re(spec[k] e^{+i theta}) (unscaled; c(k2) = 1 on the k2 = 0 and Nyquist
// columns, 2 elsewhere); columns >= p.ncols of ws.spec must be zero. Destroys ws.spec.
template <class T>
void InverseImage(const ImagePlans<T>& p, Workspace<T>& ws, T* out) {
  using F = Traits<T>;
  auto* c = reinterpret_cast<typename F::Complex*>(ws.spec.get());
  if (p.h > 1) F::ExecC2C(p.cols_backward, c);
  T* s = ws.spec.get();
  for (int64_t k1 = 0; k1 < p.h; ++k1) {
    s[2 * k1 * p.wc + 1] = 0;
    if (p.w % 2 == 0) s[2 * (k1 * p.wc + p.w / 2) + 1] = 0;
  }
  if (F::AlignmentOf(out) == 0) {
    F::ExecC2R(p.rows_c2r, c, out);
  } else {
    F::ExecC2R(p.rows_c2r, c, ws.real.get());
    std::memcpy(out, ws.real.get(), sizeof(T) * p.h * p.w);
  }
}

}  // namespace fftw
}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_FFTW_PLANS_H_
