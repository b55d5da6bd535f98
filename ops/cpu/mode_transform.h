// ops/cpu/mode_transform.h: per-image transforms between an (H, W) real image and a block of its
// rfft2 modes, by FFTW or by a truncated DFT, shared by the Rfft2 / Irfft2 / SpectralConv2d kernels.
//
// A ModeLayout names the kept modes: spectrum rows [0, lo) and [H - hi, H), columns [0, m2) with
// m2 <= W/2+1 (the full half spectrum is lo = H, hi = 0, m2 = W/2+1). A per-image mode buffer holds
// them as [k2][re/im][r], r indexing the kept rows in order.
//   kFft: FFTW r2c over all H rows, then c2c over the m2 kept columns (ops/cpu/fftw_plans.h);
//   kDft: two matrix products each way against cached cos/sin tables (oneDNN sgemm for float32,
//         OpenBLAS dgemm for float64): O(H W m2 + H R m2) work, no dependence on W's factors.
// ChooseModeTransform() picks by a fixed cost model (deterministic). Left out: anything but real 2-D.
#ifndef NB360_OPS_CPU_MODE_TRANSFORM_H_
#define NB360_OPS_CPU_MODE_TRANSFORM_H_

#include <cstdint>
#include <memory>

#include "ops/fft.h"

namespace nb360 {
namespace cpu {

struct ModeLayout {
  int64_t h = 0, w = 0;    // image size
  int64_t lo = 0, hi = 0;  // kept rows [0, lo) and [h - hi, h); lo + hi <= h
  int64_t m2 = 0;          // kept columns [0, m2)

  int64_t rows() const { return lo + hi; }
  int64_t count() const { return rows() * m2; }
  // Spectrum row of kept row r.
  int64_t row(int64_t r) const { return r < lo ? r : h - hi + (r - lo); }
  int64_t buffer_size() const { return 2 * count(); }
  // Index of (column k2, part 0 = re / 1 = im, kept row r) in a mode buffer.
  int64_t at(int64_t k2, int64_t part, int64_t r) const { return (k2 * 2 + part) * rows() + r; }
};

// c(k2): how many times column k2 of a half spectrum counts in a length-w real signal.
inline int ColumnMultiplicity(int64_t k2, int64_t w) {
  return (k2 == 0 || (w % 2 == 0 && k2 == w / 2)) ? 1 : 2;
}

template <class T>
class ModeTransform {
 public:
  virtual ~ModeTransform() = default;
  // modes = the kept modes of rfft2(x), x (H, W): sum_n x[n] e^{-i theta(k, n)}.
  virtual void Forward(const T* x, T* modes) = 0;
  // y (H, W) = sum over the kept modes k of Re(modes[k] e^{+i theta(k, n)}): no 1/(H W) scale and
  // no c(k2) weighting (callers fold both into the modes). `modes` is left unchanged.
  virtual void Inverse(const T* modes, T* y) = 0;
};

// kAuto resolved by the cost model; kFft / kDft returned as they are.
FftAlgorithm ChooseModeTransform(FftAlgorithm requested, const ModeLayout& l);

// Makes per-thread transforms (each owns its scratch); the plans or tables they share are fetched
// once, in the constructor, which is thread-safe.
template <class T>
class ModeTransformFactory {
 public:
  ModeTransformFactory(const ModeLayout& l, FftAlgorithm requested);
  ~ModeTransformFactory();
  std::unique_ptr<ModeTransform<T>> Make() const;
  const ModeLayout& layout() const { return l_; }

 private:
  struct Shared;
  ModeLayout l_;
  std::unique_ptr<Shared> shared_;
};

extern template class ModeTransformFactory<float>;
extern template class ModeTransformFactory<double>;

// Images per parallel chunk: forking threads costs more than transforming a few small images.
int64_t ImageGrain(int64_t pixels);

// Keeps OpenBLAS single-threaded for its scope, for GEMMs issued from inside ParallelFor (OpenBLAS
// runs its own thread pool, which would oversubscribe the cores from there).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;
};

}  // namespace cpu
}  // namespace nb360

#endif  // NB360_OPS_CPU_MODE_TRANSFORM_H_
