// tasks/common/canonical.cc: prepared-dataset directories (manifest.json + memory-mapped .npy files).
#include "tasks/common/canonical.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/io/npy.h"

namespace nb360::tasks {
namespace {

namespace fs = std::filesystem;
constexpr int kFormatVersion = 1;

// A read-only mapping that unmaps when the last view is gone.
struct Mapping {
  void* addr = nullptr;
  size_t length = 0;
  ~Mapping() {
    if (addr != nullptr && length > 0) munmap(addr, length);
  }
};

absl::StatusOr<DType> DTypeFromDescr(const std::string& descr, const std::string& file) {
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kUInt8,
                  DType::kBool}) {
    if (io::NpyDescr(d) == descr) return d;
  }
  return absl::DataLossError(absl::StrCat(file, ": unsupported dtype '", descr, "' in the .npy header"));
}

absl::StatusOr<ArrayView> MapNpy(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat(path, ": fstat failed"));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 16) {
    close(fd);
    return absl::DataLossError(absl::StrCat(path, ": file of ", size, " bytes is too short for .npy"));
  }
  void* addr = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (addr == MAP_FAILED) return absl::InternalError(absl::StrCat(path, ": mmap failed: ", std::strerror(errno)));
  auto mapping = std::make_shared<Mapping>();
  mapping->addr = addr;
  mapping->length = size;
  absl::StatusOr<io::NpyHeaderInfo> h = io::ParseNpyHeader(std::string_view(static_cast<const char*>(addr), size), path);
  if (!h.ok()) return h.status();
  if (h->fortran_order) return absl::DataLossError(absl::StrCat(path, ": Fortran-order .npy files are not canonical"));
  absl::StatusOr<DType> dtype = DTypeFromDescr(h->descr, path);
  if (!dtype.ok()) return dtype.status();
  const uint64_t need = static_cast<uint64_t>(NumElements(h->shape)) * DTypeSize(*dtype);
  if (size - h->data_offset != need) {
    return absl::DataLossError(absl::StrCat(path, ": holds ", size - h->data_offset, " data bytes, shape ",
                                            ShapeString(h->shape), " needs ", need,
                                            " (truncated or corrupt)"));
  }
  ArrayView v;
  v.dtype = *dtype;
  v.shape = h->shape;
  v.raw = static_cast<const char*>(addr) + h->data_offset;
  v.keepalive = mapping;
  return v;
}

io::JsonValue ManifestJson(const DatasetManifest& m, const std::map<std::string, std::pair<DType, Shape>>& arrays) {
  io::JsonValue j = io::JsonValue::MakeObject();
  j.Set("format", "nb360-dataset");
  j.Set("version", kFormatVersion);
  j.Set("task", m.task);
  j.Set("source", m.source);
  j.Set("description", m.description);
  io::JsonValue arr = io::JsonValue::MakeObject();
  for (const auto& [name, spec] : arrays) {
    io::JsonValue a = io::JsonValue::MakeObject();
    a.Set("dtype", std::string(DTypeName(spec.first)));
    io::JsonValue shape = io::JsonValue::MakeArray();
    for (int64_t d : spec.second) shape.as_array().push_back(d);
    a.Set("shape", shape);
    arr.Set(name, a);
  }
  j.Set("arrays", arr);
  return j;
}

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

int64_t ArrayView::row_size() const {
  int64_t r = 1;
  for (size_t i = 1; i < shape.size(); ++i) r *= shape[i];
  return r;
}

Tensor ArrayView::RowsToTensor(int64_t begin, int64_t end) const {
  NB_CHECK(!shape.empty() && begin >= 0 && begin <= end && end <= shape[0], "ArrayView rows [", begin, ", ",
           end, ") of shape ", ShapeString(shape));
  Shape s = shape;
  s[0] = end - begin;
  Tensor t = Tensor::Empty(s, dtype);
  const size_t row_bytes = static_cast<size_t>(row_size()) * DTypeSize(dtype);
  if (t.numel() > 0) {
    std::memcpy(t.raw_data(), static_cast<const char*>(raw) + begin * row_bytes, (end - begin) * row_bytes);
  }
  return t;
}

Tensor ArrayView::ToTensor() const {
  if (shape.empty()) {
    Tensor t = Tensor::Empty({}, dtype);
    std::memcpy(t.raw_data(), raw, DTypeSize(dtype));
    return t;
  }
  return RowsToTensor(0, shape[0]);
}

ArrayView ViewOf(const Tensor& t) {
  Tensor c = t.Contiguous();
  if (c.device() != Device::CPU()) c = c.To(Device::CPU());
  ArrayView v;
  v.dtype = c.dtype();
  v.shape = c.shape();
  v.raw = c.raw_data();
  v.keepalive = std::shared_ptr<const void>(c.storage(), c.storage().get());
  return v;
}

absl::StatusOr<ArrayView> Dataset::Get(const std::string& name) const {
  auto it = arrays.find(name);
  if (it == arrays.end()) {
    return absl::NotFoundError(absl::StrCat(dir.empty() ? "in-memory " + manifest.task + " dataset" : dir,
                                            ": no array '", name, "'"));
  }
  return it->second;
}

Dataset InMemoryDataset(DatasetManifest manifest, const std::map<std::string, Tensor>& arrays) {
  Dataset d;
  d.manifest = std::move(manifest);
  for (const auto& [name, t] : arrays) d.arrays[name] = ViewOf(t);
  return d;
}

bool LooksLikeDataset(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "manifest.json", ec);
}

absl::Status WriteDataset(const std::string& dir, const DatasetManifest& manifest,
                          const std::map<std::string, Tensor>& arrays) {
  absl::StatusOr<std::unique_ptr<DatasetWriter>> w = DatasetWriter::Begin(dir);
  if (!w.ok()) return w.status();
  for (const auto& [name, t] : arrays) {
    absl::Status s = (*w)->Add(name, t);
    if (!s.ok()) return s;
  }
  return (*w)->Commit(manifest);
}

absl::StatusOr<std::unique_ptr<DatasetWriter>> DatasetWriter::Begin(const std::string& dir) {
  fs::path target = fs::path(dir);
  if (target.filename().empty()) target = target.parent_path();
  if (target.empty()) return absl::InvalidArgumentError("DatasetWriter: empty output directory");
  std::error_code ec;
  fs::create_directories(target.parent_path().empty() ? fs::path(".") : target.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot create parent directory: ", ec.message()));
  static std::atomic<int> counter{0};
  fs::path tmp = target;
  tmp += absl::StrCat(".tmp-", getpid(), "-", counter++);
  fs::remove_all(tmp, ec);
  fs::create_directory(tmp, ec);
  if (ec) return absl::InternalError(absl::StrCat(tmp.string(), ": cannot create: ", ec.message()));
  std::unique_ptr<DatasetWriter> w(new DatasetWriter());
  w->dir_ = target.string();
  w->tmp_ = tmp.string();
  return w;
}

DatasetWriter::~DatasetWriter() {
  files_.clear();
  if (!committed_ && !tmp_.empty()) {
    std::error_code ignored;
    fs::remove_all(tmp_, ignored);
  }
}

absl::Status DatasetWriter::Add(const std::string& name, const Tensor& t) {
  NB_CHECK(!committed_, "DatasetWriter::Add after Commit");
  if (!ValidName(name)) return absl::InvalidArgumentError(absl::StrCat("WriteDataset: bad array name '", name, "'"));
  if (!t.defined()) return absl::InvalidArgumentError(absl::StrCat("WriteDataset: array '", name, "' is undefined"));
  if (arrays_.count(name)) return absl::InvalidArgumentError(absl::StrCat("WriteDataset: array '", name, "' twice"));
  absl::Status s = io::WriteNpy((fs::path(tmp_) / (name + ".npy")).string(), t);
  if (!s.ok()) return s;
  arrays_[name] = {t.dtype(), t.shape()};
  return absl::OkStatus();
}

absl::StatusOr<DatasetWriter::ArrayFile*> DatasetWriter::Create(const std::string& name, DType dtype,
                                                                const Shape& shape) {
  NB_CHECK(!committed_, "DatasetWriter::Create after Commit");
  if (!ValidName(name)) return absl::InvalidArgumentError(absl::StrCat("WriteDataset: bad array name '", name, "'"));
  if (arrays_.count(name)) return absl::InvalidArgumentError(absl::StrCat("WriteDataset: array '", name, "' twice"));
  if (shape.empty()) return absl::InvalidArgumentError(absl::StrCat("WriteDataset: array '", name, "' needs rows"));
  std::unique_ptr<ArrayFile> f(new ArrayFile());
  f->path_ = (fs::path(tmp_) / (name + ".npy")).string();
  f->dtype_ = dtype;
  f->shape_ = shape;
  const std::string header = io::NpyHeader(dtype, shape);
  f->header_bytes_ = header.size();
  int64_t row = 1;
  for (size_t i = 1; i < shape.size(); ++i) row *= shape[i];
  f->row_bytes_ = static_cast<size_t>(row) * DTypeSize(dtype);
  f->written_.assign(shape[0], 0);
  f->fd_ = open(f->path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f->fd_ < 0) return absl::InternalError(absl::StrCat(f->path_, ": cannot create: ", std::strerror(errno)));
  const off_t total = static_cast<off_t>(header.size() + f->row_bytes_ * shape[0]);
  if (pwrite(f->fd_, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()) ||
      ftruncate(f->fd_, total) != 0) {
    return absl::InternalError(absl::StrCat(f->path_, ": cannot write (", std::strerror(errno), ")"));
  }
  ArrayFile* raw = f.get();
  files_[name] = std::move(f);
  arrays_[name] = {dtype, shape};
  return raw;
}

DatasetWriter::ArrayFile::~ArrayFile() {
  if (fd_ >= 0) close(fd_);
}

absl::Status DatasetWriter::ArrayFile::WriteRows(int64_t begin, int64_t count, const void* data) {
  if (begin < 0 || count < 0 || begin + count > shape_[0]) {
    return absl::OutOfRangeError(absl::StrCat(path_, ": rows [", begin, ", ", begin + count, ") outside ",
                                              ShapeString(shape_)));
  }
  const char* p = static_cast<const char*>(data);
  size_t left = row_bytes_ * count;
  off_t at = static_cast<off_t>(header_bytes_ + row_bytes_ * begin);
  while (left > 0) {
    const ssize_t n = pwrite(fd_, p, left, at);
    if (n <= 0) return absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
    p += n;
    at += n;
    left -= static_cast<size_t>(n);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t r = begin; r < begin + count; ++r) written_[r] = 1;
  return absl::OkStatus();
}

absl::Status DatasetWriter::ArrayFile::Close() {
  for (size_t r = 0; r < written_.size(); ++r) {
    if (!written_[r]) return absl::InternalError(absl::StrCat(path_, ": row ", r, " was never written"));
  }
  if (fsync(fd_) != 0 || close(fd_) != 0) {
    fd_ = -1;
    return absl::InternalError(absl::StrCat(path_, ": fsync/close failed: ", std::strerror(errno)));
  }
  fd_ = -1;
  return absl::OkStatus();
}

absl::Status DatasetWriter::Commit(const DatasetManifest& manifest) {
  NB_CHECK(!committed_, "DatasetWriter::Commit twice");
  for (auto& [name, f] : files_) {
    absl::Status s = f->Close();
    if (!s.ok()) return s;
  }
  absl::Status s = io::WriteFileAtomically((fs::path(tmp_) / "manifest.json").string(),
                                           ManifestJson(manifest, arrays_).Serialize(2) + "\n");
  if (!s.ok()) return s;
  // Swap in: move an old dataset aside, rename, then delete the old one.
  std::error_code ec;
  fs::path target(dir_), old(dir_);
  old += absl::StrCat(".old-", getpid());
  const bool had_old = fs::exists(target, ec);
  if (had_old) {
    fs::rename(target, old, ec);
    if (ec) return absl::InternalError(absl::StrCat(dir_, ": cannot move the old dataset aside: ", ec.message()));
  }
  fs::rename(tmp_, target, ec);
  if (ec) {
    if (had_old) fs::rename(old, target, ec);
    return absl::InternalError(absl::StrCat(dir_, ": cannot rename the new dataset into place"));
  }
  committed_ = true;
  if (had_old) fs::remove_all(old, ec);
  return absl::OkStatus();
}

absl::StatusOr<Dataset> OpenDataset(const std::string& dir, const std::string& expected_task) {
  const std::string manifest_path = (fs::path(dir) / "manifest.json").string();
  absl::StatusOr<std::string> text = io::ReadFile(manifest_path);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a prepared dataset (no readable manifest.json; run the "
                                            "task's prepare or generate target first)"));
  }
  absl::StatusOr<io::JsonValue> j = io::ParseJson(*text);
  if (!j.ok()) return absl::DataLossError(absl::StrCat(manifest_path, ": ", j.status().message()));
  auto str = [&](std::string_view key) -> std::string {
    const io::JsonValue* v = j->Find(key);
    return v != nullptr && v->is_string() ? v->as_string() : "";
  };
  if (str("format") != "nb360-dataset") {
    return absl::DataLossError(absl::StrCat(manifest_path, ": not an nb360 dataset manifest"));
  }
  const io::JsonValue* version = j->Find("version");
  if (version == nullptr || !version->is_int() || version->as_int() != kFormatVersion) {
    return absl::DataLossError(absl::StrCat(manifest_path, ": unsupported format version"));
  }
  Dataset d;
  d.dir = dir;
  d.manifest = {str("task"), str("source"), str("description")};
  if (!expected_task.empty() && d.manifest.task != expected_task) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": holds a '", d.manifest.task, "' dataset, not '",
                                                   expected_task, "'"));
  }
  const io::JsonValue* arrays = j->Find("arrays");
  if (arrays == nullptr || !arrays->is_object()) {
    return absl::DataLossError(absl::StrCat(manifest_path, ": no 'arrays' object"));
  }
  for (const auto& [name, spec] : arrays->as_object()) {
    if (!ValidName(name)) return absl::DataLossError(absl::StrCat(manifest_path, ": bad array name '", name, "'"));
    const std::string path = (fs::path(dir) / (name + ".npy")).string();
    absl::StatusOr<ArrayView> v = MapNpy(path);
    if (!v.ok()) return v.status();
    const io::JsonValue* dt = spec.Find("dtype");
    const io::JsonValue* sh = spec.Find("shape");
    if (dt == nullptr || !dt->is_string() || sh == nullptr || !sh->is_array()) {
      return absl::DataLossError(absl::StrCat(manifest_path, ": array '", name, "' lacks dtype/shape"));
    }
    Shape want;
    for (const io::JsonValue& e : sh->as_array()) {
      if (!e.is_int()) return absl::DataLossError(absl::StrCat(manifest_path, ": bad shape for '", name, "'"));
      want.push_back(e.as_int());
    }
    if (dt->as_string() != DTypeName(v->dtype) || want != v->shape) {
      return absl::DataLossError(absl::StrCat(path, ": is ", std::string(DTypeName(v->dtype)), ShapeString(v->shape),
                                              " but the manifest says ", dt->as_string(), ShapeString(want)));
    }
    d.arrays[name] = *v;
  }
  return d;
}

}  // namespace nb360::tasks
