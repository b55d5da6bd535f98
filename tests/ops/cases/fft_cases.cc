// Conformance cases: Rfft2, Irfft2 (with cropping and zero-padding of the spectrum) and the FNO
// SpectralConv2d, on even and odd sizes, against naive float64 DFT loops.
#include <cmath>
#include <string>

#include "ops/fft.h"
#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// Number of leading (batch) elements of a shape whose last `trailing` dims are the transform.
int64_t BatchOf(const Shape& s, size_t trailing) {
  int64_t b = 1;
  for (size_t d = 0; d + trailing < s.size(); ++d) b *= s[d];
  return b;
}

// x (..., H, W) -> (..., H, W/2+1, 2): X[k] = sum_n x[n] e^{-i theta}.
Tensor RefRfft2(const Tensor& x) {
  const Shape& s = x.shape();
  const int64_t h = s[s.size() - 2], w = s.back(), wc = w / 2 + 1, batch = BatchOf(s, 2);
  Shape os(s.begin(), s.end() - 1);
  os.push_back(wc);
  os.push_back(2);
  Tensor out = Tensor::Zeros(os, DType::kFloat64);
  const double* xp = x.data<double>();
  double* op = out.data<double>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t k1 = 0; k1 < h; ++k1) {
      for (int64_t k2 = 0; k2 < wc; ++k2) {
        double re = 0, im = 0;
        for (int64_t n1 = 0; n1 < h; ++n1) {
          for (int64_t n2 = 0; n2 < w; ++n2) {
            const double th = kTwoPi * (double(k1 * n1) / h + double(k2 * n2) / w);
            const double v = xp[(b * h + n1) * w + n2];
            re += v * std::cos(th);
            im -= v * std::sin(th);
          }
        }
        op[((b * h + k1) * wc + k2) * 2] = re;
        op[((b * h + k1) * wc + k2) * 2 + 1] = im;
      }
    }
  }
  return out;
}

// X (..., Hin, Win, 2) -> (..., h, w): 1/(h w) sum_k c(k2) Re(X[k] e^{+i theta}) over the spectrum
// cropped / zero-padded to (h, w/2+1); c = 1 on the k2 = 0 and Nyquist columns, 2 elsewhere.
Tensor RefIrfft2(const Tensor& X, int64_t h, int64_t w) {
  const Shape& s = X.shape();
  const int64_t hin = s[s.size() - 3], win = s[s.size() - 2], batch = BatchOf(s, 3);
  const int64_t rows = std::min(hin, h), cols = std::min(win, w / 2 + 1);
  Shape os(s.begin(), s.end() - 3);
  os.push_back(h);
  os.push_back(w);
  Tensor out = Tensor::Zeros(os, DType::kFloat64);
  const double* xp = X.data<double>();
  double* op = out.data<double>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t n1 = 0; n1 < h; ++n1) {
      for (int64_t n2 = 0; n2 < w; ++n2) {
        double acc = 0;
        for (int64_t k1 = 0; k1 < rows; ++k1) {
          for (int64_t k2 = 0; k2 < cols; ++k2) {
            const double c = (k2 == 0 || (w % 2 == 0 && k2 == w / 2)) ? 1.0 : 2.0;
            const double th = kTwoPi * (double(k1 * n1) / h + double(k2 * n2) / w);
            const double re = xp[((b * hin + k1) * win + k2) * 2];
            const double im = xp[((b * hin + k1) * win + k2) * 2 + 1];
            acc += c * (re * std::cos(th) - im * std::sin(th));
          }
        }
        op[(b * h + n1) * w + n2] = acc / double(h * w);
      }
    }
  }
  return out;
}

// The FNO Fourier layer written out: full DFT, complex mode mixing, zero-filled inverse.
Tensor RefSpectralConv(const Tensor& x, const Tensor& w1, const Tensor& w2, int64_t m1, int64_t m2) {
  const int64_t n = x.size(0), ci = x.size(1), h = x.size(2), w = x.size(3), wc = w / 2 + 1;
  const int64_t co = w1.size(1);
  const Tensor X = RefRfft2(x);
  Tensor Y = Tensor::Zeros({n, co, h, wc, 2}, DType::kFloat64);
  const double* xp = X.data<double>();
  double* yp = Y.data<double>();
  for (int64_t blk = 0; blk < 2; ++blk) {
    const double* wp = (blk == 0 ? w1 : w2).data<double>();
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t o = 0; o < co; ++o) {
        for (int64_t r = 0; r < m1; ++r) {
          const int64_t k1 = blk == 0 ? r : h - m1 + r;
          for (int64_t k2 = 0; k2 < m2; ++k2) {
            double re = 0, im = 0;
            for (int64_t i = 0; i < ci; ++i) {
              const double* a = xp + (((b * ci + i) * h + k1) * wc + k2) * 2;
              const double* c = wp + (((i * co + o) * m1 + r) * m2 + k2) * 2;
              re += a[0] * c[0] - a[1] * c[1];
              im += a[0] * c[1] + a[1] * c[0];
            }
            double* d = yp + (((b * co + o) * h + k1) * wc + k2) * 2;
            d[0] = re;
            d[1] = im;
          }
        }
      }
    }
  }
  return RefIrfft2(Y, h, w);
}

std::string Suffix(FftAlgorithm algo) { return algo == FftAlgorithm::kFft ? "_fft" : "_dft"; }

OpCase Rfft2Case(const std::string& name, const Shape& shape, FftAlgorithm algo) {
  OpCase c;
  c.name = "fft/rfft2_" + name + Suffix(algo);
  c.kind = OpKind::kFft2;
  c.make_inputs = [shape](Generator& g) { return Inputs{RandN(g, shape)}; };
  c.op = [algo](const Inputs& in) { return Rfft2(in[0], algo); };
  c.reference = [](const Inputs& in) { return RefRfft2(in[0]); };
  return c;
}

OpCase Irfft2Case(const std::string& name, const Shape& shape, int64_t h, int64_t w, FftAlgorithm algo) {
  OpCase c;
  c.name = "fft/irfft2_" + name + Suffix(algo);
  c.kind = OpKind::kFft2;
  c.make_inputs = [shape](Generator& g) { return Inputs{RandN(g, shape)}; };
  c.op = [h, w, algo](const Inputs& in) { return Irfft2(in[0], h, w, algo); };
  c.reference = [h, w](const Inputs& in) { return RefIrfft2(in[0], h, w); };
  return c;
}

OpCase SpectralCase(const std::string& name, int64_t n, int64_t ci, int64_t co, int64_t h, int64_t w,
                    int64_t m1, int64_t m2, FftAlgorithm algo) {
  OpCase c;
  c.name = "fft/spectral_conv2d_" + name + Suffix(algo);
  c.kind = OpKind::kSpectralConv2d;
  c.make_inputs = [=](Generator& g) {
    return Inputs{RandN(g, {n, ci, h, w}), RandN(g, {ci, co, m1, m2, 2}, 0.5),
                  RandN(g, {ci, co, m1, m2, 2}, 0.5)};
  };
  c.op = [m1, m2, algo](const Inputs& in) { return SpectralConv2d(in[0], in[1], in[2], m1, m2, algo); };
  c.reference = [m1, m2](const Inputs& in) { return RefSpectralConv(in[0], in[1], in[2], m1, m2); };
  c.max_fd_elements = 24;
  return c;
}

}  // namespace

// Every case runs with both transforms (FFTW and truncated DFT).
void AddFftCases(std::vector<OpCase>* cases) {
  for (FftAlgorithm a : {FftAlgorithm::kFft, FftAlgorithm::kDft}) {
    cases->push_back(Rfft2Case("8x8", {8, 8}, a));
    cases->push_back(Rfft2Case("6x5", {6, 5}, a));
    cases->push_back(Rfft2Case("7x9_batched", {2, 3, 7, 9}, a));
    cases->push_back(Rfft2Case("5x1_batched", {2, 5, 1}, a));
    cases->push_back(Rfft2Case("1x6_batched", {3, 1, 6}, a));
    cases->push_back(Irfft2Case("8x8", {8, 5, 2}, 8, 8, a));
    cases->push_back(Irfft2Case("6x5", {6, 3, 2}, 6, 5, a));
    cases->push_back(Irfft2Case("7x9_batched", {2, 3, 7, 5, 2}, 7, 9, a));
    cases->push_back(Irfft2Case("zero_pad_to_7x8", {2, 5, 4, 2}, 7, 8, a));
    cases->push_back(Irfft2Case("crop_to_4x6", {6, 6, 2}, 4, 6, a));
    cases->push_back(SpectralCase("12x10_m3x2", 2, 3, 2, 12, 10, 3, 2, a));
    cases->push_back(SpectralCase("nyquist_8x6_m4x4", 2, 2, 3, 8, 6, 4, 4, a));  // row 4, column 3
    cases->push_back(SpectralCase("odd_7x9_m3x5", 1, 2, 3, 7, 9, 3, 5, a));
  }
}

}  // namespace testing
}  // namespace nb360
