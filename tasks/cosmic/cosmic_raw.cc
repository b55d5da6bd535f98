// tasks/cosmic/cosmic_raw.cc: selection, cropping and sky levels of the deepCR ACS/WFC stacks.
#include "tasks/cosmic/cosmic_raw.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/io/atomic_file.h"
#include "tasks/common/npy_value.h"
#include "tasks/common/parallel_jobs.h"
#include "tasks/common/tar.h"

namespace nb360::tasks::cosmic {
namespace {

namespace fs = std::filesystem;

// The visit keys of the original's field-type table, by type (27 + 25 + 20 = 72 keys).
constexpr std::string_view kGalaxy[] = {
    "10760_2",  "10760_4",  "13737_2",  "13737_3",  "9490_a3",  "12513_2",  "12513_3",
    "10182_pb", "10182_pd", "10584_13", "10342_3",  "14343_1",  "13057_1",  "10260_7",
    "10260_5",  "10407_3",  "13364_95", "10190_28", "10190_13", "9490_a2",  "13691_11",
    "12058_12", "12058_16", "12058_1",  "12058_6",  "14704_1",  "13804_6"};
constexpr std::string_view kExtragalactic[] = {
    "10631_3",  "10631_1", "10631_4",  "12103_a3", "13498_b1", "14164_9", "13718_6",
    "9425_2",   "9425_4",  "9583_99",  "9978_5e",  "15100_2",  "15647_13", "13389_10",
    "9694_6",   "10536_13", "13375_4", "13375_7",  "12438_1",  "13671_35", "9405_6d",
    "9405_4b",  "9450_14", "10092_1",  "9450_16"};
constexpr std::string_view kGlobularCluster[] = {
    "10595_2",  "10595_7", "9442_1",   "9442_3",   "9442_5",  "10349_30", "10005_10",
    "10120_3",  "10524_7", "11340_11", "10146_4",  "10146_3", "10775_ab", "11586_5",
    "14164_1",  "10775_52", "12602_1", "12602_2",  "10775_29", "10775_ad"};

constexpr std::string_view kFilter = "f435w";
constexpr int64_t kMinSide = kCropBegin + kCropSize;  // 192

template <size_t N>
bool Contains(const std::string_view (&keys)[N], std::string_view key) {
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

// One stack to convert: where its bytes are and what to call it.
struct StackItem {
  std::string rel;        // "<filter>/<proposal>/<visit>/<file>"
  std::string visit_rel;  // "<filter>/<proposal>/<visit>"
  std::string file;
  std::string path;       // tree: the file; tar: the archive
  uint64_t offset = 0;    // tar member data
  uint64_t size = 0;
  std::string label;      // for errors
};

struct Listing {
  std::vector<StackItem> items;
  std::map<std::string, std::vector<double>> sky;  // by visit_rel
  std::string source;
  bool from_tar = false;
};

// Decides whether file `file` in visit <proposal>_<visit> of `filter` is a selected stack.
absl::StatusOr<bool> Selected(const std::string& filter, const std::string& proposal, const std::string& visit,
                              const std::string& file, const std::string& where) {
  if (filter != kFilter) return false;
  if (file == "sky.npy" || file.find(".npy") == std::string::npos) return false;
  const std::string key = absl::StrCat(proposal, "_", visit);
  const std::string_view type = FieldType(key);
  if (type.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": visit key '", key,
                                                   "' is not in the field-type table of the benchmark"));
  }
  return type == "GAL";
}

absl::StatusOr<std::vector<double>> ReadSkyBytes(std::string_view bytes, const std::string& label) {
  absl::StatusOr<Tensor> t = ParseNpyAnyEndian(bytes, label);
  if (!t.ok()) return t.status();
  return SkyLevels(*t, label);
}

std::vector<fs::path> SortedEntries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

absl::StatusOr<Listing> ListTree(const fs::path& root) {
  Listing listing;
  listing.source = root.string();
  for (const fs::path& filter_dir : SortedEntries(root)) {
    if (!IsDir(filter_dir) || filter_dir.filename().string() != kFilter) continue;
    for (const fs::path& prop_dir : SortedEntries(filter_dir)) {
      if (!IsDir(prop_dir)) continue;
      for (const fs::path& visit_dir : SortedEntries(prop_dir)) {
        if (!IsDir(visit_dir)) continue;
        const std::string visit_rel = absl::StrCat(std::string(kFilter), "/", prop_dir.filename().string(), "/",
                                                   visit_dir.filename().string());
        bool visit_used = false;
        for (const fs::path& f : SortedEntries(visit_dir)) {
          if (IsDir(f)) continue;
          absl::StatusOr<bool> sel = Selected(std::string(kFilter), prop_dir.filename().string(),
                                              visit_dir.filename().string(), f.filename().string(), f.string());
          if (!sel.ok()) return sel.status();
          if (!*sel) continue;
          visit_used = true;
          StackItem item;
          item.file = f.filename().string();
          item.visit_rel = visit_rel;
          item.rel = absl::StrCat(visit_rel, "/", item.file);
          item.path = f.string();
          item.label = f.string();
          listing.items.push_back(std::move(item));
        }
        const fs::path sky = visit_dir / "sky.npy";
        std::error_code ec;
        if (visit_used && fs::is_regular_file(sky, ec)) {
          absl::StatusOr<std::string> bytes = io::ReadFile(sky.string());
          if (!bytes.ok()) return bytes.status();
          absl::StatusOr<std::vector<double>> levels = ReadSkyBytes(*bytes, sky.string());
          if (!levels.ok()) return levels.status();
          listing.sky[visit_rel] = *std::move(levels);
        }
      }
    }
  }
  return listing;
}

absl::StatusOr<Listing> ListTar(const std::string& tar_path, const std::string& split_dir) {
  Listing listing;
  listing.source = tar_path;
  listing.from_tar = true;
  std::map<std::string, StackItem> by_rel;  // a later member of the same path replaces an earlier one
  absl::Status s = ForEachTarMember(tar_path, [&](const TarEntry& e, const TarDataReader& read) -> absl::Status {
    if (e.is_directory) return absl::OkStatus();
    std::vector<std::string> comps = absl::StrSplit(e.name, '/', absl::SkipEmpty());
    comps.erase(std::remove(comps.begin(), comps.end(), "."), comps.end());
    auto it = std::find(comps.rbegin(), comps.rend(), split_dir);
    if (it == comps.rend()) return absl::OkStatus();
    const size_t base = comps.size() - static_cast<size_t>(it - comps.rbegin());  // first index after it
    if (comps.size() != base + 4) return absl::OkStatus();
    const std::string& filter = comps[base];
    const std::string& file = comps[base + 3];
    const std::string label = absl::StrCat(tar_path, ": member ", e.name);
    const std::string visit_rel = absl::StrCat(filter, "/", comps[base + 1], "/", comps[base + 2]);
    if (filter == kFilter && file == "sky.npy") {
      absl::StatusOr<std::string> bytes = read.ReadAll();
      if (!bytes.ok()) return bytes.status();
      absl::StatusOr<std::vector<double>> levels = ReadSkyBytes(*bytes, label);
      if (!levels.ok()) return levels.status();
      listing.sky[visit_rel] = *std::move(levels);
      return absl::OkStatus();
    }
    absl::StatusOr<bool> sel = Selected(filter, comps[base + 1], comps[base + 2], file, label);
    if (!sel.ok()) return sel.status();
    if (!*sel) return absl::OkStatus();
    StackItem item;
    item.file = file;
    item.visit_rel = visit_rel;
    item.rel = absl::StrCat(visit_rel, "/", file);
    item.path = tar_path;
    item.offset = e.data_offset;
    item.size = e.size;
    item.label = label;
    by_rel[item.rel] = std::move(item);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  for (auto& [rel, item] : by_rel) listing.items.push_back(std::move(item));
  return listing;
}

absl::Status ConvertItem(const StackItem& item, bool from_tar, float* out) {
  absl::StatusOr<std::string> bytes =
      from_tar ? io::ReadFileRange(item.path, item.offset, item.size) : io::ReadFile(item.path);
  if (!bytes.ok()) return absl::Status(bytes.status().code(), absl::StrCat(item.label, ": ", bytes.status().message()));
  absl::StatusOr<Tensor> stack = ParseNpyAnyEndian(*bytes, item.label);
  if (!stack.ok()) return stack.status();
  return CropStack(*stack, item.label, out);
}

// Converts every item into stacks[i] with `threads` workers; the first failing item (by index) wins.
absl::Status ConvertAll(const Listing& listing, int threads, float* stacks) {
  const int64_t per = kPlanes * kCropSize * kCropSize;
  return ParallelJobs(static_cast<int64_t>(listing.items.size()), threads, [&](int64_t i) {
    return ConvertItem(listing.items[i], listing.from_tar, stacks + i * per);
  });
}


}  // namespace

std::string_view FieldType(std::string_view visit_key) {
  if (Contains(kGalaxy, visit_key)) return "GAL";
  if (Contains(kExtragalactic, visit_key)) return "EX";
  if (Contains(kGlobularCluster, visit_key)) return "GC";
  return "";
}

const std::vector<std::string>& GalaxyVisitKeys() {
  static const auto* keys = new std::vector<std::string>(std::begin(kGalaxy), std::end(kGalaxy));
  return *keys;
}

absl::StatusOr<Tensor> ParseNpyAnyEndian(std::string_view bytes, std::string_view name_for_errors) {
  absl::StatusOr<PyRef> v = ParseNpyValue(bytes, name_for_errors);
  if (!v.ok()) return v.status();
  if ((*v)->kind != PyValue::Kind::kNdArray || (*v)->array_kind != PyValue::ArrayKind::kNumeric) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name_for_errors), ": expected a numeric array, found ",
                                                   (*v)->Describe()));
  }
  return (*v)->tensor;
}

absl::Status CropStack(const Tensor& stack, std::string_view name, float* out) {
  const Shape& s = stack.shape();
  if (s.size() != 3 || (s[0] != 2 && s[0] != 3) || s[1] < kMinSide || s[2] < kMinSide) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": stack has shape ", ShapeString(s),
                                                   ", expected (3, H, W) or (2, H, W) with H, W >= ", kMinSide));
  }
  const Tensor f = stack.To(DType::kFloat32).Contiguous();
  const float* p = f.data<float>();
  const int64_t w = s[2];
  static constexpr const char* kPlaneNames[] = {"image", "CR mask", "ignore mask"};
  for (int64_t plane = 0; plane < kPlanes; ++plane) {
    float* q = out + plane * kCropSize * kCropSize;
    if (plane >= s[0]) {
      std::fill(q, q + kCropSize * kCropSize, 0.0f);
      continue;
    }
    for (int64_t r = 0; r < kCropSize; ++r) {
      const float* row = p + (plane * s[1] + kCropBegin + r) * w + kCropBegin;
      for (int64_t c = 0; c < kCropSize; ++c) {
        const float v = row[c];
        const bool ok = plane == 0 ? std::isfinite(v) : (v >= 0.0f && v <= 1.0f);
        if (!ok) {
          return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": ", kPlaneNames[plane], " value ", v, " at row ",
                                                         kCropBegin + r, ", column ", kCropBegin + c,
                                                         plane == 0 ? " is not finite" : " is outside [0, 1]"));
        }
        q[r * kCropSize + c] = v;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> SkyLevels(const Tensor& sky, std::string_view name) {
  if (sky.dim() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), ": sky levels have shape ", ShapeString(sky.shape()), ", expected a 1-D array"));
  }
  std::vector<double> v = sky.To(DType::kFloat64).Contiguous().ToVector<double>();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": sky level ", i, " is not finite (", v[i], ")"));
    }
  }
  return v;
}

absl::StatusOr<double> SkyForFile(const std::vector<double>& sky, std::string_view file_name,
                                  std::string_view where) {
  const std::string_view head = file_name.substr(0, file_name.find('_'));
  int64_t k = 0;
  bool ok = !head.empty() && head.size() <= 9;
  for (char c : head) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) k = k * 10 + (c - '0');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": file name '", std::string(file_name),
                                                   "' does not start with '<k>_' (the sky.npy index)"));
  }
  if (k < 1 || k > static_cast<int64_t>(sky.size())) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": sky index ", k, " of '", std::string(file_name),
                                                   "' is outside 1..", sky.size(), " (sky.npy length)"));
  }
  return sky[k - 1];
}

absl::StatusOr<RawSplit> ReadRawSplit(const std::string& raw_dir, const std::string& split, int threads) {
  const std::string split_dir = absl::StrCat("npy_", split);
  const fs::path tree_a = fs::path(raw_dir) / split_dir;
  const fs::path tree_b = fs::path(raw_dir) / "data" / split_dir;
  const fs::path tar = fs::path(raw_dir) / absl::StrCat("deepCR.ACS-WFC.", split, ".tar");
  absl::StatusOr<Listing> listing;
  std::error_code ec;
  if (IsDir(tree_a)) {
    listing = ListTree(tree_a);
  } else if (IsDir(tree_b)) {
    listing = ListTree(tree_b);
  } else if (fs::is_regular_file(tar, ec)) {
    listing = ListTar(tar.string(), split_dir);
  } else {
    return absl::NotFoundError(absl::StrCat(raw_dir, ": found neither ", tar.string(), " nor an extracted ",
                                            split_dir, "/ directory (", tree_a.string(), " or ", tree_b.string(),
                                            ")"));
  }
  if (!listing.ok()) return listing.status();
  const int64_t n = static_cast<int64_t>(listing->items.size());
  RawSplit out;
  out.source = listing->source;
  out.stacks = Tensor::Empty({n, kPlanes, kCropSize, kCropSize}, DType::kFloat32);
  out.sky = Tensor::Zeros({n}, DType::kFloat64);
  double* sky = out.sky.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    const StackItem& item = listing->items[i];
    out.paths.push_back(item.rel);
    auto it = listing->sky.find(item.visit_rel);
    if (it == listing->sky.end()) continue;
    absl::StatusOr<double> level = SkyForFile(it->second, item.file, item.label);
    if (!level.ok()) return level.status();
    sky[i] = *level;
  }
  absl::Status s = ConvertAll(*listing, threads, out.stacks.data<float>());
  if (!s.ok()) return s;
  return out;
}

}  // namespace nb360::tasks::cosmic
