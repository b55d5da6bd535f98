// tasks/ecg/ecg_synthetic.cc: EcgTask::MakeSynthetic, integer ECG-like records with class rhythms.
//
// Each record is 1,500-6,000 samples "at 300 Hz": baseline wander + Gaussian P/QRS/T bumps at beat
// times + noise, rounded to integers like the real ADC values. The class sets the rhythm:
//   N regular beats (period 220-280 samples, 2 % jitter) with P waves;
//   A irregular RR intervals (0.5-1.5 x period), no P wave, fibrillatory 6 Hz ripple;
//   O fast beats (period 130-170) with a premature wide beat every third beat;
//   ~ weak beats buried in strong noise.
// Classes follow the real proportions roughly (N 59 %, A 9 %, O 29 %, ~ 3 %, each at least 5 %).
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tasks/ecg/ecg.h"

namespace nb360::tasks {
namespace {

constexpr double kPi = 3.14159265358979323846;

void AddBump(std::vector<double>& x, double centre, double amp, double sigma) {
  const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(centre - 4 * sigma));
  const int64_t hi = std::min<int64_t>(static_cast<int64_t>(x.size()), static_cast<int64_t>(centre + 4 * sigma) + 1);
  for (int64_t i = lo; i < hi; ++i) {
    const double d = (static_cast<double>(i) - centre) / sigma;
    x[i] += amp * std::exp(-0.5 * d * d);
  }
}

double Gauss(Generator& rng) {
  const double u1 = std::max(rng.NextDouble(), 1e-12), u2 = rng.NextDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
}

std::vector<double> MakeRecord(int64_t label, int64_t length, Generator& rng) {
  std::vector<double> x(length, 0.0);
  const double wander_f = 0.2 + 0.3 * rng.NextDouble(), wander_phase = 2 * kPi * rng.NextDouble();
  for (int64_t i = 0; i < length; ++i) x[i] = 80.0 * std::sin(2 * kPi * wander_f * i / 300.0 + wander_phase);
  const double period = label == 2 ? 130 + 40 * rng.NextDouble() : 220 + 60 * rng.NextDouble();
  const double qrs_amp = label == 3 ? 150.0 : 600.0;
  double t = period * rng.NextDouble();
  for (int beat = 0; t < length + 100; ++beat) {
    const bool wide = label == 2 && beat % 3 == 2;
    if (label != 1) AddBump(x, t - 50, 80, 10);
    AddBump(x, t, wide ? 0.8 * qrs_amp : qrs_amp, wide ? 10 : 4);
    AddBump(x, t + 90, 150, 20);
    double rr = period;
    if (label == 0) rr *= 1.0 + 0.02 * Gauss(rng);
    if (label == 1) rr *= 0.5 + rng.NextDouble();
    if (label == 2 && beat % 3 == 1) rr *= 0.6;
    t += rr;
  }
  if (label == 1) {
    const double ph = 2 * kPi * rng.NextDouble();
    for (int64_t i = 0; i < length; ++i) x[i] += 40.0 * std::sin(2 * kPi * 6.0 * i / 300.0 + ph);
  }
  const double noise = label == 3 ? 300.0 : 20.0;
  for (int64_t i = 0; i < length; ++i) x[i] = std::round(x[i] + noise * Gauss(rng));
  return x;
}

int64_t DrawLabel(Generator& rng) {
  const double u = rng.NextDouble();
  if (u < 0.56) return 0;
  if (u < 0.68) return 1;
  if (u < 0.93) return 2;
  return 3;
}

}  // namespace

Dataset EcgTask::MakeSynthetic(const SyntheticOptions& options) const {
  Generator rng = Generator(options.seed).Fork("ecg/synthetic");
  const int64_t n = options.fraction > 0
                        ? std::max<int64_t>(40, std::llround(options.fraction * kEcgRecords))
                        : 200;
  std::vector<int64_t> labels(n), offsets(n + 1, 0);
  std::vector<float> samples;
  for (int64_t r = 0; r < n; ++r) {
    labels[r] = DrawLabel(rng);
    const int64_t length = 1500 + rng.RandInt(4501);
    for (double v : MakeRecord(labels[r], length, rng)) samples.push_back(static_cast<float>(v));
    offsets[r + 1] = static_cast<int64_t>(samples.size());
  }
  DatasetManifest m{"ecg", "synthetic",
                    absl::StrCat("synthetic ECG: ", n, " integer records of 1500-6000 samples with class-dependent "
                                 "rhythms (N regular, A irregular RR, O fast with wide beats, ~ noisy), seed ",
                                 options.seed)};
  const int64_t total = static_cast<int64_t>(samples.size());
  return InMemoryDataset(m, {{"samples", Tensor::FromVector(samples, {total})},
                             {"offsets", Tensor::FromVector(offsets, {n + 1})},
                             {"labels", Tensor::FromVector(labels, {n})}});
}

}  // namespace nb360::tasks
