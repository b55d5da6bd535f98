// ops/cpu/fft.cc: Rfft2 / Irfft2 / SpectralConv2d kernels on FFTW (fftw3f for float32, fftw3 for
// float64).
//
// A 2-D real transform of one (H, W) image is done in two explicit steps: a batched 1-D r2c over the
// H rows, then a batched 1-D c2c over the first `ncols` columns (stride W/2+1); the inverse runs the
// same steps backwards, zeroing the imaginary parts of the k2 = 0 and Nyquist columns before the
// row c2r, which defines the C2R semantics exactly (see ops/fft.h). Transforming only the columns
// that are needed prunes the work of the spectral convolution to its modes2 columns.
// FFTW plans are created once per shape (planner calls are serialised by a mutex; FFTW's own threads
// are off) and run with the new-array execute functions on per-thread aligned buffers, in parallel
// over images with ParallelFor. Left out: CUDA, multi-threaded plans, wisdom files.
#include <fftw3.h>

#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "engine/parallel.h"
#include "ops/fft.h"

namespace nb360 {
namespace cpu {
namespace {

// FFTW_MEASURE plans the 94-point transforms of the FNO ~25% faster than FFTW_ESTIMATE; planning
// takes well under a second per shape and happens once.
constexpr unsigned kPlanFlags = FFTW_MEASURE;

// ---------------------------------------------------------------- FFTW precision traits

template <class T>
struct Fftw;

template <>
struct Fftw<float> {
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
struct Fftw<double> {
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

// ---------------------------------------------------------------- plans and buffers

// An FFTW-aligned array of n elements of T.
template <class T>
class AlignedBuffer {
 public:
  explicit AlignedBuffer(int64_t n) : p_(static_cast<T*>(Fftw<T>::Malloc(sizeof(T) * std::max<int64_t>(n, 1)))) {
    NB_CHECK(p_ != nullptr, "fft: out of memory allocating ", n, " elements");
  }
  ~AlignedBuffer() { Fftw<T>::Free(p_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  T* get() const { return p_; }

 private:
  T* p_;
};

// The four plans that transform one (h, w) image whose spectrum is (h, w/2+1), the column steps
// acting on the first ncols columns.
template <class T>
struct ImagePlans {
  using Plan = typename Fftw<T>::Plan;
  int64_t h = 0, w = 0, wc = 0, ncols = 0;
  Plan rows_r2c = nullptr, rows_c2r = nullptr, cols_forward = nullptr, cols_backward = nullptr;
};

std::mutex& PlannerMutex() {
  static std::mutex* m = new std::mutex;
  return *m;
}

template <class T>
ImagePlans<T> CreatePlans(int64_t h, int64_t w, int64_t ncols) {
  using F = Fftw<T>;
  ImagePlans<T> p;
  p.h = h;
  p.w = w;
  p.wc = w / 2 + 1;
  p.ncols = ncols;
  AlignedBuffer<T> real(h * w);
  AlignedBuffer<T> spec(2 * h * p.wc);
  auto* c = reinterpret_cast<typename F::Complex*>(spec.get());
  const int ih = static_cast<int>(h), iw = static_cast<int>(w), iwc = static_cast<int>(p.wc);
  p.rows_r2c = F::R2C(iw, ih, real.get(), c, kPlanFlags | FFTW_PRESERVE_INPUT);
  p.rows_c2r = F::C2R(iw, ih, c, real.get(), kPlanFlags | FFTW_DESTROY_INPUT);
  p.cols_forward = F::Cols(ih, static_cast<int>(ncols), iwc, c, FFTW_FORWARD, kPlanFlags);
  p.cols_backward = F::Cols(ih, static_cast<int>(ncols), iwc, c, FFTW_BACKWARD, kPlanFlags);
  NB_CHECK(p.rows_r2c && p.rows_c2r && p.cols_forward && p.cols_backward,
           "fft: FFTW could not plan an image of ", h, "x", w, " (", ncols, " columns)");
  return p;
}

// Plans for (h, w, ncols), created on first use and kept for the life of the process.
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

// c(k2): how often column k2 of a half spectrum counts in a length-w real signal.
inline int ColumnMultiplicity(int64_t k2, int64_t w) {
  return (k2 == 0 || (w % 2 == 0 && k2 == w / 2)) ? 1 : 2;
}

// ws.spec = rfft2(x) on the first p.ncols columns (the others hold row-transform values only).
template <class T>
void ForwardImage(const ImagePlans<T>& p, Workspace<T>& ws, const T* x) {
  using F = Fftw<T>;
  const T* in = x;
  if (F::AlignmentOf(x) != 0) {
    std::memcpy(ws.real.get(), x, sizeof(T) * p.h * p.w);
    in = ws.real.get();
  }
  auto* c = reinterpret_cast<typename F::Complex*>(ws.spec.get());
  F::ExecR2C(p.rows_r2c, const_cast<T*>(in), c);
  if (p.h > 1) F::ExecC2C(p.cols_forward, c);
}

// out (h, w) = sum_k c(k2) Re(spec[k] e^{+i theta}) (unscaled); columns >= p.ncols of ws.spec must be
// zero. Destroys ws.spec.
template <class T>
void InverseImage(const ImagePlans<T>& p, Workspace<T>& ws, T* out) {
  using F = Fftw<T>;
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

// Runs fn(ws, image) for image in [0, count), in parallel, one workspace per chunk.
template <class T, class Fn>
void ForEachImage(const ImagePlans<T>& p, int64_t count, const Fn& fn) {
  ParallelFor(0, count, 1, [&](int64_t lo, int64_t hi) {
    Workspace<T> ws(p);
    for (int64_t b = lo; b < hi; ++b) fn(ws, b);
  });
}

// ---------------------------------------------------------------- rfft2 / irfft2

template <class T>
void Rfft2ForwardT(const Tensor& x, const Tensor& X) {
  const int64_t batch = x.size(0), h = x.size(1), w = x.size(2), wc = w / 2 + 1;
  const ImagePlans<T>& p = GetPlans<T>(h, w, wc);
  const T* xp = x.data<T>();
  T* out = X.data<T>();
  ForEachImage<T>(p, batch, [&](Workspace<T>& ws, int64_t b) {
    ForwardImage(p, ws, xp + b * h * w);
    std::memcpy(out + b * h * wc * 2, ws.spec.get(), sizeof(T) * h * wc * 2);
  });
}

// gx = sum_k Re(gX[k] e^{+i theta}) = the unscaled inverse of gX / c(k2).
template <class T>
void Rfft2BackwardT(const Tensor& gX, const Tensor& gx) {
  const int64_t batch = gx.size(0), h = gx.size(1), w = gx.size(2), wc = w / 2 + 1;
  const ImagePlans<T>& p = GetPlans<T>(h, w, wc);
  const T* g = gX.data<T>();
  T* out = gx.data<T>();
  ForEachImage<T>(p, batch, [&](Workspace<T>& ws, int64_t b) {
    const T* gb = g + b * h * wc * 2;
    T* s = ws.spec.get();
    for (int64_t k1 = 0; k1 < h; ++k1) {
      for (int64_t k2 = 0; k2 < wc; ++k2) {
        const T f = T(1) / ColumnMultiplicity(k2, w);
        const int64_t i = 2 * (k1 * wc + k2);
        s[i] = gb[i] * f;
        s[i + 1] = gb[i + 1] * f;
      }
    }
    InverseImage(p, ws, out + b * h * w);
  });
}

template <class T>
void Irfft2ForwardT(const Tensor& X, const Tensor& x) {
  const int64_t batch = x.size(0), h = x.size(1), w = x.size(2), wc = w / 2 + 1;
  const int64_t hin = X.size(1), win = X.size(2);
  const int64_t rows = std::min(hin, h), cols = std::min(win, wc);
  const ImagePlans<T>& p = GetPlans<T>(h, w, cols);
  const T scale = T(1) / static_cast<T>(h * w);
  const T* in = X.data<T>();
  T* out = x.data<T>();
  ForEachImage<T>(p, batch, [&](Workspace<T>& ws, int64_t b) {
    T* s = ws.spec.get();
    std::memset(s, 0, sizeof(T) * 2 * h * wc);
    const T* xb = in + b * hin * win * 2;
    for (int64_t k1 = 0; k1 < rows; ++k1) {
      for (int64_t k2 = 0; k2 < cols; ++k2) {
        s[2 * (k1 * wc + k2)] = xb[2 * (k1 * win + k2)] * scale;
        s[2 * (k1 * wc + k2) + 1] = xb[2 * (k1 * win + k2) + 1] * scale;
      }
    }
    InverseImage(p, ws, out + b * h * w);
  });
}

// gX[k] = c(k2) / (h w) * rfft2(gx)[k] inside the (h, w/2+1) window, 0 outside it.
template <class T>
void Irfft2BackwardT(const Tensor& gx, const Tensor& gX) {
  const int64_t batch = gx.size(0), h = gx.size(1), w = gx.size(2), wc = w / 2 + 1;
  const int64_t hin = gX.size(1), win = gX.size(2);
  const int64_t rows = std::min(hin, h), cols = std::min(win, wc);
  const ImagePlans<T>& p = GetPlans<T>(h, w, cols);
  const T scale = T(1) / static_cast<T>(h * w);
  const T* g = gx.data<T>();
  T* out = gX.data<T>();
  ForEachImage<T>(p, batch, [&](Workspace<T>& ws, int64_t b) {
    ForwardImage(p, ws, g + b * h * w);
    const T* s = ws.spec.get();
    T* ob = out + b * hin * win * 2;
    std::memset(ob, 0, sizeof(T) * hin * win * 2);
    for (int64_t k1 = 0; k1 < rows; ++k1) {
      for (int64_t k2 = 0; k2 < cols; ++k2) {
        const T f = scale * ColumnMultiplicity(k2, w);
        ob[2 * (k1 * win + k2)] = s[2 * (k1 * wc + k2)] * f;
        ob[2 * (k1 * win + k2) + 1] = s[2 * (k1 * wc + k2) + 1] * f;
      }
    }
  });
}

void Rfft2Forward(const Tensor& x, const Tensor& X) {
  DispatchFloating(x.dtype(), "rfft2", [&](auto tag) { Rfft2ForwardT<decltype(tag)>(x, X); });
}
void Rfft2Backward(const Tensor& gX, const Tensor& gx) {
  DispatchFloating(gX.dtype(), "rfft2 backward", [&](auto tag) { Rfft2BackwardT<decltype(tag)>(gX, gx); });
}
void Irfft2Forward(const Tensor& X, const Tensor& x) {
  DispatchFloating(X.dtype(), "irfft2", [&](auto tag) { Irfft2ForwardT<decltype(tag)>(X, x); });
}
void Irfft2Backward(const Tensor& gx, const Tensor& gX) {
  DispatchFloating(gx.dtype(), "irfft2 backward", [&](auto tag) { Irfft2BackwardT<decltype(tag)>(gx, gX); });
}

// ---------------------------------------------------------------- spectral convolution

// Mode m = r * m2 + k2 of the kept block, r in [0, 2 m1): spectrum row r (r < m1) or H - 2 m1 + r.
struct ModeLayout {
  int64_t h, w, wc, m1, m2;
  int64_t count() const { return 2 * m1 * m2; }
  int64_t row(int64_t r) const { return r < m1 ? r : h - 2 * m1 + r; }
};

// spec (h, wc, 2) -> planar modes: dst[m * mode_stride + part * part_stride + offset] = f(k2) * spec.
template <class T>
void GatherModes(const ModeLayout& l, const T* spec, T* dst, int64_t mode_stride, int64_t part_stride,
                 T scale, bool with_multiplicity) {
  for (int64_t r = 0; r < 2 * l.m1; ++r) {
    const T* row = spec + 2 * l.row(r) * l.wc;
    for (int64_t k2 = 0; k2 < l.m2; ++k2) {
      const T f = with_multiplicity ? scale * ColumnMultiplicity(k2, l.w) : scale;
      T* d = dst + (r * l.m2 + k2) * mode_stride;
      d[0] = row[2 * k2] * f;
      d[part_stride] = row[2 * k2 + 1] * f;
    }
  }
}

// Zeroes spec (h, wc, 2) and writes the planar modes into it, divided by c(k2) if asked.
template <class T>
void ScatterModes(const ModeLayout& l, const T* src, int64_t mode_stride, int64_t part_stride,
                  bool divide_multiplicity, T* spec) {
  std::memset(spec, 0, sizeof(T) * 2 * l.h * l.wc);
  for (int64_t r = 0; r < 2 * l.m1; ++r) {
    T* row = spec + 2 * l.row(r) * l.wc;
    for (int64_t k2 = 0; k2 < l.m2; ++k2) {
      const T f = divide_multiplicity ? T(1) / ColumnMultiplicity(k2, l.w) : T(1);
      const T* s = src + (r * l.m2 + k2) * mode_stride;
      row[2 * k2] = s[0] * f;
      row[2 * k2 + 1] = s[part_stride] * f;
    }
  }
}

// Weights (Ci, Co, m1, m2, 2) x2 -> planar per mode: out[m][part][a][b] with (a, b) = (i, o), or
// (o, i) when transposed.
template <class T>
std::vector<T> PlanarWeights(const ModeLayout& l, const T* w1, const T* w2, int64_t ci, int64_t co,
                             bool transposed) {
  std::vector<T> out(l.count() * 2 * ci * co);
  const int64_t per_io = l.m1 * l.m2 * 2;
  for (int64_t i = 0; i < ci; ++i) {
    for (int64_t o = 0; o < co; ++o) {
      for (int64_t r = 0; r < 2 * l.m1; ++r) {
        const T* src = (r < l.m1 ? w1 : w2) + (i * co + o) * per_io + (r % l.m1) * l.m2 * 2;
        for (int64_t k2 = 0; k2 < l.m2; ++k2) {
          const int64_t m = r * l.m2 + k2;
          const int64_t ab = transposed ? o * ci + i : i * co + o;
          out[(m * 2) * ci * co + ab] = src[2 * k2];
          out[(m * 2 + 1) * ci * co + ab] = src[2 * k2 + 1];
        }
      }
    }
  }
  return out;
}

// Per mode: out[n][b] = sum_a in[n][a] * mat[a][b] (complex; mat conjugated if asked). Planar
// layouts: in [M][2][N][A], mat [M][2][A][B], out [M][2][N][B].
template <class T>
void MixModes(int64_t modes, int64_t n, int64_t a_dim, int64_t b_dim, const T* in, const T* mat,
              bool conjugate_mat, T* out) {
  ParallelFor(0, modes, 1, [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const T* xr = in + m * 2 * n * a_dim;
      const T* xi = xr + n * a_dim;
      const T* wr = mat + m * 2 * a_dim * b_dim;
      const T* wi = wr + a_dim * b_dim;
      T* yr = out + m * 2 * n * b_dim;
      T* yi = yr + n * b_dim;
      const T sign = conjugate_mat ? T(-1) : T(1);
      for (int64_t bn = 0; bn < n; ++bn) {
        T* yrn = yr + bn * b_dim;
        T* yin = yi + bn * b_dim;
        for (int64_t j = 0; j < b_dim; ++j) yrn[j] = yin[j] = 0;
        for (int64_t a = 0; a < a_dim; ++a) {
          const T ar = xr[bn * a_dim + a], ai = xi[bn * a_dim + a];
          const T* wra = wr + a * b_dim;
          const T* wia = wi + a * b_dim;
          for (int64_t j = 0; j < b_dim; ++j) {
            const T vi = sign * wia[j];
            yrn[j] += ar * wra[j] - ai * vi;
            yin[j] += ar * vi + ai * wra[j];
          }
        }
      }
    }
  });
}

// Per mode: gw[i][o] = sum_n conj(x[n][i]) * gy[n][o]; x [M][2][N][Ci], gy [M][2][N][Co]; written
// into gw1 / gw2 (Ci, Co, m1, m2, 2) (either may be null).
template <class T>
void WeightGrads(const ModeLayout& l, int64_t n, int64_t ci, int64_t co, const T* x, const T* gy,
                 T* gw1, T* gw2) {
  ParallelFor(0, l.count(), 1, [&](int64_t m0, int64_t m1) {
    std::vector<T> acc(2 * ci * co);
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t r = m / l.m2, k2 = m % l.m2;
      T* dst = r < l.m1 ? gw1 : gw2;
      if (dst == nullptr) continue;
      std::fill(acc.begin(), acc.end(), T(0));
      const T* xr = x + m * 2 * n * ci;
      const T* xi = xr + n * ci;
      const T* gr = gy + m * 2 * n * co;
      const T* gi = gr + n * co;
      for (int64_t bn = 0; bn < n; ++bn) {
        for (int64_t i = 0; i < ci; ++i) {
          const T ar = xr[bn * ci + i], ai = xi[bn * ci + i];
          T* accr = acc.data() + i * co;
          T* acci = accr + ci * co;
          for (int64_t o = 0; o < co; ++o) {
            accr[o] += ar * gr[bn * co + o] + ai * gi[bn * co + o];
            acci[o] += ar * gi[bn * co + o] - ai * gr[bn * co + o];
          }
        }
      }
      const int64_t base = ((r % l.m1) * l.m2 + k2) * 2;
      for (int64_t i = 0; i < ci; ++i) {
        for (int64_t o = 0; o < co; ++o) {
          T* d = dst + (i * co + o) * l.m1 * l.m2 * 2 + base;
          d[0] = acc[i * co + o];
          d[1] = acc[ci * co + i * co + o];
        }
      }
    }
  });
}

template <class T>
void SpectralForwardT(const SpectralConvParams& prm, const Tensor& x, const Tensor& w1,
                      const Tensor& w2, const Tensor& y, const Tensor& x_modes) {
  const int64_t n = x.size(0), ci = x.size(1), h = x.size(2), w = x.size(3), co = w1.size(1);
  const ModeLayout l{h, w, w / 2 + 1, prm.modes1, prm.modes2};
  const ImagePlans<T>& p = GetPlans<T>(h, w, l.m2);
  const int64_t nm = l.count();
  const T* xp = x.data<T>();
  T* xm = x_modes.data<T>();
  ForEachImage<T>(p, n * ci, [&](Workspace<T>& ws, int64_t img) {
    ForwardImage(p, ws, xp + img * h * w);
    GatherModes<T>(l, ws.spec.get(), xm + img, 2 * n * ci, n * ci, T(1), false);
  });
  const std::vector<T> wt = PlanarWeights<T>(l, w1.data<T>(), w2.data<T>(), ci, co, false);
  std::vector<T> ym(nm * 2 * n * co);
  MixModes<T>(nm, n, ci, co, xm, wt.data(), false, ym.data());
  const T scale = T(1) / static_cast<T>(h * w);
  for (T& v : ym) v *= scale;
  T* yp = y.data<T>();
  ForEachImage<T>(p, n * co, [&](Workspace<T>& ws, int64_t img) {
    ScatterModes<T>(l, ym.data() + img, 2 * n * co, n * co, false, ws.spec.get());
    InverseImage(p, ws, yp + img * h * w);
  });
}

template <class T>
void SpectralBackwardT(const SpectralConvParams& prm, const Tensor& x_modes, const Tensor& w1,
                       const Tensor& w2, const Tensor& gy, const Tensor& gx, const Tensor& gw1,
                       const Tensor& gw2) {
  const int64_t n = gy.size(0), co = gy.size(1), h = gy.size(2), w = gy.size(3), ci = w1.size(0);
  const ModeLayout l{h, w, w / 2 + 1, prm.modes1, prm.modes2};
  const ImagePlans<T>& p = GetPlans<T>(h, w, l.m2);
  const int64_t nm = l.count();
  // gY = c(k2) / (h w) rfft2(gy) on the modes: the adjoint of the inverse transform.
  std::vector<T> gym(nm * 2 * n * co);
  const T* gp = gy.data<T>();
  const T scale = T(1) / static_cast<T>(h * w);
  ForEachImage<T>(p, n * co, [&](Workspace<T>& ws, int64_t img) {
    ForwardImage(p, ws, gp + img * h * w);
    GatherModes<T>(l, ws.spec.get(), gym.data() + img, 2 * n * co, n * co, scale, true);
  });
  if (gw1.defined() || gw2.defined()) {
    WeightGrads<T>(l, n, ci, co, x_modes.data<T>(), gym.data(), gw1.defined() ? gw1.data<T>() : nullptr,
                   gw2.defined() ? gw2.data<T>() : nullptr);
  }
  if (!gx.defined()) return;
  // gX = gY conj(W) per mode, then the adjoint of the forward transform on the modes.
  const std::vector<T> wtt = PlanarWeights<T>(l, w1.data<T>(), w2.data<T>(), ci, co, true);
  std::vector<T> gxm(nm * 2 * n * ci);
  MixModes<T>(nm, n, co, ci, gym.data(), wtt.data(), true, gxm.data());
  T* gxp = gx.data<T>();
  ForEachImage<T>(p, n * ci, [&](Workspace<T>& ws, int64_t img) {
    ScatterModes<T>(l, gxm.data() + img, 2 * n * ci, n * ci, true, ws.spec.get());
    InverseImage(p, ws, gxp + img * h * w);
  });
}

void SpectralForward(const SpectralConvParams& p, const Tensor& x, const Tensor& w1, const Tensor& w2,
                     const Tensor& y, const Tensor& x_modes) {
  DispatchFloating(x.dtype(), "spectral_conv2d",
                   [&](auto tag) { SpectralForwardT<decltype(tag)>(p, x, w1, w2, y, x_modes); });
}

void SpectralBackward(const SpectralConvParams& p, const Tensor& x_modes, const Tensor& w1,
                      const Tensor& w2, const Tensor& gy, const Tensor& gx, const Tensor& gw1,
                      const Tensor& gw2) {
  DispatchFloating(gy.dtype(), "spectral_conv2d backward", [&](auto tag) {
    SpectralBackwardT<decltype(tag)>(p, x_modes, w1, w2, gy, gx, gw1, gw2);
  });
}

}  // namespace

const Fft2Kernels kFft2 = {Rfft2Forward, Rfft2Backward, Irfft2Forward, Irfft2Backward};
const SpectralConv2dKernels kSpectralConv2d = {SpectralForward, SpectralBackward};

}  // namespace cpu
}  // namespace nb360
