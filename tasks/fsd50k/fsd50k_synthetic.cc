// tasks/fsd50k/fsd50k_synthetic.cc: Fsd50kTask::MakeSynthetic, spectrogram-like chunks whose labels
// are visible.
//
// Every clip has 1-3 labels (85% of them from the 24 most frequent classes, the rest from all 200,
// a long tail like the real vocabulary's) and 1-4 chunks (96, 101). Class c owns a 2-bin mel band (2 * (c % 48))
// and a temporal on/off period (4, 6, 8, 12 or 16 frames by c / 48) with a random onset per chunk;
// a label adds its band pattern (+12 dB on, +4 dB off) to a noise floor, and the chunk is zero-centred
// like the real feature. Noise spectrograms (3, 150-300 frames) are smooth random fields. Clip counts
// keep the real train / val / eval proportions (36,796 / 4,170 / 10,231); clip ids are increasing.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "tasks/fsd50k/fsd50k.h"

namespace nb360::tasks {
namespace {

constexpr int64_t kPeriods[5] = {4, 6, 8, 12, 16};
constexpr int64_t kFrequentClasses = 24;

void AddChunk(const std::vector<int64_t>& labels, Generator& rng, std::vector<float>* spec) {
  std::vector<double> x(kFsdMels * kFsdFrames);
  for (double& v : x) v = -30.0 + 3.0 * (rng.NextDouble() - 0.5) * 2.0;
  for (int64_t c : labels) {
    const int64_t band = 2 * (c % 48), period = kPeriods[c / 48], phase = rng.RandInt(period);
    for (int64_t r = band; r < band + 2; ++r) {
      for (int64_t t = 0; t < kFsdFrames; ++t) x[r * kFsdFrames + t] += ((t + phase) % period) < period / 2 ? 12 : 4;
    }
  }
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (double v : x) spec->push_back(static_cast<float>(v - mean));
}

struct SplitArrays {
  std::vector<float> spec;
  std::vector<int64_t> chunk_clip, clip_id;
  std::vector<uint8_t> labels;
};

SplitArrays MakeSplit(int64_t clips, int64_t first_id, Generator& rng) {
  SplitArrays s;
  for (int64_t i = 0; i < clips; ++i) {
    s.clip_id.push_back(first_id + 3 * i + rng.RandInt(3));
    std::vector<int64_t> labels;
    const int64_t k = 1 + rng.RandInt(3);
    while (static_cast<int64_t>(labels.size()) < k) {
      // Long-tailed like the real vocabulary: most labels come from kFrequentClasses classes.
      const int64_t c = rng.NextDouble() < 0.85 ? rng.RandInt(kFrequentClasses) : rng.RandInt(kFsdClasses);
      if (std::find(labels.begin(), labels.end(), c) == labels.end()) labels.push_back(c);
    }
    const size_t row = s.labels.size();
    s.labels.resize(row + kFsdClasses, 0);
    for (int64_t c : labels) s.labels[row + c] = 1;
    const int64_t chunks = 1 + rng.RandInt(4);
    for (int64_t j = 0; j < chunks; ++j) {
      AddChunk(labels, rng, &s.spec);
      s.chunk_clip.push_back(i);
    }
  }
  return s;
}

}  // namespace

Dataset Fsd50kTask::MakeSynthetic(const SyntheticOptions& options) const {
  Generator rng = Generator(options.seed).Fork("fsd50k/synthetic");
  const double f = options.fraction > 0 ? options.fraction : 600.0 / kFsdTrainClips;
  auto count = [&](int64_t real) { return std::max<int64_t>(8, std::llround(f * real)); };
  std::map<std::string, Tensor> arrays;
  const std::pair<const char*, int64_t> splits[] = {
      {"train", count(kFsdTrainClips)}, {"val", count(kFsdValClips)}, {"eval", count(kFsdEvalClips)}};
  int64_t first_id = 1000;
  std::string sizes;
  for (const auto& [name, clips] : splits) {
    SplitArrays s = MakeSplit(clips, first_id, rng);
    first_id += 3 * clips + 10;
    const int64_t chunks = static_cast<int64_t>(s.chunk_clip.size());
    absl::StrAppend(&sizes, sizes.empty() ? "" : ", ", name, " ", clips, " clips / ", chunks, " chunks");
    const std::string p = name;
    arrays[p + "_spec"] = Tensor::FromVector(s.spec, {chunks, kFsdMels, kFsdFrames});
    arrays[p + "_chunk_clip"] = Tensor::FromVector(s.chunk_clip, {chunks});
    arrays[p + "_clip_id"] = Tensor::FromVector(s.clip_id, {clips});
    arrays[p + "_labels"] = Tensor::FromVector(s.labels, {clips, kFsdClasses});
  }
  std::vector<float> noise;
  std::vector<int64_t> offsets = {0};
  std::vector<std::vector<float>> cols;
  for (int n = 0; n < 3; ++n) {
    const int64_t w = 150 + rng.RandInt(151);
    for (int64_t t = 0; t < w; ++t) {
      std::vector<float> col(kFsdMels);
      for (int64_t r = 0; r < kFsdMels; ++r) {
        col[r] = static_cast<float>(8.0 * std::sin(0.1 * r * (n + 1) + 0.05 * t) + 4.0 * (rng.NextDouble() - 0.5));
      }
      cols.push_back(std::move(col));
    }
    offsets.push_back(offsets.back() + w);
  }
  const int64_t frames = offsets.back();
  noise.resize(kFsdMels * frames);
  for (int64_t t = 0; t < frames; ++t) {
    for (int64_t r = 0; r < kFsdMels; ++r) noise[r * frames + t] = cols[t][r];
  }
  arrays["noise_spec"] = Tensor::FromVector(noise, {kFsdMels, frames});
  arrays["noise_offsets"] = Tensor::FromVector(offsets, {4});
  DatasetManifest m{"fsd50k", "synthetic",
                    absl::StrCat("synthetic FSD50K log-mel chunks (96 x 101): class = mel band x on/off period, ",
                                 sizes, ", 3 noise spectrograms, seed ", options.seed)};
  return InMemoryDataset(m, arrays);
}

}  // namespace nb360::tasks
