// tasks/psicov/psicov_features.cc: distance-map repair and window assembly for PSICOV.
#include "tasks/psicov/psicov_features.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace nb360::tasks::psicov {
namespace {

constexpr int64_t kOffset = kPad / 2;

float NanToZero(float v) { return std::isnan(v) ? 0.0f : v; }

}  // namespace

absl::Status RepairDistanceMap(std::vector<double>* map, int64_t length, std::string_view name) {
  const std::string where(name);
  if (length < 2 || static_cast<int64_t>(map->size()) != length * length) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": distance map needs L >= 2 and L x L values (L = ", length, ")"));
  }
  std::vector<double>& y = *map;
  const int64_t n = length;
  for (int64_t k = 0; k < n * n; ++k) {
    if (std::isnan(y[k])) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": distance map has NaN at (", k / n, ", ", k % n,
                                                     ") (only CAMEO maps may have missing values)"));
    }
  }
  for (double& v : y) v = v < 1.0 ? 1.0 : v;
  y[0] = y[1];
  y[(n - 1) * n + (n - 1)] = y[(n - 1) * n + (n - 2)];
  for (int64_t q = 1; q + 1 < n; ++q) {
    const double left = y[q * n + q - 1], right = y[q * n + q + 1];
    if (std::isnan(y[q * n + q])) continue;
    if (std::isnan(left) && std::isnan(right)) {
      y[q * n + q] = 1.0;
    } else if (std::isnan(left)) {
      y[q * n + q] = right;
    } else if (std::isnan(right)) {
      y[q * n + q] = left;
    } else {
      y[q * n + q] = (left + right) / 2.0;
    }
  }
  for (int64_t k = 0; k < n * n; ++k) {
    if (!(y[k] <= kMaxDistance) || !(y[k] >= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": distance ", y[k], " at (", k / n, ", ", k % n,
                                                      ") is outside [1, ", kMaxDistance, "] after repair"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFeatureRange(const float* values, int64_t n, std::string_view what) {
  for (int64_t k = 0; k < n; ++k) {
    if (!(values[k] < kFeatureBound && values[k] > -kFeatureBound)) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": value ", values[k], " at flat index ", k,
                                                     " is not inside (-100, 100)"));
    }
  }
  return absl::OkStatus();
}

void FillWindow(const ProteinView& p, int64_t window, int64_t row0, int64_t col0, bool clip, float* x, float* y) {
  const int64_t w = window, n = p.length;
  const int64_t plane = w * w;
  std::fill(x, x + kChannels * plane, 0.0f);
  std::fill(y, y + plane, clip ? std::min(kPadTarget, kClip) : kPadTarget);
  // Window rows [r_lo, r_hi) hold protein rows r + row0 - 5; likewise for columns.
  const int64_t r_lo = std::max<int64_t>(0, kOffset - row0), r_hi = std::min<int64_t>(w, kOffset - row0 + n);
  const int64_t c_lo = std::max<int64_t>(0, kOffset - col0), c_hi = std::min<int64_t>(w, kOffset - col0 + n);
  if (r_lo >= r_hi || c_lo >= c_hi) return;
  for (int64_t k = 0; k < kFeat1d; ++k) {
    float* along_cols = x + (2 * k) * plane;
    float* along_rows = x + (2 * k + 1) * plane;
    for (int64_t r = r_lo; r < r_hi; ++r) {
      const float fr = NanToZero(p.feat1d[(r + row0 - kOffset) * kFeat1d + k]);
      for (int64_t c = c_lo; c < c_hi; ++c) {
        along_cols[r * w + c] = NanToZero(p.feat1d[(c + col0 - kOffset) * kFeat1d + k]);
        along_rows[r * w + c] = fr;
      }
    }
  }
  for (int64_t m = 0; m < kPairMaps; ++m) {
    const float* src = p.pair + m * n * n;
    float* dst = m < 3 ? x + (2 * kFeat1d + m) * plane : y;
    for (int64_t r = r_lo; r < r_hi; ++r) {
      const float* row = src + (r + row0 - kOffset) * n + (col0 - kOffset);
      for (int64_t c = c_lo; c < c_hi; ++c) {
        float v = row[c];
        if (m == 3 && clip && v > kClip) v = kClip;
        dst[r * w + c] = NanToZero(v);
      }
    }
  }
}

}  // namespace nb360::tasks::psicov
