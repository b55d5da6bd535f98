// tasks/fsd50k/fsd50k.h: the FSD50K task (multi-label sound event classification, spec §4).
//
// Canonical dataset (log-mel features computed once by Prepare; split s in {train, val, eval}):
//   <s>_spec        float32 (chunks, 96, 101)  FsdLogMel of every 1-s chunk, grouped by clip
//   <s>_chunk_clip  int64   (chunks)           clip index of each chunk (0, 0, 1, 1, 1, 2, ...)
//   <s>_clip_id     int64   (clips)            FSD50K clip id (the manifests' `ext`), ascending
//   <s>_labels      uint8   (clips, 200)       multi-hot labels per clip (lbl_map.json indices)
//   noise_spec      float32 (96, frames)       FsdLogMel of every background-noise file, concatenated
//   noise_offsets   int64   (noises + 1)       noise n is columns [offsets[n], offsets[n+1])
// Clips come in ascending id order (np.unique of `ext`); a clip's chunks keep manifest order.
//
// Build: training items are clips; each read picks one random chunk of the clip and applies the
// training transform (pad to 101 frames, wrap with p = 0.5 else the minimum; SpecAugment with p = 0.5,
// 1-2 masks of <= 15 % mel bins and <= 20 % frames set to the minimum; random crop to 101), then with
// p = 0.75 mixes (1 - a) x + a n with a ~ U(0, 0.5) and n a random noise spectrogram through the same
// transform. Evaluation sets are all chunks of the val / eval clips (group = clip index, y = the clip's
// multi-hot), scored by FsdClipMetric. DARTS variants drop the first frame (width 100).
// Left out: the DARTS bi-level pairing (search code), the original's zero-padding collate (every sample
// here is already 101 frames).
#ifndef NB360_TASKS_FSD50K_FSD50K_H_
#define NB360_TASKS_FSD50K_FSD50K_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/rng.h"
#include "tasks/common/task.h"

namespace nb360::tasks {

inline constexpr int64_t kFsdMels = 96;
inline constexpr int64_t kFsdFrames = 101;
inline constexpr int64_t kFsdClasses = 200;
inline constexpr int64_t kFsdTrainClips = 36796;
inline constexpr int64_t kFsdValClips = 4170;
inline constexpr int64_t kFsdEvalClips = 10231;

// A read-only (96, w) spectrogram whose rows are `stride` floats apart.
struct SpecView {
  const float* data = nullptr;
  int64_t width = 0;
  int64_t stride = 0;
  float min_value = 0;  // minimum over the whole (96, w) spectrogram
};

// Minimum of a (96, w) view's values.
float SpecMin(const float* data, int64_t width, int64_t stride);

// PadToSize(size): when w < size, pads offset = (size - w) / 2 frames on the left and the rest on the
// right, either periodically (wrap) or with the minimum. out: (96, max(w, size)) row-major.
void FsdPad(const SpecView& x, int64_t size, bool wrap, std::vector<float>* out);

// The original's training transform of one spectrogram to out (96, size): random pad mode (p = 0.5
// wrap), SpecAugment with p = 0.5, random crop of `size` frames.
void FsdTrainTransform(const SpecView& x, int64_t size, Generator* rng, float* out);

class Fsd50kTask : public Task {
 public:
  Fsd50kTask();
  const TaskInfo& info() const override { return info_; }
  Dataset MakeSynthetic(const SyntheticOptions& options) const override;
  absl::Status Prepare(const std::string& raw_dir, const std::string& out_dir,
                       const PrepareOptions& options) const override;
  absl::StatusOr<TaskData> Build(const Dataset& data, const DataOptions& options) const override;

 private:
  TaskInfo info_;
};

std::unique_ptr<Task> NewFsd50kTask();

}  // namespace nb360::tasks

#endif  // NB360_TASKS_FSD50K_FSD50K_H_
