// Tests for tasks/common/logmel: goldens from tests/tasks/golden/make_logmel_golden.py (torch.stft,
// numpy HTK filterbank, librosa's power_to_db definition), the dB floor, tiling, concurrency, and the
// time per 1-s chunk (printed).
#include "tasks/common/logmel.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "engine/io/npy.h"
#include "gtest/gtest.h"
#include "tasks/common/wav.h"

namespace nb360::tasks {
namespace {

std::string Golden(const std::string& name) { return "tests/tasks/golden/data/" + name; }

std::vector<float> Audio(const std::string& name) {
  absl::StatusOr<Wav> wav = ReadWav(Golden("logmel_" + name + ".wav"));
  EXPECT_TRUE(wav.ok()) << wav.status();
  return wav.ok() ? ToMono(*wav) : std::vector<float>();
}

class LogMelGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LogMelGoldenTest, MatchesTheReferenceWithin1e3Db) {
  const std::vector<float> audio = Audio(GetParam());
  ASSERT_FALSE(audio.empty());
  absl::StatusOr<Tensor> golden = io::ReadNpy(Golden(std::string("logmel_") + GetParam() + ".npy"));
  ASSERT_TRUE(golden.ok()) << golden.status();
  const Tensor got = FsdLogMel(audio);
  ASSERT_EQ(got.dtype(), DType::kFloat32);
  ASSERT_EQ(got.shape(), golden->shape());
  const int64_t tiled = std::max<int64_t>(audio.size(), 22050);
  EXPECT_EQ(got.size(1), 1 + tiled / 220);
  double worst = 0, mean = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(got.data<float>()[i]) - golden->data<float>()[i]));
    mean += got.data<float>()[i];
  }
  std::printf("%s: %lld samples -> (96, %lld), max |diff| = %.3g dB\n", GetParam(),
              static_cast<long long>(audio.size()), static_cast<long long>(got.size(1)), worst);
  EXPECT_LT(worst, 1e-3);
  EXPECT_NEAR(mean / got.numel(), 0.0, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Signals, LogMelGoldenTest, ::testing::Values("sweep", "noise", "short", "long"));

TEST(LogMelTest, PowerMelSpectrogramMatchesTheReference) {
  absl::StatusOr<Tensor> golden = io::ReadNpy(Golden("logmel_sweep_mel.npy"));
  ASSERT_TRUE(golden.ok()) << golden.status();
  const Tensor mel = MelSpectrogram(Audio("sweep"));
  ASSERT_EQ(mel.shape(), (Shape{96, 101}));
  ASSERT_EQ(mel.dtype(), DType::kFloat64);
  double peak = 0;
  for (int64_t i = 0; i < mel.numel(); ++i) peak = std::max(peak, golden->data<double>()[i]);
  for (int64_t i = 0; i < mel.numel(); ++i) {
    const double want = golden->data<double>()[i];
    ASSERT_NEAR(mel.data<double>()[i], want, 1e-9 * std::fabs(want) + 1e-13 * peak) << "i=" << i;
  }
}

TEST(LogMelTest, FilterbankIsTheHtkTriangleFormula) {
  const LogMelParams p;
  const Tensor fb = MelFilterbank(p);
  ASSERT_EQ(fb.shape(), (Shape{961, 96}));
  const auto mel = [](double f) { return 2595.0 * std::log10(1.0 + f / 700.0); };
  const auto hz = [](double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); };
  const double top = mel(11025.0);
  for (int m : {0, 40, 95}) {
    const double c0 = hz(top * m / 97), c1 = hz(top * (m + 1) / 97), c2 = hz(top * (m + 2) / 97);
    for (int k = 0; k < 961; ++k) {
      const double f = 11025.0 * k / 960;
      const double want = std::max(0.0, std::min((f - c0) / (c1 - c0), (c2 - f) / (c2 - c1)));
      ASSERT_NEAR(fb.data<double>()[k * 96 + m], want, 1e-12) << "k=" << k << " m=" << m;
    }
  }
}

TEST(LogMelTest, PowerToDbFloorsAtTopDbBelowThePeak) {
  const Tensor s = Tensor::FromVector<double>({1.0, 10.0, 1e-12, 1e-9, 100.0, 0.0}, {2, 3});
  const Tensor db = PowerToDb(s, 1e-10, 80);
  EXPECT_EQ(db.shape(), (Shape{2, 3}));
  const std::vector<double> want = {0.0, 10.0, -60.0, -60.0, 20.0, -60.0};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(db.data<double>()[i], want[i], 1e-12) << i;
  const Tensor raw = PowerToDb(s.To(DType::kFloat32), 1e-10, 0);
  ASSERT_EQ(raw.dtype(), DType::kFloat32);
  EXPECT_NEAR(raw.data<float>()[2], -100.0f, 1e-4);  // amin floor, no top_db floor
  EXPECT_NEAR(raw.data<float>()[3], -90.0f, 1e-4);
}

TEST(LogMelTest, TilingRepeatsTheClip) {
  EXPECT_EQ(TileToMinLength({1, 2, 3}, 7), (std::vector<float>{1, 2, 3, 1, 2, 3, 1}));
  EXPECT_EQ(TileToMinLength({1, 2, 3}, 3), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(TileToMinLength({}, 3), std::vector<float>());
  // A 0.4-s clip and its tiled 1-s version give the same feature.
  const std::vector<float> short_clip = Audio("short");
  const Tensor a = FsdLogMel(short_clip);
  const Tensor b = FsdLogMel(TileToMinLength(short_clip, 22050));
  EXPECT_EQ(a.ToVector<float>(), b.ToVector<float>());
}

TEST(LogMelTest, ShortSignalsAndOddSizes) {
  LogMelParams p;
  p.n_fft = 31;
  p.win_length = 20;
  p.hop_length = 4;
  p.n_mels = 5;
  const Tensor mel = MelSpectrogram({0.1f, -0.2f, 0.3f, 0.05f, 0.0f, 0.7f}, p);  // shorter than n_fft / 2
  EXPECT_EQ(mel.shape(), (Shape{5, 1 + (6 + 2 * 15 - 31) / 4}));
  EXPECT_THROW(MelSpectrogram({}, p), Error);
  p.win_length = 40;
  EXPECT_THROW(MelSpectrogram({1.0f}, p), Error);
}

TEST(LogMelTest, ConcurrentCallsAreDeterministic) {
  const std::vector<float> audio = Audio("noise");
  LogMelParams p;
  p.n_fft = 1024;  // a size no other test planned: the threads race to create the plan
  const Tensor serial_ref = FsdLogMel(audio);
  std::vector<Tensor> out(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { out[i] = FsdLogMel(audio, i % 2 == 0 ? p : LogMelParams{}); });
  }
  for (auto& t : threads) t.join();
  const Tensor serial_1024 = FsdLogMel(audio, p);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i].ToVector<float>(), (i % 2 == 0 ? serial_1024 : serial_ref).ToVector<float>()) << i;
  }
}

TEST(LogMelTest, TimePerOneSecondChunk) {
  const std::vector<float> audio = Audio("sweep");
  FsdLogMel(audio);  // plan and filterbank caches
  const int reps = 50;
  const auto start = std::chrono::steady_clock::now();
  double sink = 0;
  for (int r = 0; r < reps; ++r) sink += FsdLogMel(audio).data<float>()[r];
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
  std::printf("FsdLogMel: %.3f ms per 1-s chunk (single thread, %d reps; checksum %g)\n", 1e3 * s, reps, sink);
  EXPECT_LT(s, 0.5);
}

}  // namespace
}  // namespace nb360::tasks
