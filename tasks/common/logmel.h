// tasks/common/logmel.h: the FSD50K log-mel spectrogram recipe (spec §4.2), from the formulas.
//
// MelSpectrogram: power-2 STFT with a periodic Hann window of win_length samples centred (zero-padded)
// in n_fft, frames centred on t * hop_length (the signal reflect-padded by n_fft / 2 at both ends, so
// T = 1 + len / hop_length), projected on n_mels triangular HTK-mel filters between f_min and f_max
// without area normalisation (torchaudio's MelSpectrogram defaults). PowerToDb: 10 log10(max(S, amin))
// with reference 1, floored at max - top_db (librosa's power_to_db defaults). FsdLogMel: tile the clip
// to at least min_duration_s, MelSpectrogram, PowerToDb, + offset_db, minus the mean -> float32.
// Arithmetic is in double (FFTW's double-precision real FFT, planned with FFTW_ESTIMATE so results are
// reproducible); the original computes in float32, which differs by rounding only.
// Left out: other window functions, power 1, Slaney mel scale and filter normalisation, padding modes
// other than reflect. Signals shorter than n_fft / 2 + 1 are reflected repeatedly (torch rejects them).
//
// Example:
//   std::vector<float> audio = ToMono(*ReadWav("chunk.wav"));
//   Tensor feature = FsdLogMel(audio);   // float32 (96, 101) for a 1-s chunk at 22,050 Hz
#ifndef NB360_TASKS_COMMON_LOGMEL_H_
#define NB360_TASKS_COMMON_LOGMEL_H_

#include <vector>

#include "engine/tensor.h"

namespace nb360::tasks {

struct LogMelParams {
  int sample_rate = 22050;
  int n_fft = 1920;        // 96 * 20
  int win_length = 661;    // int(22050 * 0.03)
  int hop_length = 220;    // int(22050 * 0.01)
  int n_mels = 96;
  double f_min = 0;
  double f_max = 11025;    // sample_rate / 2
  double amin = 1e-10;     // PowerToDb: power floor before the logarithm
  double top_db = 80;      // PowerToDb: dynamic range below the maximum (<= 0: no floor)
  double offset_db = 75;   // FsdLogMel: added before the mean is removed (top_db 150 / 2 in the original)
  double min_duration_s = 1.0;  // FsdLogMel: shorter clips are tiled to int(sample_rate * this) samples
};

// The (n_freqs = n_fft / 2 + 1, n_mels) float64 triangular filter matrix: for the STFT bin frequency
// f_k = k * (sample_rate / 2) / (n_freqs - 1) and HTK-mel-spaced corner frequencies c_0 .. c_{n_mels+1},
// fb[k][m] = max(0, min((f_k - c_m) / (c_{m+1} - c_m), (c_{m+2} - f_k) / (c_{m+2} - c_{m+1}))).
Tensor MelFilterbank(const LogMelParams& params);

// The power mel spectrogram of `audio`: float64 (n_mels, T), T = 1 + (len + 2 (n_fft / 2) - n_fft) / hop
// (= 1 + len / hop_length for even n_fft).
Tensor MelSpectrogram(const std::vector<float>& audio, const LogMelParams& params = {});

// 10 log10(max(S, amin)), then raised to at least (its maximum - top_db) when top_db > 0.
// power: any shape, float32 or float64; the result has the same shape and dtype.
Tensor PowerToDb(const Tensor& power, double amin = 1e-10, double top_db = 80);

// `audio` repeated end to end and cut to `min_samples` when it is shorter (np.tile(x, n)[:min]); else
// unchanged. Empty audio stays empty.
std::vector<float> TileToMinLength(const std::vector<float>& audio, int64_t min_samples);

// The FSD50K chunk feature: float32 (n_mels, T), zero mean. A 1-s chunk at 22,050 Hz gives (96, 101).
Tensor FsdLogMel(const std::vector<float>& audio, const LogMelParams& params = {});

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_LOGMEL_H_
