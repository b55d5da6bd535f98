// tasks/psicov/psicov_features.h: the per-protein arithmetic of PSICOV (tasks spec §6.2-6.4): the
// distance-map repair and checks, and the assembly of one (57, W, W) input window and its (W, W)
// target from the packed canonical arrays.
//
// Packed protein (what Prepare stores per protein of length L):
//   feat1d (L, 27) float32: per residue ss[0..2], pssm[0..21], sa, entropy (kFeat1d columns);
//   pair   (4, L, L) float32: ccmpred, freecon, potential, and the repaired Cβ distance map.
// Window assembly: the protein sits at offset 5 of an (L+10)² padded canvas (input 0, target 100
// around it); if L+10 <= W that canvas goes to the top-left of the W x W window (0 / 100 elsewhere),
// else the window is the crop [rx, rx+W) x [ry, ry+W) of the canvas. Channel 2k of 1-D feature k
// varies along columns (X[r,c] = f[c]), channel 2k+1 along rows (X[r,c] = f[r]); channels 54-56 are
// the three 2-D maps. Training/validation clip the target at 16; NaN becomes 0 in both.
// Left out: CAMEO (NaN distances), contact/bin targets, label engineering other than clipping.
#ifndef NB360_TASKS_PSICOV_PSICOV_FEATURES_H_
#define NB360_TASKS_PSICOV_PSICOV_FEATURES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace nb360::tasks::psicov {

inline constexpr int64_t kChannels = 57;
inline constexpr int64_t kFeat1d = 27;      // 3 ss + 22 pssm + sa + entropy
inline constexpr int64_t kPairMaps = 4;     // ccmpred, freecon, potential, distance
inline constexpr int64_t kPad = 10;         // canvas padding (offset kPad / 2 = 5)
inline constexpr int64_t kTrainWindow = 128;
inline constexpr int64_t kTestWindow = 512;
inline constexpr float kPadTarget = 100.0f;
inline constexpr float kClip = 16.0f;
inline constexpr double kFeatureBound = 100.0;  // features must lie strictly inside (-100, 100)
inline constexpr double kMaxDistance = 500.0;

// One packed protein (see above); pointers into the canonical arrays.
struct ProteinView {
  int64_t length = 0;
  const float* feat1d = nullptr;  // (L, 27)
  const float* pair = nullptr;    // (4, L, L)
};

// Spec §6.3 on an L x L map (row-major, double), in place: any NaN is an error (PSICOV and DeepCov
// maps must be complete); values < 1 -> 1; diagonal repair (Y[0,0] = Y[0,1], Y[L-1,L-1] = Y[L-1,L-2],
// inner Y[q,q] = mean of its row neighbours); then max <= 500 and min >= 1. Needs L >= 2. Errors
// start with `name`.
absl::Status RepairDistanceMap(std::vector<double>* map, int64_t length, std::string_view name);

// Every value of `values` lies strictly inside (-100, 100) (the original's assert); `what` names the
// file and feature.
absl::Status CheckFeatureRange(const float* values, int64_t n, std::string_view what);

// Offsets of the crop of a padded canvas of side L + 10 into a window of side w: (0, 0) when it fits,
// else independent uniform integers in [0, L + 10 - w] drawn row first from `draw(n)` (uniform in [0, n)).
template <class Draw>
void CropOffsets(int64_t length, int64_t window, Draw&& draw, int64_t* row0, int64_t* col0) {
  const int64_t side = length + kPad;
  if (side <= window) {
    *row0 = *col0 = 0;
    return;
  }
  *row0 = draw(side - window + 1);
  *col0 = draw(side - window + 1);
}

// Writes the window at crop offsets (row0, col0): x (57, W, W) and y (W, W). `clip` applies the
// training/validation clipping at 16.
void FillWindow(const ProteinView& p, int64_t window, int64_t row0, int64_t col0, bool clip, float* x, float* y);

}  // namespace nb360::tasks::psicov

#endif  // NB360_TASKS_PSICOV_PSICOV_FEATURES_H_
