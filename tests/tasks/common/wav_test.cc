// Tests for tasks/common/wav: fixtures written by Python's wave module and scipy.io.wavfile
// (testdata/wav/make_wav_testdata.py), hand-built files for the other formats and chunk layouts,
// damaged files, ToMono and SerializeWav16.
#include "tasks/common/wav.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/io/atomic_file.h"
#include "engine/io/byte_io.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

std::string TestData(const std::string& name) { return "tests/tasks/common/testdata/wav/" + name; }

// The fixture generator's integer pattern.
int V(int n, int c) { return (n * 37 + c * 1000) % 200 - 100; }

void ExpectSamples(const Wav& w, int rate, int channels, int frames, double (*value)(int, int)) {
  EXPECT_EQ(w.sample_rate, rate);
  ASSERT_EQ(w.channels, channels);
  ASSERT_EQ(w.frames(), frames);
  EXPECT_FALSE(w.truncated);
  for (int n = 0; n < frames; ++n) {
    for (int c = 0; c < channels; ++c) {
      ASSERT_EQ(w.samples[n * channels + c], static_cast<float>(value(n, c))) << n << "," << c;
    }
  }
}

TEST(WavFixtureTest, Pcm16StereoFromPythonWave) {
  absl::StatusOr<Wav> w = ReadWav(TestData("pcm16_stereo.wav"));
  ASSERT_TRUE(w.ok()) << w.status();
  ExpectSamples(*w, 8000, 2, 50, [](int n, int c) { return V(n, c) * 300 / 32768.0; });
}

TEST(WavFixtureTest, Float32FromScipyWithFactChunk) {
  absl::StatusOr<Wav> w = ReadWav(TestData("float32.wav"));
  ASSERT_TRUE(w.ok()) << w.status();
  ExpectSamples(*w, 22050, 1, 40, [](int n, int) { return static_cast<double>(static_cast<float>(V(n, 0) / 128.0)); });
}

TEST(WavFixtureTest, Uint8FromScipy) {
  absl::StatusOr<Wav> w = ReadWav(TestData("uint8.wav"));
  ASSERT_TRUE(w.ok()) << w.status();
  ExpectSamples(*w, 11025, 1, 30, [](int n, int) { return V(n, 0) / 128.0; });
}

TEST(WavFixtureTest, Int32FromScipy) {
  absl::StatusOr<Wav> w = ReadWav(TestData("int32.wav"));
  ASSERT_TRUE(w.ok()) << w.status();
  ExpectSamples(*w, 16000, 2, 20,
                [](int n, int c) { return static_cast<double>(static_cast<float>(V(n, c) * 20000000 / 2147483648.0)); });
}

// ---- Hand-built files.

std::string Chunk(const std::string& id, const std::string& body) {
  std::string out = id;
  io::PutLE<uint32_t>(&out, static_cast<uint32_t>(body.size()));
  out += body;
  if (body.size() % 2 == 1) out.push_back('\0');
  return out;
}

std::string Fmt(uint16_t code, int channels, int rate, int bits, bool extensible = false) {
  std::string f;
  io::PutLE<uint16_t>(&f, extensible ? 0xFFFE : code);
  io::PutLE<uint16_t>(&f, static_cast<uint16_t>(channels));
  io::PutLE<uint32_t>(&f, static_cast<uint32_t>(rate));
  io::PutLE<uint32_t>(&f, static_cast<uint32_t>(rate * channels * bits / 8));
  io::PutLE<uint16_t>(&f, static_cast<uint16_t>(channels * bits / 8));
  io::PutLE<uint16_t>(&f, static_cast<uint16_t>(bits));
  if (extensible) {
    io::PutLE<uint16_t>(&f, 22);
    io::PutLE<uint16_t>(&f, static_cast<uint16_t>(bits));
    io::PutLE<uint32_t>(&f, 3);  // channel mask
    io::PutLE<uint16_t>(&f, code);
    f += std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
  }
  return Chunk("fmt ", f);
}

std::string Riff(const std::string& chunks) {
  std::string out = "RIFF";
  io::PutLE<uint32_t>(&out, static_cast<uint32_t>(4 + chunks.size()));
  return out + "WAVE" + chunks;
}

TEST(WavBuiltTest, Pcm24Extensible) {
  std::string data;
  const int32_t values[] = {0, 1, -1, 8388607, -8388608, 4194304};
  for (int32_t v : values) {
    for (int i = 0; i < 3; ++i) data.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  absl::StatusOr<Wav> w = ParseWav(Riff(Fmt(1, 2, 48000, 24, true) + Chunk("data", data)), "x24.wav");
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->channels, 2);
  ASSERT_EQ(w->frames(), 3);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w->samples[i], static_cast<float>(values[i] / 8388608.0)) << i;
}

TEST(WavBuiltTest, Float64AndSkippedOddChunks) {
  std::string data;
  const double values[] = {0.5, -0.25, 1e-3};
  for (double v : values) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    io::PutLE<uint64_t>(&data, bits);
  }
  const std::string file = Riff(Chunk("JUNK", "abc") + Fmt(3, 1, 44100, 64) + Chunk("LIST", "INFOxyzzy") +
                                Chunk("data", data) + Chunk("cue ", "12345"));
  absl::StatusOr<Wav> w = ParseWav(file, "f64.wav");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->sample_rate, 44100);
  ASSERT_EQ(w->samples.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(w->samples[i], static_cast<float>(values[i]));
}

TEST(WavBuiltTest, Float32Extensible) {
  std::string data;
  for (float v : {0.125f, -2.0f}) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    io::PutLE<uint32_t>(&data, bits);
  }
  absl::StatusOr<Wav> w = ParseWav(Riff(Fmt(3, 1, 16000, 32, true) + Chunk("data", data)), "fx.wav");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->samples, (std::vector<float>{0.125f, -2.0f}));
}

TEST(WavBuiltTest, OversizedDataChunkIsReadToTheLastWholeFrameAndFlagged) {
  std::string data;
  for (int16_t v : {1000, -1000, 2000, -2000, 3000}) io::PutLE<uint16_t>(&data, static_cast<uint16_t>(v));
  std::string file = Riff(Fmt(1, 2, 8000, 16) + "data");
  io::PutLE<uint32_t>(&file, 0xFFFFFFFF);
  file += data;  // 2.5 frames present
  absl::StatusOr<Wav> w = ParseWav(file, "stream.wav");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->truncated);
  EXPECT_EQ(w->frames(), 2);
  EXPECT_EQ(w->samples.back(), -2000 / 32768.0f);
}

// ---- Errors.

void ExpectError(const std::string& bytes, const std::string& needle) {
  absl::StatusOr<Wav> w = ParseWav(bytes, "bad.wav");
  ASSERT_FALSE(w.ok()) << "expected: " << needle;
  EXPECT_EQ(w.status().message().substr(0, 8), "bad.wav:") << w.status();
  EXPECT_NE(w.status().message().find(needle), absl::string_view::npos) << w.status();
}

TEST(WavErrorTest, DamagedFiles) {
  ExpectError("RIFX....WAVE", "not a RIFF/WAVE file");
  ExpectError("", "not a RIFF/WAVE file");
  ExpectError(Riff(Chunk("data", "abcd")), "comes before any fmt chunk");
  ExpectError(Riff(Fmt(1, 1, 8000, 16)), "no data chunk");
  ExpectError(Riff(Chunk("LIST", "x")), "no fmt chunk");
  ExpectError(Riff(Fmt(2, 1, 8000, 4) + Chunk("data", "ab")), "unsupported WAV format code 0x2");
  ExpectError(Riff(Fmt(1, 1, 8000, 12) + Chunk("data", "ab")), "sample size 12 bits");
  ExpectError(Riff(Fmt(3, 1, 8000, 16) + Chunk("data", "ab")), "float sample size 16");
  ExpectError(Riff(Fmt(1, 0, 8000, 16) + Chunk("data", "ab")), "0 channels");
  ExpectError(Riff(Fmt(1, 1, 0, 16) + Chunk("data", "ab")), "sample rate 0");
  ExpectError(Riff(Chunk("fmt ", "short")), "has 5 bytes");
  std::string cut = Riff(Fmt(1, 1, 8000, 16));
  cut.resize(cut.size() - 4);
  ExpectError(cut, "runs past the end");
  std::string oversized = Riff(Fmt(1, 2, 8000, 16) + "data");
  io::PutLE<uint32_t>(&oversized, 100);
  oversized += "ab";  // half a frame
  ExpectError(oversized, "not one whole frame");
  std::string rf64 = "RF64";
  rf64.resize(40, '\0');
  absl::StatusOr<Wav> w = ParseWav(rf64, "r.wav");
  EXPECT_EQ(w.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(WavErrorTest, EveryPrefixOfAFixtureIsHandled) {
  const std::string bytes = *io::ReadFile(TestData("float32.wav"));
  for (size_t n = 0; n <= bytes.size(); ++n) {
    absl::StatusOr<Wav> w = ParseWav(bytes.substr(0, n), "cut.wav");
    if (w.ok()) {
      EXPECT_LE(w->samples.size(), 40u);
    } else {
      EXPECT_EQ(w.status().message().substr(0, 8), "cut.wav:");
    }
  }
  absl::StatusOr<Wav> missing = ReadWav("/nonexistent/nb360.wav");
  EXPECT_FALSE(missing.ok());
}

// ---- ToMono and the writer.

TEST(WavTest, ToMonoAveragesChannels) {
  Wav w;
  w.channels = 3;
  w.samples = {0.0f, 0.3f, 0.6f, 1.0f, 1.0f, -2.0f};
  EXPECT_EQ(ToMono(w), (std::vector<float>{static_cast<float>((0.0 + 0.3f + 0.6f) / 3), 0.0f}));
  Wav m;
  m.channels = 1;
  m.samples = {0.5f, 0.25f};
  EXPECT_EQ(ToMono(m), m.samples);
}

TEST(WavTest, SerializeWav16RoundTrip) {
  const std::vector<float> in = {0.0f, 0.5f, -0.5f, 1.0f, -1.0f, 2.0f, 1.0f / 32768, -3.0f / 32768};
  absl::StatusOr<Wav> w = ParseWav(SerializeWav16(in, 22050, 2), "rt.wav");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->sample_rate, 22050);
  EXPECT_EQ(w->channels, 2);
  const std::vector<float> expected = {0.0f, 0.5f, -0.5f, 32767 / 32768.0f, -1.0f, 32767 / 32768.0f,
                                       1.0f / 32768, -3.0f / 32768};
  EXPECT_EQ(w->samples, expected);
  EXPECT_EQ(SerializeWav16(in, 22050, 2).size(), 44u + 2 * in.size());
}

}  // namespace
}  // namespace nb360::tasks
