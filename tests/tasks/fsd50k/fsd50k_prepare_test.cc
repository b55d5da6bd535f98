// Tests for Fsd50kTask::Prepare on small raw files in the real layout (chunk wavs, quoted CSV
// manifests, lbl_map.json, noise wavs), the round trip Prepare -> OpenDataset -> Build, and broken
// inputs.
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/common/canonical.h"
#include "tasks/common/logmel.h"
#include "tasks/common/wav.h"
#include "tasks/fsd50k/fsd50k.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string TempDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(t != nullptr ? t : "/tmp") + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(io::WriteFileAtomically(path, bytes).ok()) << path;
}

std::vector<float> Tone(double hz, int64_t n, int sr = 22050) {
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * hz * i / sr));
  return x;
}

// Raw layout: 3 training clips (ids 30, 10, 20, chunks interleaved in tr.csv), 1 val clip, 2 eval clips.
std::string MakeRaw(const std::string& name) {
  const std::string raw = TempDir(name);
  std::string map = "{";
  for (int i = 0; i < 200; ++i) absl::StrAppend(&map, i ? ", " : "", "\"Label_", i, "\": ", i);
  Write(raw + "/chunks/lbl_map.json", map + "}");
  auto chunk = [&](const std::string& rel, double hz) { Write(raw + "/" + rel, SerializeWav16(Tone(hz, 22050), 22050, 1)); };
  chunk("chunks/dev/30_0000.wav", 300);
  chunk("chunks/dev/10_0000.wav", 1000);
  chunk("chunks/dev/30_0001.wav", 350);
  chunk("chunks/dev/20_0000.wav", 2000);
  chunk("chunks/dev/10_0001.wav", 1100);
  chunk("chunks/dev/40_0000.wav", 500);
  chunk("chunks/eval/5_0000.wav", 700);
  chunk("chunks/eval/6_0000.wav", 800);
  chunk("chunks/eval/6_0001.wav", 900);
  // Paths as the manifests hold them: from the machine that made them.
  Write(raw + "/chunks/tr.csv",
        "files,labels,ext\n"
        "/home/someone/data/chunks/dev/30_0000.wav,\"Label_3,Label_199\",30\n"
        "/home/someone/data/chunks/dev/10_0000.wav,Label_0,10\r\n"
        "/home/someone/data/chunks/dev/30_0001.wav,\"Label_3,Label_199\",30\n"
        "/home/someone/data/chunks/dev/20_0000.wav,\"Label_5,Label_6,Label_7\",20\n"
        "/home/someone/data/chunks/dev/10_0001.wav,Label_0,10\n");
  Write(raw + "/chunks/val.csv", "files,labels,ext\ndata/chunks/dev/40_0000.wav,Label_42,40\n");
  Write(raw + "/chunks/eval.csv",
        "files,labels,ext\n"
        "chunks/eval/5_0000.wav,Label_1,5\n"
        "chunks/eval/6_0000.wav,\"Label_2,Label_1\",6\n"
        "chunks/eval/6_0001.wav,\"Label_2,Label_1\",6\n");
  Write(raw + "/noise_22050/b.wav", SerializeWav16(Tone(60, 44100), 22050, 1));
  Write(raw + "/noise_22050/a.wav", SerializeWav16(Tone(90, 11025), 22050, 1));  // 0.5 s: tiled to 1 s
  return raw;
}

PrepareOptions Lenient() {
  PrepareOptions o;
  o.allow_count_mismatch = true;
  o.threads = 2;
  return o;
}

std::vector<float> Expected(const std::string& path) {
  absl::StatusOr<Wav> w = ReadWav(path);
  NB_CHECK(w.ok(), std::string(w.status().message()));
  return FsdLogMel(ToMono(*w)).ToVector<float>();
}

TEST(Fsd50kPrepare, RoundTrip) {
  const std::string raw = MakeRaw("raw_ok"), out = TempDir("out_ok") + "/ds";
  Fsd50kTask task;
  ASSERT_TRUE(task.Prepare(raw, out, Lenient()).ok()) << task.Prepare(raw, out, Lenient());
  absl::StatusOr<Dataset> d = OpenDataset(out, "fsd50k");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->manifest.source, "real");
  // Clips ascending by id; a clip's chunks in manifest order.
  EXPECT_EQ(d->arrays.at("train_clip_id").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{10, 20, 30}));
  EXPECT_EQ(d->arrays.at("train_chunk_clip").ToTensor().ToVector<int64_t>(),
            (std::vector<int64_t>{0, 0, 1, 2, 2}));
  const char* order[] = {"10_0000", "10_0001", "20_0000", "30_0000", "30_0001"};
  const float* spec = d->arrays.at("train_spec").data<float>();
  for (int i = 0; i < 5; ++i) {
    const std::vector<float> e = Expected(raw + "/chunks/dev/" + order[i] + ".wav");
    ASSERT_EQ(std::vector<float>(spec + i * 96 * 101, spec + (i + 1) * 96 * 101), e) << order[i];
  }
  const uint8_t* l = d->arrays.at("train_labels").data<uint8_t>();
  int total = 0;
  for (int k = 0; k < 600; ++k) total += l[k];
  EXPECT_EQ(total, 1 + 3 + 2);
  EXPECT_EQ(l[0 * 200 + 0], 1);
  EXPECT_EQ(l[1 * 200 + 7], 1);
  EXPECT_EQ(l[2 * 200 + 199], 1);
  EXPECT_EQ(d->arrays.at("eval_chunk_clip").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
  // Noise: sorted by file name (a.wav tiled to 1 s -> 101 frames, b.wav 2 s -> 201 frames).
  EXPECT_EQ(d->arrays.at("noise_offsets").ToTensor().ToVector<int64_t>(), (std::vector<int64_t>{0, 101, 302}));
  const std::vector<float> a = Expected(raw + "/noise_22050/a.wav");
  const ArrayView& noise = d->arrays.at("noise_spec");
  EXPECT_EQ(noise.data<float>()[5 * 302 + 7], a[5 * 101 + 7]);

  DataOptions o;
  auto td = task.Build(*d, o);
  ASSERT_TRUE(td.ok()) << td.status();
  EXPECT_EQ(td->train->size(), 3);
  EXPECT_EQ(td->val->size(), 1);
  EXPECT_EQ(td->test->size(), 3);
}

TEST(Fsd50kPrepare, SameBytesWithOneThread) {
  const std::string raw = MakeRaw("raw_threads"), out1 = TempDir("out_t1") + "/ds", out2 = TempDir("out_t2") + "/ds";
  Fsd50kTask task;
  PrepareOptions one = Lenient();
  one.threads = 1;
  ASSERT_TRUE(task.Prepare(raw, out1, one).ok());
  ASSERT_TRUE(task.Prepare(raw, out2, Lenient()).ok());
  EXPECT_EQ(*io::ReadFile(out1 + "/train_spec.npy"), *io::ReadFile(out2 + "/train_spec.npy"));
  EXPECT_EQ(*io::ReadFile(out1 + "/noise_spec.npy"), *io::ReadFile(out2 + "/noise_spec.npy"));
}

std::string PrepareError(const std::string& raw, const PrepareOptions& o = Lenient()) {
  const std::string out = raw + "_out";
  absl::Status s = Fsd50kTask().Prepare(raw, out, o);
  EXPECT_FALSE(LooksLikeDataset(out)) << "a failed Prepare wrote " << out;
  return std::string(s.message());
}

TEST(Fsd50kPrepare, BrokenInputsNameTheFileAndProblem) {
  {
    const std::string raw = MakeRaw("raw_count");
    EXPECT_THAT(PrepareError(raw, PrepareOptions{}), HasSubstr("tr.csv: 3 clips, expected 36796"));
  }
  {
    const std::string raw = MakeRaw("raw_map");
    fs::remove(raw + "/chunks/lbl_map.json");
    EXPECT_THAT(PrepareError(raw), HasSubstr("lbl_map.json"));
  }
  {
    const std::string raw = MakeRaw("raw_label");
    Write(raw + "/chunks/val.csv", "files,labels,ext\nchunks/dev/40_0000.wav,\"Label_1,Nope\",40\n");
    EXPECT_THAT(PrepareError(raw), HasSubstr("val.csv: line 2: label 'Nope' is not in lbl_map.json"));
  }
  {
    const std::string raw = MakeRaw("raw_missing");
    fs::remove(raw + "/chunks/dev/30_0001.wav");
    EXPECT_THAT(PrepareError(raw), HasSubstr("tr.csv: line 4: chunk '/home/someone/data/chunks/dev/30_0001.wav' not found"));
  }
  {
    const std::string raw = MakeRaw("raw_rate");
    Write(raw + "/chunks/eval/6_0001.wav", SerializeWav16(Tone(500, 16000, 16000), 16000, 1));
    EXPECT_THAT(PrepareError(raw), HasSubstr("6_0001.wav: sample rate 16000 Hz, expected 22050 Hz"));
  }
  {
    const std::string raw = MakeRaw("raw_trunc");
    const std::string wav = SerializeWav16(Tone(500, 22050), 22050, 1);
    Write(raw + "/chunks/dev/20_0000.wav", wav.substr(0, 30));
    EXPECT_THAT(PrepareError(raw), HasSubstr("20_0000.wav"));
  }
  {
    const std::string raw = MakeRaw("raw_long");
    Write(raw + "/chunks/dev/20_0000.wav", SerializeWav16(Tone(500, 44100), 22050, 1));
    EXPECT_THAT(PrepareError(raw), HasSubstr("20_0000.wav: gives a [96, 201] log-mel, expected a 1-s chunk"));
  }
  {
    const std::string raw = MakeRaw("raw_noise");
    fs::remove_all(raw + "/noise_22050");
    EXPECT_THAT(PrepareError(raw), HasSubstr("noise_22050: cannot list the noise folder"));
  }
  {
    const std::string raw = MakeRaw("raw_csv");
    Write(raw + "/chunks/eval.csv", "files,labels,ext\nchunks/eval/5_0000.wav,\"Label_1,5\n");
    EXPECT_THAT(PrepareError(raw), HasSubstr("eval.csv: line 3: a quoted field is not closed"));
  }
  {
    const std::string raw = MakeRaw("raw_ext");
    Write(raw + "/chunks/val.csv", "files,labels,ext\nchunks/dev/40_0000.wav,Label_1,4x\n");
    EXPECT_THAT(PrepareError(raw), HasSubstr("val.csv: line 2: ext '4x' is not an integer clip id"));
  }
}

}  // namespace
}  // namespace nb360::tasks
