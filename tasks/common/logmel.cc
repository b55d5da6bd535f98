// tasks/common/logmel.cc: STFT power -> mel -> dB, and the FSD50K chunk feature (see logmel.h).
#include "tasks/common/logmel.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "engine/check.h"

namespace nb360::tasks {
namespace {

constexpr double kPi = 3.14159265358979323846;

double HzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double MelToHz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

// FFTW-aligned double array.
struct FftwArray {
  explicit FftwArray(size_t n) : p(fftw_malloc(std::max<size_t>(n, 1) * sizeof(double))) {
    NB_CHECK(p != nullptr, "logmel: fftw_malloc of ", n, " doubles failed");
  }
  ~FftwArray() { fftw_free(p); }
  FftwArray(const FftwArray&) = delete;
  FftwArray& operator=(const FftwArray&) = delete;
  double* real() const { return static_cast<double*>(p); }
  fftw_complex* complex() const { return static_cast<fftw_complex*>(p); }
  void* p;
};

// The cached real-to-complex plan for n points. FFTW's planner is not thread-safe: plans are made
// under a mutex, once per size; executing one on new arrays of the same alignment is thread-safe.
fftw_plan R2CPlan(int n) {
  static std::mutex mu;
  static auto* plans = new std::map<int, fftw_plan>;
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans->find(n);
  if (it != plans->end()) return it->second;
  FftwArray in(n), out(2 * (n / 2 + 1));
  fftw_plan plan = fftw_plan_dft_r2c_1d(n, in.real(), out.complex(), FFTW_ESTIMATE);
  NB_CHECK(plan != nullptr, "logmel: FFTW could not plan a ", n, "-point real FFT");
  plans->emplace(n, plan);
  return plan;
}

// Sparse filterbank: filter m covers bins [first[m], first[m] + weights[m].size()).
struct SparseFilters {
  std::vector<int> first;
  std::vector<std::vector<double>> weights;
};

// The dense filter value of MelFilterbank for bin frequency f and corner frequencies c[m..m+2].
double Triangle(double f, const double* c) {
  const double down = (f - c[0]) / (c[1] - c[0]);
  const double up = (c[2] - f) / (c[2] - c[1]);
  return std::max(0.0, std::min(down, up));
}

std::vector<double> Corners(const LogMelParams& p) {
  const double m_min = HzToMel(p.f_min), m_max = HzToMel(p.f_max);
  std::vector<double> c(p.n_mels + 2);
  for (int i = 0; i < p.n_mels + 2; ++i) c[i] = MelToHz(m_min + (m_max - m_min) * i / (p.n_mels + 1));
  return c;
}

double BinFrequency(int k, int n_freqs, const LogMelParams& p) {
  // torchaudio: linspace(0, sample_rate // 2, n_freqs).
  return n_freqs > 1 ? static_cast<double>(p.sample_rate / 2) * k / (n_freqs - 1) : 0.0;
}

const SparseFilters& Filters(const LogMelParams& p) {
  static std::mutex mu;
  static auto* cache = new std::map<std::tuple<int, int, int, double, double>, SparseFilters>;
  std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_tuple(p.sample_rate, p.n_fft, p.n_mels, p.f_min, p.f_max);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  const int n_freqs = p.n_fft / 2 + 1;
  const std::vector<double> c = Corners(p);
  SparseFilters f;
  for (int m = 0; m < p.n_mels; ++m) {
    int lo = n_freqs, hi = -1;
    std::vector<double> w(n_freqs);
    for (int k = 0; k < n_freqs; ++k) {
      w[k] = Triangle(BinFrequency(k, n_freqs, p), &c[m]);
      if (w[k] != 0) lo = std::min(lo, k), hi = k;
    }
    f.first.push_back(hi < 0 ? 0 : lo);
    f.weights.emplace_back(hi < 0 ? w.begin() : w.begin() + lo, hi < 0 ? w.begin() : w.begin() + hi + 1);
  }
  return cache->emplace(key, std::move(f)).first->second;
}

void CheckParams(const LogMelParams& p) {
  NB_CHECK(p.n_fft > 0 && p.win_length > 0 && p.win_length <= p.n_fft && p.hop_length > 0 && p.n_mels > 0 &&
               p.sample_rate > 0 && p.f_min >= 0 && p.f_max > p.f_min,
           "LogMelParams: need 0 < win_length <= n_fft, hop_length > 0, n_mels > 0, 0 <= f_min < f_max; got n_fft ",
           p.n_fft, ", win_length ", p.win_length, ", hop_length ", p.hop_length, ", n_mels ", p.n_mels,
           ", f_min ", p.f_min, ", f_max ", p.f_max);
}

// Index into x of padded position i (reflection about the first and last samples, repeated as needed).
int64_t Reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

}  // namespace

Tensor MelFilterbank(const LogMelParams& p) {
  CheckParams(p);
  const int n_freqs = p.n_fft / 2 + 1;
  const std::vector<double> c = Corners(p);
  Tensor fb = Tensor::Empty({n_freqs, p.n_mels}, DType::kFloat64);
  double* out = fb.data<double>();
  for (int k = 0; k < n_freqs; ++k) {
    for (int m = 0; m < p.n_mels; ++m) out[k * p.n_mels + m] = Triangle(BinFrequency(k, n_freqs, p), &c[m]);
  }
  return fb;
}

Tensor MelSpectrogram(const std::vector<float>& audio, const LogMelParams& p) {
  CheckParams(p);
  NB_CHECK(!audio.empty(), "MelSpectrogram: empty audio");
  const int64_t n = static_cast<int64_t>(audio.size());
  const int n_freqs = p.n_fft / 2 + 1;
  const int64_t pad = p.n_fft / 2;
  const int64_t frames = 1 + (n + 2 * pad - p.n_fft) / p.hop_length;
  const int left = (p.n_fft - p.win_length) / 2;  // window offset inside the n_fft frame
  std::vector<double> window(p.win_length);
  for (int i = 0; i < p.win_length; ++i) window[i] = 0.5 - 0.5 * std::cos(2.0 * kPi * i / p.win_length);
  const fftw_plan plan = R2CPlan(p.n_fft);
  const SparseFilters& filters = Filters(p);
  FftwArray in(p.n_fft), spec(2 * n_freqs);
  std::vector<double> power(n_freqs);
  Tensor mel = Tensor::Empty({p.n_mels, frames}, DType::kFloat64);
  double* out = mel.data<double>();
  std::fill(in.real(), in.real() + p.n_fft, 0.0);
  for (int64_t t = 0; t < frames; ++t) {
    // Frame t covers padded positions t*hop .. t*hop + n_fft - 1, i.e. signal index t*hop - pad + j.
    const int64_t start = t * p.hop_length - pad + left;
    for (int i = 0; i < p.win_length; ++i) {
      const int64_t s = start + i;
      const double x = (s >= 0 && s < n) ? audio[s] : audio[Reflect(s, n)];
      in.real()[left + i] = x * window[i];
    }
    fftw_execute_dft_r2c(plan, in.real(), spec.complex());
    const fftw_complex* z = spec.complex();
    for (int k = 0; k < n_freqs; ++k) power[k] = z[k][0] * z[k][0] + z[k][1] * z[k][1];
    for (int m = 0; m < p.n_mels; ++m) {
      const std::vector<double>& w = filters.weights[m];
      const double* pk = power.data() + filters.first[m];
      double sum = 0;
      for (size_t k = 0; k < w.size(); ++k) sum += w[k] * pk[k];
      out[m * frames + t] = sum;
    }
  }
  return mel;
}

Tensor PowerToDb(const Tensor& power, double amin, double top_db) {
  NB_CHECK(power.dtype() == DType::kFloat32 || power.dtype() == DType::kFloat64,
           "PowerToDb: needs a float tensor, got ", power.Describe());
  NB_CHECK(amin > 0, "PowerToDb: amin must be positive, got ", amin);
  const Tensor s = power.Contiguous().To(DType::kFloat64);
  const int64_t n = s.numel();
  Tensor db = Tensor::Empty(s.shape(), DType::kFloat64);
  const double* in = s.data<double>();
  double* out = db.data<double>();
  double peak = -HUGE_VAL;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = 10.0 * std::log10(std::max(in[i], amin));
    peak = std::max(peak, out[i]);
  }
  if (top_db > 0) {
    for (int64_t i = 0; i < n; ++i) out[i] = std::max(out[i], peak - top_db);
  }
  return power.dtype() == DType::kFloat64 ? db : db.To(power.dtype());
}

std::vector<float> TileToMinLength(const std::vector<float>& audio, int64_t min_samples) {
  if (audio.empty() || static_cast<int64_t>(audio.size()) >= min_samples) return audio;
  std::vector<float> out(min_samples);
  for (int64_t i = 0; i < min_samples; ++i) out[i] = audio[i % audio.size()];
  return out;
}

Tensor FsdLogMel(const std::vector<float>& audio, const LogMelParams& p) {
  const int64_t min_samples = static_cast<int64_t>(p.sample_rate * p.min_duration_s);
  const Tensor db = PowerToDb(MelSpectrogram(TileToMinLength(audio, min_samples), p), p.amin, p.top_db);
  const double* d = db.data<double>();
  const int64_t n = db.numel();
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += d[i] + p.offset_db;
  mean /= static_cast<double>(n);
  Tensor out = Tensor::Empty(db.shape(), DType::kFloat32);
  float* o = out.data<float>();
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(d[i] + p.offset_db - mean);
  return out;
}

}  // namespace nb360::tasks
