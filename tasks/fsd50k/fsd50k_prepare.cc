// tasks/fsd50k/fsd50k_prepare.cc: Fsd50kTask::Prepare, chunk wavs -> log-mel spectrograms.
//
// Reads raw_dir/chunks/{tr,val,eval}.csv (columns files, labels, ext), raw_dir/chunks/lbl_map.json and
// raw_dir/noise_22050/*.wav (sorted by name), computes FsdLogMel of every chunk and noise file with
// options.threads workers, and writes the canonical arrays of fsd50k.h. A manifest path is resolved
// as given (absolute), else as the shortest tail of it that exists under raw_dir (the manifests hold
// paths from the machine that made them, e.g. /home/x/data/chunks/dev/64760_0000.wav).
// Left out: resampling (the chunks must already be 22,050 Hz) and re-chunking long clips.
#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "tasks/common/logmel.h"
#include "tasks/common/wav.h"
#include "tasks/fsd50k/csv.h"
#include "tasks/common/parallel_jobs.h"
#include "tasks/fsd50k/fsd50k.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;

constexpr int kSampleRate = 22050;

absl::StatusOr<std::map<std::string, int64_t>> ReadLabelMap(const std::string& path) {
  absl::StatusOr<std::string> text = io::ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<io::JsonValue> json = io::ParseJson(*text);
  if (!json.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", json.status().message()));
  if (!json->is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON object"));
  std::map<std::string, int64_t> map;
  std::vector<bool> seen(kFsdClasses, false);
  for (const auto& [name, v] : json->as_object()) {
    if (!v.is_int() || v.as_int() < 0 || v.as_int() >= kFsdClasses || seen[v.as_int()]) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": label '", name, "' has index ", v.Serialize(),
                                                     ", expected a distinct integer in [0, ", kFsdClasses, ")"));
    }
    seen[v.as_int()] = true;
    map[name] = v.as_int();
  }
  if (static_cast<int64_t>(map.size()) != kFsdClasses) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", map.size(), " labels, expected ", kFsdClasses));
  }
  return map;
}

absl::StatusOr<std::string> ResolveFile(const std::string& raw_dir, const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (p.is_absolute() && fs::is_regular_file(p, ec)) return path;
  std::vector<std::string> parts;
  for (const fs::path& part : p.relative_path()) parts.push_back(part.string());
  for (size_t k = 0; k < parts.size(); ++k) {
    fs::path candidate(raw_dir);
    for (size_t j = k; j < parts.size(); ++j) candidate /= parts[j];
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return absl::NotFoundError(absl::StrCat("'", path, "' not found (nor any tail of it under ", raw_dir, ")"));
}

struct Clip {
  int64_t id;
  std::string labels;
  int64_t line;
  std::vector<std::string> files;
};

// The clips of one manifest in ascending id order, chunk files resolved.
absl::StatusOr<std::vector<Clip>> ReadManifest(const std::string& csv_path, const std::string& raw_dir) {
  absl::StatusOr<std::string> text = io::ReadFile(csv_path);
  if (!text.ok()) return text.status();
  absl::StatusOr<CsvTable> table = ParseCsv(*text, csv_path);
  if (!table.ok()) return table.status();
  const int files = table->Column("files"), labels = table->Column("labels"), ext = table->Column("ext");
  if (files < 0 || labels < 0 || ext < 0) {
    return absl::InvalidArgumentError(absl::StrCat(csv_path, ": the header needs the columns files, labels, ext"));
  }
  std::map<int64_t, Clip> clips;
  for (size_t r = 0; r < table->rows.size(); ++r) {
    const std::vector<std::string>& row = table->rows[r];
    const int64_t line = table->row_lines[r];
    char* end = nullptr;
    errno = 0;
    const long long id = std::strtoll(row[ext].c_str(), &end, 10);
    if (row[ext].empty() || *end != '\0' || errno != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(csv_path, ": line ", line, ": ext '", row[ext], "' is not an integer clip id"));
    }
    absl::StatusOr<std::string> file = ResolveFile(raw_dir, row[files]);
    if (!file.ok()) return absl::NotFoundError(absl::StrCat(csv_path, ": line ", line, ": chunk ", file.status().message()));
    auto [it, fresh] = clips.try_emplace(id, Clip{id, row[labels], line, {}});
    it->second.files.push_back(*std::move(file));
  }
  std::vector<Clip> out;
  for (auto& [id, clip] : clips) out.push_back(std::move(clip));
  return out;
}

// The log-mel feature of one wav at 22,050 Hz.
absl::StatusOr<Tensor> Feature(const std::string& path) {
  absl::StatusOr<Wav> wav = ReadWav(path);
  if (!wav.ok()) return wav.status();
  if (wav->sample_rate != kSampleRate) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": sample rate ", wav->sample_rate, " Hz, expected ", kSampleRate, " Hz"));
  }
  const std::vector<float> mono = ToMono(*wav);
  for (size_t i = 0; i < mono.size(); ++i) {
    if (!std::isfinite(mono[i])) return absl::InvalidArgumentError(absl::StrCat(path, ": non-finite sample ", i));
  }
  return FsdLogMel(mono);
}

// Runs job(i) for i in [0, n) on `threads` workers; the error of the lowest failing index wins.
absl::Status PrepareSplit(const std::string& raw_dir, const std::string& csv, const std::string& name,
                          int64_t expected_clips, const std::map<std::string, int64_t>& label_map,
                          const PrepareOptions& options, DatasetWriter* writer, std::string* summary) {
  const std::string csv_path = raw_dir + "/chunks/" + csv;
  absl::StatusOr<std::vector<Clip>> clips = ReadManifest(csv_path, raw_dir);
  if (!clips.ok()) return clips.status();
  const int64_t n_clips = static_cast<int64_t>(clips->size());
  if (n_clips != expected_clips && !options.allow_count_mismatch) {
    return absl::InvalidArgumentError(absl::StrCat(csv_path, ": ", n_clips, " clips, expected ", expected_clips,
                                                   " (pass --allow_count_mismatch for a partial download)"));
  }
  if (n_clips == 0) return absl::InvalidArgumentError(absl::StrCat(csv_path, ": no rows"));
  Tensor labels = Tensor::Zeros({n_clips, kFsdClasses}, DType::kUInt8);
  Tensor clip_id = Tensor::Empty({n_clips}, DType::kInt64);
  std::vector<std::string> files;
  std::vector<int64_t> chunk_clip;
  for (int64_t c = 0; c < n_clips; ++c) {
    const Clip& clip = (*clips)[c];
    clip_id.data<int64_t>()[c] = clip.id;
    for (const std::string& l : SplitOn(clip.labels, ',')) {
      auto it = label_map.find(l);
      if (it == label_map.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(csv_path, ": line ", clip.line, ": label '", l, "' is not in lbl_map.json"));
      }
      labels.data<uint8_t>()[c * kFsdClasses + it->second] = 1;
    }
    for (const std::string& f : clip.files) {
      files.push_back(f);
      chunk_clip.push_back(c);
    }
  }
  const int64_t n_chunks = static_cast<int64_t>(files.size());
  // Spectrograms go straight to disk (the real set is ~30 GB): one row per chunk.
  absl::StatusOr<DatasetWriter::ArrayFile*> spec =
      writer->Create(name + "_spec", DType::kFloat32, {n_chunks, kFsdMels, kFsdFrames});
  if (!spec.ok()) return spec.status();
  absl::Status s = ParallelJobs(n_chunks, options.threads, [&](int64_t i) -> absl::Status {
    absl::StatusOr<Tensor> f = Feature(files[i]);
    if (!f.ok()) return f.status();
    if (f->shape() != Shape{kFsdMels, kFsdFrames}) {
      return absl::InvalidArgumentError(absl::StrCat(files[i], ": gives a ", ShapeString(f->shape()),
                                                     " log-mel, expected a 1-s chunk (96, 101)"));
    }
    return (*spec)->WriteRows(i, 1, f->data<float>());
  });
  if (!s.ok()) return s;
  for (const auto& [suffix, t] : {std::pair<std::string, Tensor>{"_chunk_clip", Tensor::FromVector(chunk_clip, {n_chunks})},
                                  {"_clip_id", clip_id},
                                  {"_labels", labels}}) {
    s = writer->Add(name + suffix, t);
    if (!s.ok()) return s;
  }
  absl::StrAppend(summary, summary->empty() ? "" : ", ", name, " ", n_clips, " clips / ", n_chunks, " chunks");
  return absl::OkStatus();
}

absl::Status PrepareNoise(const std::string& raw_dir, const PrepareOptions& options, DatasetWriter* writer,
                          std::string* summary) {
  const std::string dir = raw_dir + "/noise_22050";
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".wav") files.push_back(it->path().string());
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list the noise folder (", ec.message(), ")"));
  if (files.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no .wav files (training mixes in noise)"));
  std::sort(files.begin(), files.end());
  std::vector<Tensor> feats(files.size());
  absl::Status s = ParallelJobs(static_cast<int64_t>(files.size()), options.threads, [&](int64_t i) -> absl::Status {
    absl::StatusOr<Tensor> f = Feature(files[i]);
    if (!f.ok()) return f.status();
    feats[i] = *std::move(f);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  std::vector<int64_t> offsets = {0};
  for (const Tensor& f : feats) offsets.push_back(offsets.back() + f.size(1));
  const int64_t frames = offsets.back();
  Tensor noise = Tensor::Empty({kFsdMels, frames}, DType::kFloat32);
  for (size_t n = 0; n < feats.size(); ++n) {
    const int64_t w = feats[n].size(1);
    for (int64_t r = 0; r < kFsdMels; ++r) {
      std::copy_n(feats[n].data<float>() + r * w, w, noise.data<float>() + r * frames + offsets[n]);
    }
  }
  s = writer->Add("noise_spec", noise);
  if (!s.ok()) return s;
  s = writer->Add("noise_offsets", Tensor::FromVector(offsets, {static_cast<int64_t>(offsets.size())}));
  if (!s.ok()) return s;
  absl::StrAppend(summary, ", ", files.size(), " noise files / ", frames, " frames");
  return absl::OkStatus();
}

}  // namespace

absl::Status Fsd50kTask::Prepare(const std::string& raw_dir, const std::string& out_dir,
                                 const PrepareOptions& options) const {
  absl::StatusOr<std::map<std::string, int64_t>> label_map = ReadLabelMap(raw_dir + "/chunks/lbl_map.json");
  if (!label_map.ok()) return label_map.status();
  absl::StatusOr<std::unique_ptr<DatasetWriter>> writer = DatasetWriter::Begin(out_dir);
  if (!writer.ok()) return writer.status();
  std::string summary;
  const struct {
    const char* csv;
    const char* name;
    int64_t clips;
  } splits[] = {{"tr.csv", "train", kFsdTrainClips}, {"val.csv", "val", kFsdValClips}, {"eval.csv", "eval", kFsdEvalClips}};
  for (const auto& sp : splits) {
    absl::Status s = PrepareSplit(raw_dir, sp.csv, sp.name, sp.clips, *label_map, options, writer->get(), &summary);
    if (!s.ok()) return s;
  }
  absl::Status s = PrepareNoise(raw_dir, options, writer->get(), &summary);
  if (!s.ok()) return s;
  DatasetManifest m{"fsd50k", "real",
                    absl::StrCat("FSD50K 1-s chunks at 22,050 Hz (NAS-Bench-360 audio.zip), FsdLogMel (96 mels, 101 "
                                 "frames): ", summary,
                                 options.allow_count_mismatch ? " (count mismatch allowed)" : "")};
  return (*writer)->Commit(m);
}

}  // namespace nb360::tasks
