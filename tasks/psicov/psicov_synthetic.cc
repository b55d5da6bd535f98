// tasks/psicov/psicov_synthetic.cc: the deterministic synthetic PSICOV dataset.
//
// Each protein (L uniform in [40, 300]) is a compact 3-D chain: consecutive residues 3.8 apart, each
// step a persistent random direction pulled towards the centre of mass, with steps that come closer
// than 3.8 to an earlier residue redrawn (up to 20 tries). Its distance map goes through the same
// repair as real maps. Features carry the signal a model can learn distance from: ccmpred = noisy
// contact indicator (d < 8), freecon = noisy exp(-d / 10), potential = noisy clamp((10 - d) / 10);
// the 1-D features (ss probabilities, pssm, sa, entropy) are random.
#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/rng.h"
#include "tasks/psicov/psicov.h"
#include "tasks/psicov/psicov_features.h"

namespace nb360::tasks {
namespace {

using psicov::kFeat1d;
using Vec = std::array<double, 3>;

constexpr double kStep = 3.8;
constexpr double kDefaultFraction = 1.0 / 36;  // 96 DeepCov + 4 PSICOV proteins

double Gauss(Generator* g) {
  const double u1 = 1.0 - g->NextDouble(), u2 = g->NextDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

double Norm(const Vec& v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

std::vector<Vec> ChainWalk(Generator* g, int64_t n) {
  std::vector<Vec> pos(n, Vec{0, 0, 0});
  Vec dir{1, 0, 0}, com{0, 0, 0};
  for (int64_t i = 1; i < n; ++i) {
    for (int k = 0; k < 3; ++k) com[k] = (com[k] * (i - 1) + pos[i - 1][k]) / i;
    Vec best{};
    for (int attempt = 0; attempt < 20; ++attempt) {
      Vec to_com, d;
      for (int k = 0; k < 3; ++k) to_com[k] = com[k] - pos[i - 1][k];
      const double dist = std::max(1.0, Norm(to_com));
      for (int k = 0; k < 3; ++k) d[k] = 0.6 * dir[k] + Gauss(g) + 0.8 * to_com[k] / dist;
      const double len = std::max(1e-9, Norm(d));
      for (int k = 0; k < 3; ++k) best[k] = pos[i - 1][k] + kStep * d[k] / len;
      bool clash = false;
      for (int64_t j = 0; j + 1 < i && !clash; ++j) {
        const Vec e{best[0] - pos[j][0], best[1] - pos[j][1], best[2] - pos[j][2]};
        clash = Norm(e) < kStep;
      }
      if (!clash) break;
    }
    for (int k = 0; k < 3; ++k) dir[k] = (best[k] - pos[i - 1][k]) / kStep;
    pos[i] = best;
  }
  return pos;
}

psicov::PackedProtein MakeProtein(Generator* g) {
  const int64_t n = 40 + g->RandInt(261);
  const std::vector<Vec> pos = ChainWalk(g, n);
  std::vector<double> dist(n * n);
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t q = 0; q < n; ++q) {
      const Vec e{pos[p][0] - pos[q][0], pos[p][1] - pos[q][1], pos[p][2] - pos[q][2]};
      dist[p * n + q] = Norm(e);
    }
  }
  const absl::Status repaired = psicov::RepairDistanceMap(&dist, n, "synthetic");
  NB_CHECK(repaired.ok(), repaired.message());
  psicov::PackedProtein out;
  out.length = n;
  out.feat1d.resize(n * kFeat1d);
  for (int64_t r = 0; r < n; ++r) {
    float* f = out.feat1d.data() + r * kFeat1d;
    double ss[3], total = 0;
    for (double& s : ss) total += (s = std::exp(2.0 * g->NextDouble()));
    for (int k = 0; k < 3; ++k) f[k] = static_cast<float>(ss[k] / total);
    for (int k = 3; k < 25; ++k) f[k] = static_cast<float>(g->NextDouble());
    f[25] = static_cast<float>(g->NextDouble());
    f[26] = static_cast<float>(3.0 * g->NextDouble());
  }
  out.pair.assign(psicov::kPairMaps * n * n, 0.0f);
  float* ccm = out.pair.data();
  float* fc = ccm + n * n;
  float* pot = fc + n * n;
  float* dm = pot + n * n;
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t q = p; q < n; ++q) {
      const double d = dist[p * n + q];
      const float c = static_cast<float>((d < 8.0 ? 0.6 : 0.0) + 0.15 * Gauss(g));
      const float f = static_cast<float>(std::exp(-d / 10.0) + 0.05 * Gauss(g));
      const float u = static_cast<float>(std::clamp((10.0 - d) / 10.0, -1.0, 1.0) + 0.2 * Gauss(g));
      ccm[p * n + q] = ccm[q * n + p] = p == q ? 0.0f : c;
      fc[p * n + q] = fc[q * n + p] = f;
      pot[p * n + q] = pot[q * n + p] = u;
    }
  }
  for (int64_t k = 0; k < n * n; ++k) dm[k] = static_cast<float>(dist[k]);
  return out;
}

std::vector<psicov::PackedProtein> MakeSet(Generator* g, int64_t n) {
  std::vector<psicov::PackedProtein> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(MakeProtein(g));
  return out;
}

}  // namespace

namespace psicov {

int64_t SyntheticDeepCovSize(double fraction) {
  const double f = fraction > 0 ? fraction : kDefaultFraction;
  return std::max<int64_t>(12, std::llround(kDeepCov * f));
}

int64_t SyntheticPsicovSize(double fraction) {
  const double f = fraction > 0 ? fraction : kDefaultFraction;
  return std::max<int64_t>(4, std::llround(kPsicov * f));
}

}  // namespace psicov

Dataset PsicovTask::MakeSynthetic(const SyntheticOptions& options) const {
  const Generator root = Generator(options.seed).Fork("psicov/synthetic");
  Generator train_rng = root.Fork("deepcov");
  Generator test_rng = root.Fork("psicov");
  const int64_t n_train = psicov::SyntheticDeepCovSize(options.fraction);
  const int64_t n_test = psicov::SyntheticPsicovSize(options.fraction);
  std::vector<psicov::PackedProtein> train = MakeSet(&train_rng, n_train);
  std::vector<psicov::PackedProtein> test = MakeSet(&test_rng, n_test);
  std::map<std::string, Tensor> arrays;
  psicov::PackProteins("deepcov", &train, &arrays);
  psicov::PackProteins("psicov", &test, &arrays);
  DatasetManifest manifest;
  manifest.task = info_.name;
  manifest.source = "synthetic";
  manifest.description = absl::StrCat(
      "synthetic PSICOV (seed ", options.seed, "): ", n_train, " DeepCov-like + ", n_test,
      " PSICOV-like proteins, L in [40, 300], distances of a compact 3-D chain walk (3.8 spacing), ccmpred/freecon/"
      "potential = noisy functions of distance, random 1-D features");
  return InMemoryDataset(manifest, arrays);
}

}  // namespace nb360::tasks
