// tasks/cosmic/cosmic_synthetic.cc: the deterministic synthetic Cosmic dataset.
//
// Each 128 x 128 stamp is sky (a per-visit level, 8 stamps per visit, stored as the stamp's sky value)
// + a few smooth elliptical Gaussian "galaxies" + Gaussian read/photon noise, then sharp cosmic rays
// (1-2 pixel hits and thin streaks, 150-1500 counts above the background) that form the CR mask, and a
// few ignored pixels (a short bad-column segment and scattered hot pixels; mask 0 there). A small
// convolutional net separates the sharp hits from the smooth sources.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/rng.h"
#include "tasks/cosmic/cosmic.h"
#include "tasks/cosmic/cosmic_raw.h"

namespace nb360::tasks {
namespace {

using cosmic::kCropSize;
using cosmic::kPlanes;

constexpr int64_t kN = kCropSize;
constexpr int64_t kStampsPerVisit = 8;
constexpr double kDefaultFraction = 0.02;

double U(Generator* g, double lo, double hi) { return lo + (hi - lo) * g->NextDouble(); }

void AddGalaxies(Generator* g, float* image) {
  const int64_t count = 1 + g->RandInt(4);
  for (int64_t k = 0; k < count; ++k) {
    const double cx = U(g, 0, kN), cy = U(g, 0, kN);
    const double sx = U(g, 2.5, 12.0), sy = U(g, 2.5, 12.0);
    const double amp = U(g, 20.0, 400.0);
    const double theta = U(g, 0, M_PI);
    const double c = std::cos(theta), s = std::sin(theta);
    for (int64_t r = 0; r < kN; ++r) {
      for (int64_t col = 0; col < kN; ++col) {
        const double dx = col - cx, dy = r - cy;
        const double u = (c * dx + s * dy) / sx, v = (-s * dx + c * dy) / sy;
        const double q = 0.5 * (u * u + v * v);
        if (q < 20.0) image[r * kN + col] += static_cast<float>(amp * std::exp(-q));
      }
    }
  }
}

void Hit(int64_t r, int64_t c, double amp, float* image, float* mask) {
  if (r < 0 || r >= kN || c < 0 || c >= kN) return;
  image[r * kN + c] += static_cast<float>(amp);
  mask[r * kN + c] = 1.0f;
}

void AddCosmicRays(Generator* g, float* image, float* mask) {
  const int64_t count = 3 + g->RandInt(10);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t r0 = g->RandInt(kN), c0 = g->RandInt(kN);
    if (g->NextDouble() < 0.5) {  // a point hit of 1-2 pixels
      Hit(r0, c0, U(g, 150.0, 1500.0), image, mask);
      if (g->NextDouble() < 0.5) Hit(r0 + g->RandInt(2), c0 + 1 - g->RandInt(2), U(g, 150.0, 1000.0), image, mask);
      continue;
    }
    const double len = U(g, 4.0, 20.0), theta = U(g, 0, 2 * M_PI);
    const double amp = U(g, 150.0, 1500.0);
    for (double t = 0; t <= len; t += 0.5) {
      Hit(static_cast<int64_t>(std::lround(r0 + t * std::sin(theta))),
          static_cast<int64_t>(std::lround(c0 + t * std::cos(theta))), amp * U(g, 0.7, 1.0) / 2, image, mask);
    }
  }
}

void AddIgnored(Generator* g, float* image, float* mask, float* ignore) {
  auto set = [&](int64_t r, int64_t c) {
    if (r < 0 || r >= kN || c < 0 || c >= kN) return;
    image[r * kN + c] = static_cast<float>(U(g, 2000.0, 5000.0));
    mask[r * kN + c] = 0.0f;
    ignore[r * kN + c] = 1.0f;
  };
  if (g->NextDouble() < 0.5) {  // bad column segment
    const int64_t c = g->RandInt(kN), r0 = g->RandInt(kN), len = 5 + g->RandInt(20);
    for (int64_t r = r0; r < r0 + len; ++r) set(r, c);
  }
  const int64_t hot = g->RandInt(6);
  for (int64_t k = 0; k < hot; ++k) set(g->RandInt(kN), g->RandInt(kN));
}

// n stamps (N, 3, 128, 128) and their sky levels (N).
void MakeStamps(Generator* g, int64_t n, Tensor* stacks, Tensor* sky) {
  *stacks = Tensor::Zeros({n, kPlanes, kN, kN}, DType::kFloat32);
  *sky = Tensor::Empty({n}, DType::kFloat64);
  Tensor noise = Tensor::Empty({kN * kN}, DType::kFloat32);
  double level = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if (i % kStampsPerVisit == 0) level = U(g, 30.0, 300.0);
    sky->data<double>()[i] = level;
    float* image = stacks->data<float>() + i * kPlanes * kN * kN;
    float* mask = image + kN * kN;
    float* ignore = mask + kN * kN;
    g->Normal(noise, 0.0, 1.0);
    const float sigma = static_cast<float>(std::sqrt(level) * 0.5 + 2.0);
    for (int64_t k = 0; k < kN * kN; ++k) image[k] = static_cast<float>(level) + sigma * noise.data<float>()[k];
    AddGalaxies(g, image);
    AddCosmicRays(g, image, mask);
    AddIgnored(g, image, mask, ignore);
  }
}

}  // namespace

namespace cosmic {

int64_t SyntheticPoolSize(double fraction) {
  const double f = fraction > 0 ? fraction : kDefaultFraction;
  return std::max<int64_t>(20, std::llround(kTrainPool * f));
}

int64_t SyntheticTestSize(double fraction) {
  const double f = fraction > 0 ? fraction : kDefaultFraction;
  return std::max<int64_t>(4, std::llround(kTest * f));
}

}  // namespace cosmic

Dataset CosmicTask::MakeSynthetic(const SyntheticOptions& options) const {
  const Generator root = Generator(options.seed).Fork("cosmic/synthetic");
  Generator train_rng = root.Fork("train");
  Generator test_rng = root.Fork("test");
  Tensor train_x, train_sky, test_x, test_sky;
  const int64_t n_pool = cosmic::SyntheticPoolSize(options.fraction);
  const int64_t n_test = cosmic::SyntheticTestSize(options.fraction);
  MakeStamps(&train_rng, n_pool, &train_x, &train_sky);
  MakeStamps(&test_rng, n_test, &test_x, &test_sky);
  DatasetManifest manifest;
  manifest.task = info_.name;
  manifest.source = "synthetic";
  manifest.description = absl::StrCat(
      "synthetic Cosmic (seed ", options.seed, "): ", n_pool, " pool + ", n_test,
      " test 128x128 stamps of sky + Gaussian galaxies + noise with sharp cosmic-ray hits/streaks (the mask) and a "
      "few ignored pixels; sky level per visit of 8 stamps");
  return InMemoryDataset(manifest, {{"train_x", train_x}, {"train_sky", train_sky},
                                    {"test_x", test_x}, {"test_sky", test_sky}});
}

}  // namespace nb360::tasks
