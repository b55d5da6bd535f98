// tasks/psicov/psicov_raw.cc: PSICOV list files, feature pickles and distance triples.
#include "tasks/psicov/psicov_raw.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/atomic_file.h"
#include "tasks/common/npy_value.h"
#include "tasks/common/parallel_jobs.h"
#include "tasks/psicov/psicov_features.h"

namespace nb360::tasks::psicov {
namespace {

absl::Status Bad(std::string_view name, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": ", what));
}

// dict[key] as a float64 tensor of exactly `shape`.
absl::StatusOr<Tensor> NumericEntry(const PyValue& dict, const std::string& key, const Shape& shape,
                                    std::string_view name) {
  PyRef v = dict.Get(key);
  if (v == nullptr) return Bad(name, absl::StrCat("feature dict has no key '", key, "'"));
  if (v->kind != PyValue::Kind::kNdArray || v->array_kind != PyValue::ArrayKind::kNumeric) {
    return Bad(name, absl::StrCat("'", key, "' is ", v->Describe(), ", expected a numeric array"));
  }
  if (v->shape != shape) {
    return Bad(name, absl::StrCat("'", key, "' has shape ", ShapeString(v->shape), ", expected ", ShapeString(shape)));
  }
  if (v->tensor.dtype() == DType::kBool) return Bad(name, absl::StrCat("'", key, "' is boolean"));
  return v->tensor.To(DType::kFloat64).Contiguous();
}

// Checks (-100, 100) on the float64 values (as the original's assert) and returns them as float32.
absl::StatusOr<std::vector<float>> CheckedFloats(const Tensor& t, const std::string& key, std::string_view name) {
  const double* p = t.data<double>();
  std::vector<float> out(t.numel());
  for (int64_t k = 0; k < t.numel(); ++k) {
    if (!(p[k] < kFeatureBound && p[k] > -kFeatureBound)) {
      return Bad(name, absl::StrCat("feature '", key, "' value ", p[k], " at flat index ", k,
                                    " is not inside (-100, 100)"));
    }
    out[k] = static_cast<float>(p[k]);
  }
  return out;
}

std::string FindFile(const std::vector<std::string>& roots, const std::string& sub, const std::string& file) {
  std::string found;
  for (const std::string& root : roots) {
    const std::string p = absl::StrCat(root, "/", sub, "/", file);
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) found = p;
  }
  return found;
}

std::vector<std::string> Candidates(const std::vector<std::string>& roots, const std::string& sub,
                                    const std::string& file) {
  std::vector<std::string> out;
  for (const std::string& root : roots) out.push_back(absl::StrCat(root, "/", sub, "/", file));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ReadIdList(const std::string& path) {
  absl::StatusOr<std::string> text = io::ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<std::string> ids;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string id;
    if (words >> id) ids.push_back(id);
  }
  if (ids.empty()) return Bad(path, "list file holds no protein ids");
  return ids;
}

absl::StatusOr<PyRef> ParseObjectNpy(std::string_view bytes, std::string_view name) {
  absl::StatusOr<PyRef> v = ParseNpyValue(bytes, name);
  if (!v.ok()) return v.status();
  if ((*v)->kind == PyValue::Kind::kNdArray && (*v)->array_kind != PyValue::ArrayKind::kObject) {
    return Bad(name, absl::StrCat("expected an object array ('|O') holding (L, sequence, map), found ",
                                  (*v)->Describe()));
  }
  return v;
}

absl::StatusOr<PackedProtein> ConvertProtein(const PyValue& features, std::string_view feature_name,
                                             const PyValue& distance, std::string_view distance_name) {
  if (features.kind != PyValue::Kind::kDict) {
    return Bad(feature_name, absl::StrCat("expected a feature dict, found ", features.Describe()));
  }
  PyRef seq = features.Get("seq");
  if (seq == nullptr || !seq->is_str_or_bytes()) {
    return Bad(feature_name, "feature dict has no string 'seq'");
  }
  const int64_t n = static_cast<int64_t>(seq->str.size());
  if (n < 2) return Bad(feature_name, absl::StrCat("sequence length ", n, " (need at least 2)"));
  PackedProtein out;
  out.length = n;
  out.feat1d.assign(n * kFeat1d, 0.0f);
  struct Column {
    const char* key;
    Shape shape;
    int first;  // first feat1d column
  };
  const Column columns[] = {{"ss", {3, n}, 0}, {"pssm", {n, 22}, 3}, {"sa", {n}, 25}, {"entropy", {n}, 26}};
  for (const Column& c : columns) {
    absl::StatusOr<Tensor> t = NumericEntry(features, c.key, c.shape, feature_name);
    if (!t.ok()) return t.status();
    absl::StatusOr<std::vector<float>> v = CheckedFloats(*t, c.key, feature_name);
    if (!v.ok()) return v.status();
    for (int64_t r = 0; r < n; ++r) {
      if (c.shape.size() == 1) {
        out.feat1d[r * kFeat1d + c.first] = (*v)[r];
      } else if (c.shape[0] == 3) {  // ss: (3, L), row k is feature k
        for (int k = 0; k < 3; ++k) out.feat1d[r * kFeat1d + k] = (*v)[k * n + r];
      } else {  // pssm: (L, 22)
        for (int k = 0; k < 22; ++k) out.feat1d[r * kFeat1d + c.first + k] = (*v)[r * 22 + k];
      }
    }
  }
  out.pair.assign(kPairMaps * n * n, 0.0f);
  const char* maps[] = {"ccmpred", "freecon", "potential"};
  for (int m = 0; m < 3; ++m) {
    absl::StatusOr<Tensor> t = NumericEntry(features, maps[m], {n, n}, feature_name);
    if (!t.ok()) return t.status();
    absl::StatusOr<std::vector<float>> v = CheckedFloats(*t, maps[m], feature_name);
    if (!v.ok()) return v.status();
    std::copy(v->begin(), v->end(), out.pair.begin() + m * n * n);
  }
  // The distance triple (L, sequence, map).
  const std::vector<PyRef>* items = nullptr;
  if (distance.kind == PyValue::Kind::kTuple || distance.kind == PyValue::Kind::kList ||
      (distance.kind == PyValue::Kind::kNdArray && distance.array_kind == PyValue::ArrayKind::kObject)) {
    items = &distance.items;
  }
  if (items == nullptr || items->size() != 3) {
    return Bad(distance_name, absl::StrCat("expected the triple (L, sequence, map), found ", distance.Describe()));
  }
  const PyValue& ly = *(*items)[0];
  const PyValue& map = *(*items)[2];
  if (ly.kind != PyValue::Kind::kInt) return Bad(distance_name, absl::StrCat("L is ", ly.Describe()));
  if (ly.integer != n) {
    return Bad(distance_name, absl::StrCat("L = ", ly.integer, " but the feature file's sequence has length ", n));
  }
  if (map.kind != PyValue::Kind::kNdArray || map.array_kind != PyValue::ArrayKind::kNumeric ||
      map.shape != Shape{n, n} || map.tensor.dtype() == DType::kBool) {
    return Bad(distance_name, absl::StrCat("distance map is ", map.Describe(), ", expected a numeric (", n, ", ", n,
                                           ") array"));
  }
  std::vector<double> d = map.tensor.To(DType::kFloat64).Contiguous().ToVector<double>();
  absl::Status repaired = RepairDistanceMap(&d, n, distance_name);
  if (!repaired.ok()) return repaired;
  for (int64_t k = 0; k < n * n; ++k) out.pair[3 * n * n + k] = static_cast<float>(d[k]);
  return out;
}

absl::StatusOr<PackedProtein> ReadProtein(const std::vector<std::string>& roots, const std::string& id) {
  const std::string feature = FindFile(roots, "features", id + ".pkl");
  if (feature.empty()) {
    return absl::NotFoundError(absl::StrCat("features of protein ", id, " not found (looked for ",
                                            absl::StrJoin(Candidates(roots, "features", id + ".pkl"), ", "), ")"));
  }
  const std::string dist = FindFile(roots, "distance", id + "-cb.npy");
  if (dist.empty()) {
    return absl::NotFoundError(absl::StrCat("distance map of protein ", id, " not found (looked for ",
                                            absl::StrJoin(Candidates(roots, "distance", id + "-cb.npy"), ", "), ")"));
  }
  absl::StatusOr<PyRef> f = ReadPickle(feature);
  if (!f.ok()) return f.status();
  absl::StatusOr<std::string> bytes = io::ReadFile(dist);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<PyRef> d = ParseObjectNpy(*bytes, dist);
  if (!d.ok()) return d.status();
  return ConvertProtein(**f, feature, **d, dist);
}

absl::StatusOr<std::vector<PackedProtein>> ReadProteins(const std::vector<std::string>& roots,
                                                        const std::vector<std::string>& ids, int threads) {
  std::vector<PackedProtein> out(ids.size());
  absl::Status s = ParallelJobs(static_cast<int64_t>(ids.size()), threads, [&](int64_t i) -> absl::Status {
    absl::StatusOr<PackedProtein> p = ReadProtein(roots, ids[i]);
    if (!p.ok()) return p.status();
    out[i] = *std::move(p);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace nb360::tasks::psicov
