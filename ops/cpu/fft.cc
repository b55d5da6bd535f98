// ops/cpu/fft.cc: Rfft2 / Irfft2 kernels and their adjoints (float32 and float64), parallel over the
// batch of images, each image through a ModeTransform (FFTW or truncated DFT, ops/cpu/mode_transform.h)
// keeping the whole half spectrum (or, for Irfft2, the part of it the input provides).
#include <cstring>
#include <vector>

#include "engine/parallel.h"
#include "ops/cpu/mode_transform.h"
#include "ops/fft.h"

namespace nb360 {
namespace cpu {
namespace {

// Runs fn(transform, mode buffer, image) for image in [0, count), in parallel when the images are big
// enough to pay for the fork; one transform and one buffer per chunk.
template <class T, class Fn>
void ForEachImage(const ModeTransformFactory<T>& f, int64_t count, const Fn& fn) {
  const ModeLayout& l = f.layout();
  const SingleThreadedBlas single_threaded_blas;
  ParallelFor(0, count, ImageGrain(l.h * l.w), [&](int64_t lo, int64_t hi) {
    std::unique_ptr<ModeTransform<T>> tr = f.Make();
    std::vector<T> modes(l.buffer_size());
    for (int64_t b = lo; b < hi; ++b) fn(*tr, modes.data(), b);
  });
}

// The kept rows [0, rows) and columns [0, cols) of an (h, w) image's half spectrum.
ModeLayout TopLeft(int64_t h, int64_t w, int64_t rows, int64_t cols) { return {h, w, rows, 0, cols}; }

template <class T>
void Rfft2ForwardT(FftAlgorithm a, const Tensor& x, const Tensor& X) {
  const int64_t batch = x.size(0), h = x.size(1), w = x.size(2), wc = w / 2 + 1;
  const ModeTransformFactory<T> f(TopLeft(h, w, h, wc), a);
  const ModeLayout& l = f.layout();
  const T* xp = x.data<T>();
  T* out = X.data<T>();
  ForEachImage<T>(f, batch, [&](ModeTransform<T>& tr, T* modes, int64_t b) {
    tr.Forward(xp + b * h * w, modes);
    T* ob = out + b * h * wc * 2;
    for (int64_t k1 = 0; k1 < h; ++k1) {
      for (int64_t k2 = 0; k2 < wc; ++k2) {
        ob[(k1 * wc + k2) * 2] = modes[l.at(k2, 0, k1)];
        ob[(k1 * wc + k2) * 2 + 1] = modes[l.at(k2, 1, k1)];
      }
    }
  });
}

// gx = sum_k Re(gX[k] e^{+i theta}): the inverse transform of gX without scale or c(k2) weights.
template <class T>
void Rfft2BackwardT(FftAlgorithm a, const Tensor& gX, const Tensor& gx) {
  const int64_t batch = gx.size(0), h = gx.size(1), w = gx.size(2), wc = w / 2 + 1;
  const ModeTransformFactory<T> f(TopLeft(h, w, h, wc), a);
  const ModeLayout& l = f.layout();
  const T* g = gX.data<T>();
  T* out = gx.data<T>();
  ForEachImage<T>(f, batch, [&](ModeTransform<T>& tr, T* modes, int64_t b) {
    const T* gb = g + b * h * wc * 2;
    for (int64_t k1 = 0; k1 < h; ++k1) {
      for (int64_t k2 = 0; k2 < wc; ++k2) {
        modes[l.at(k2, 0, k1)] = gb[(k1 * wc + k2) * 2];
        modes[l.at(k2, 1, k1)] = gb[(k1 * wc + k2) * 2 + 1];
      }
    }
    tr.Inverse(modes, out + b * h * w);
  });
}

// x = 1/(h w) sum_k c(k2) Re(X[k] e^{+i theta}) over X cropped / zero-padded to (h, w/2+1).
template <class T>
void Irfft2ForwardT(FftAlgorithm a, const Tensor& X, const Tensor& x) {
  const int64_t batch = x.size(0), h = x.size(1), w = x.size(2);
  const int64_t hin = X.size(1), win = X.size(2);
  const ModeTransformFactory<T> f(TopLeft(h, w, std::min(hin, h), std::min(win, w / 2 + 1)), a);
  const ModeLayout& l = f.layout();
  const T scale = T(1) / static_cast<T>(h * w);
  const T* in = X.data<T>();
  T* out = x.data<T>();
  ForEachImage<T>(f, batch, [&](ModeTransform<T>& tr, T* modes, int64_t b) {
    const T* xb = in + b * hin * win * 2;
    for (int64_t k1 = 0; k1 < l.rows(); ++k1) {
      for (int64_t k2 = 0; k2 < l.m2; ++k2) {
        const T s = scale * ColumnMultiplicity(k2, w);
        modes[l.at(k2, 0, k1)] = xb[(k1 * win + k2) * 2] * s;
        modes[l.at(k2, 1, k1)] = xb[(k1 * win + k2) * 2 + 1] * s;
      }
    }
    tr.Inverse(modes, out + b * h * w);
  });
}

// gX[k] = c(k2) / (h w) rfft2(gx)[k] inside the (h, w/2+1) window, 0 outside it.
template <class T>
void Irfft2BackwardT(FftAlgorithm a, const Tensor& gx, const Tensor& gX) {
  const int64_t batch = gx.size(0), h = gx.size(1), w = gx.size(2);
  const int64_t hin = gX.size(1), win = gX.size(2);
  const ModeTransformFactory<T> f(TopLeft(h, w, std::min(hin, h), std::min(win, w / 2 + 1)), a);
  const ModeLayout& l = f.layout();
  const T scale = T(1) / static_cast<T>(h * w);
  const T* g = gx.data<T>();
  T* out = gX.data<T>();
  ForEachImage<T>(f, batch, [&](ModeTransform<T>& tr, T* modes, int64_t b) {
    tr.Forward(g + b * h * w, modes);
    T* ob = out + b * hin * win * 2;
    std::memset(ob, 0, sizeof(T) * hin * win * 2);
    for (int64_t k1 = 0; k1 < l.rows(); ++k1) {
      for (int64_t k2 = 0; k2 < l.m2; ++k2) {
        const T s = scale * ColumnMultiplicity(k2, w);
        ob[(k1 * win + k2) * 2] = modes[l.at(k2, 0, k1)] * s;
        ob[(k1 * win + k2) * 2 + 1] = modes[l.at(k2, 1, k1)] * s;
      }
    }
  });
}

void Rfft2Forward(FftAlgorithm a, const Tensor& x, const Tensor& X) {
  DispatchFloating(x.dtype(), "rfft2", [&](auto tag) { Rfft2ForwardT<decltype(tag)>(a, x, X); });
}
void Rfft2Backward(FftAlgorithm a, const Tensor& gX, const Tensor& gx) {
  DispatchFloating(gX.dtype(), "rfft2 backward",
                   [&](auto tag) { Rfft2BackwardT<decltype(tag)>(a, gX, gx); });
}
void Irfft2Forward(FftAlgorithm a, const Tensor& X, const Tensor& x) {
  DispatchFloating(X.dtype(), "irfft2", [&](auto tag) { Irfft2ForwardT<decltype(tag)>(a, X, x); });
}
void Irfft2Backward(FftAlgorithm a, const Tensor& gx, const Tensor& gX) {
  DispatchFloating(gx.dtype(), "irfft2 backward",
                   [&](auto tag) { Irfft2BackwardT<decltype(tag)>(a, gx, gX); });
}

}  // namespace

const Fft2Kernels kFft2 = {Rfft2Forward, Rfft2Backward, Irfft2Forward, Irfft2Backward};

}  // namespace cpu
}  // namespace nb360
