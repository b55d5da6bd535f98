// tasks/common/mat_v73.cc: the MAT v7.3 reader (an HDF5 file behind a 512-byte MATLAB userblock).
//
// Numeric datasets of the root group are read in blocks of whole slabs along HDF5's first dimension
// (MATLAB's last) and transposed into the row-major result. The MATLAB_class attribute decides the
// class (logical -> bool; char/cell/struct/... are skipped); datasets without it are classified by
// their HDF5 type. HDF5 is not thread-safe in Debian's serial build: every call runs under one mutex,
// with HDF5's automatic error printing switched off for the duration.
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/byte_io.h"
#include "tasks/common/mat_internal.h"

namespace nb360::tasks::mat_internal {
namespace {

std::mutex& Hdf5Mutex() {
  static std::mutex mu;
  return mu;
}

// Owns an HDF5 identifier.
class H5Id {
 public:
  H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Switches HDF5's automatic error printing off while alive.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// The innermost HDF5 error message (or "unknown HDF5 error").
std::string LastHdf5Error() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
        if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
        return 0;
      },
      &msg);
  return msg.empty() ? "unknown HDF5 error" : msg;
}

absl::Status Hdf5Error(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " (", LastHdf5Error(), ")"));
}

// The value of a string attribute, or "" when absent/unreadable.
std::string StringAttribute(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return "";
  H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) return "";
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  if (!type.ok() || H5Tget_class(type.get()) != H5T_STRING) return "";
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return "";
  if (H5Tis_variable_str(type.get()) > 0) {
    char* value = nullptr;
    H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    if (H5Aread(attr.get(), mem.get(), &value) < 0 || value == nullptr) return "";
    std::string out(value);
    H5free_memory(value);
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > 4096) return "";
  std::string out(size, '\0');
  if (H5Aread(attr.get(), type.get(), out.data()) < 0) return "";
  out.resize(std::strlen(out.c_str()));
  return out;
}

// A nonzero integer attribute (MATLAB_empty) is present.
bool FlagAttribute(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return false;
  H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (!attr.ok() || H5Sget_simple_extent_npoints(space.get()) != 1) return false;
  uint32_t value = 0;
  return H5Aread(attr.get(), H5T_NATIVE_UINT32, &value) >= 0 && value != 0;
}

// The MATLAB class of a dataset from its attribute or, failing that, its HDF5 type; 0 if not numeric.
// `reason` explains a non-numeric result.
int DatasetClass(hid_t ds, hid_t type, bool* logical, bool* complex, std::string* reason) {
  const std::string attr = StringAttribute(ds, "MATLAB_class");
  const H5T_class_t tc = H5Tget_class(type);
  *complex = tc == H5T_COMPOUND;
  if (!attr.empty()) {
    if (attr == "logical") {
      *logical = true;
      return kUInt8Class;
    }
    const int cls = ClassFromName(attr);
    if (cls == 0) *reason = absl::StrCat("is a ", attr, " array, not a numeric array");
    return cls;
  }
  const size_t size = H5Tget_size(type);
  if (tc == H5T_FLOAT) return size == 8 ? kDoubleClass : size == 4 ? kSingleClass : 0;
  if (tc == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return is_signed ? kInt8Class : kUInt8Class;
      case 2: return is_signed ? kInt16Class : kUInt16Class;
      case 4: return is_signed ? kInt32Class : kUInt32Class;
      case 8: return is_signed ? kInt64Class : kUInt64Class;
    }
  }
  *reason = "is not a numeric dataset";
  return 0;
}

// Memory type for reading a class; uint64 and logical are fixed up after the read.
hid_t MemoryType(int cls, bool logical) {
  if (logical) return H5T_NATIVE_UINT8;
  switch (DTypeForClass(cls, false)) {
    case DType::kFloat64: return H5T_NATIVE_DOUBLE;
    case DType::kFloat32: return H5T_NATIVE_FLOAT;
    case DType::kInt32: return H5T_NATIVE_INT32;
    case DType::kUInt8: return H5T_NATIVE_UINT8;
    default: return cls == kUInt64Class ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64;
  }
}

// Post-read fix-ups in place: logical bytes -> 0/1, uint64 -> int64 with a range check.
absl::Status FixUp(int cls, bool logical, void* data, int64_t n) {
  if (logical) {
    auto* p = static_cast<uint8_t*>(data);
    for (int64_t i = 0; i < n; ++i) p[i] = p[i] != 0;
  } else if (cls == kUInt64Class) {
    const auto* p = static_cast<const uint64_t*>(data);
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(absl::StrCat("uint64 value ", p[i], " does not fit int64"));
      }
    }
  }
  return absl::OkStatus();
}

struct DatasetInfo {
  int cls = 0;
  bool logical = false;
  Shape dims;            // MATLAB order
  std::vector<hsize_t> h5dims;
};

// Reads dataset `ds` into a row-major tensor with MATLAB's dimension order.
absl::StatusOr<Tensor> ReadNumeric(hid_t ds, const DatasetInfo& info) {
  const DType dtype = DTypeForClass(info.cls, info.logical);
  Tensor out = Tensor::Empty(info.dims, dtype);
  if (out.numel() == 0) return out;
  const hid_t mem_type = MemoryType(info.cls, info.logical);
  if (info.dims.empty()) {  // scalar dataspace
    if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.raw_data()) < 0) {
      return Hdf5Error("cannot read the data");
    }
    if (absl::Status s = FixUp(info.cls, info.logical, out.raw_data(), 1); !s.ok()) return Annotate(s, "data");
    return out;
  }
  const SlabLayout layout(info.dims);
  const size_t elem = DTypeSize(dtype);
  int64_t per_block = layout.SlabsPerBlock(elem);
  std::unique_ptr<char[]> block(new char[static_cast<size_t>(per_block * layout.slab()) * elem]);  // uninitialised
  AdviseHugePages(block.get(), static_cast<size_t>(per_block * layout.slab()) * elem);
  AdviseHugePages(out.raw_data(), static_cast<size_t>(out.numel()) * elem);
  H5Id file_space(H5Dget_space(ds), H5Sclose);
  if (!file_space.ok()) return Hdf5Error("cannot get the dataspace");
  const int rank = static_cast<int>(info.h5dims.size());
  for (int64_t l0 = 0; l0 < layout.slabs(); l0 += per_block) {
    const int64_t count = std::min(per_block, layout.slabs() - l0);
    std::vector<hsize_t> start(rank, 0), extent(info.h5dims);
    start[0] = static_cast<hsize_t>(l0);
    extent[0] = static_cast<hsize_t>(count);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                            nullptr) < 0) {
      return Hdf5Error("cannot select a hyperslab");
    }
    const hsize_t n = static_cast<hsize_t>(count * layout.slab());
    H5Id mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    if (H5Dread(ds, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, block.get()) < 0) {
      return Hdf5Error(absl::StrCat("cannot read slabs ", l0, "..", l0 + count - 1));
    }
    if (absl::Status s = FixUp(info.cls, info.logical, block.get(), static_cast<int64_t>(n)); !s.ok()) {
      return Annotate(s, "data");
    }
    layout.Scatter(block.get(), l0, count, elem, out.raw_data());
  }
  return out;
}

// Opens dataset `name` with a chunk cache large enough for one block of slabs.
hid_t OpenDataset(hid_t file, const std::string& name) {
  H5Id probe(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!probe.ok()) return -1;
  H5Id dcpl(H5Dget_create_plist(probe.get()), H5Pclose);
  if (!dcpl.ok() || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  H5Id type(H5Dget_type(probe.get()), H5Tclose);
  const size_t elem = std::max<size_t>(1, H5Tget_size(type.get()));
  H5Id space(H5Dget_space(probe.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank <= 0 || rank > 32) return H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  std::vector<hsize_t> dims(rank), chunk(rank);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  if (H5Pget_chunk(dcpl.get(), rank, chunk.data()) != rank) return H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  // One row of chunks along the first dimension (what a block of slabs touches), capped at 512 MiB.
  double bytes = static_cast<double>(elem);
  double chunks = 1;
  for (int d = 0; d < rank; ++d) {
    bytes *= static_cast<double>(chunk[d]);
    if (d > 0 && chunk[d] > 0) chunks *= static_cast<double>((dims[d] + chunk[d] - 1) / chunk[d]);
  }
  const double cache = std::min(512.0 * (1 << 20), std::max(1.0 * (1 << 20), 2 * bytes * chunks));
  H5Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 100003, static_cast<size_t>(cache), 1.0);
  return H5Dopen2(file, name.c_str(), dapl.get());
}

struct VariableResult {
  std::optional<Tensor> tensor;
  std::string skip_reason;
};

absl::StatusOr<VariableResult> ReadVariable(hid_t file, const std::string& name) {
  VariableResult r;
  H5Id obj(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) return Hdf5Error("cannot open the object");
  if (H5Iget_type(obj.get()) != H5I_DATASET) {
    const std::string cls = StringAttribute(obj.get(), "MATLAB_class");
    r.skip_reason = absl::StrCat("is a group (", cls.empty() ? "no MATLAB_class" : cls, "), not a numeric array");
    return r;
  }
  H5Id ds(OpenDataset(file, name), H5Dclose);
  if (!ds.ok()) return Hdf5Error("cannot open the dataset");
  H5Id type(H5Dget_type(ds.get()), H5Tclose);
  H5Id space(H5Dget_space(ds.get()), H5Sclose);
  if (!type.ok() || !space.ok()) return Hdf5Error("cannot read the type or dataspace");
  DatasetInfo info;
  bool complex = false;
  info.cls = DatasetClass(ds.get(), type.get(), &info.logical, &complex, &r.skip_reason);
  if (info.cls == 0) return r;
  if (complex) return absl::UnimplementedError("complex arrays are not supported");
  const H5T_class_t tc = H5Tget_class(type.get());
  if (tc != H5T_INTEGER && tc != H5T_FLOAT) {
    r.skip_reason = "does not hold numbers";
    return r;
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 32) return absl::InvalidArgumentError(absl::StrCat("unsupported rank ", rank));
  info.h5dims.resize(rank);
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), info.h5dims.data(), nullptr) < 0) {
    return Hdf5Error("cannot read the dimensions");
  }
  int64_t numel = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (info.h5dims[d] > static_cast<hsize_t>(std::numeric_limits<int64_t>::max()) ||
        !io::CheckedMul(numel, static_cast<int64_t>(info.h5dims[d]), &numel)) {
      return absl::InvalidArgumentError("dimensions overflow");
    }
    info.dims.push_back(static_cast<int64_t>(info.h5dims[d]));
  }
  // Stored bytes bound the logical size (deflate expands at most ~1032:1).
  const uint64_t stored = H5Dget_storage_size(ds.get());
  int64_t bytes = 0;
  if (!io::CheckedMul(numel, DTypeSize(DTypeForClass(info.cls, info.logical)), &bytes) ||
      static_cast<uint64_t>(bytes) / 1032 > stored + (uint64_t{1} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimensions ", ShapeString(info.dims), " need ", bytes, " bytes but the file stores only ",
                     stored));
  }
  if (FlagAttribute(ds.get(), "MATLAB_empty")) {
    // MATLAB stores an empty array as its dimension vector; give an empty tensor of those dims.
    absl::StatusOr<Tensor> dims = ReadNumeric(ds.get(), DatasetInfo{kUInt64Class, false, info.dims, info.h5dims});
    if (!dims.ok()) return dims.status();
    Shape shape;
    for (int64_t i = 0; i < dims->numel() && i < 32; ++i) shape.push_back(dims->data<int64_t>()[i]);
    if (NumElements(shape) != 0) return absl::InvalidArgumentError("MATLAB_empty array with nonzero dims");
    r.tensor = Tensor::Empty(shape, DTypeForClass(info.cls, info.logical));
    return r;
  }
  absl::StatusOr<Tensor> t = ReadNumeric(ds.get(), info);
  if (!t.ok()) return t.status();
  r.tensor = std::move(*t);
  return r;
}

absl::StatusOr<std::vector<std::string>> RootNames(hid_t file) {
  H5G_info_t ginfo;
  if (H5Gget_info(file, &ginfo) < 0) return Hdf5Error("cannot list the root group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < ginfo.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0 || len > 4096) return Hdf5Error(absl::StrCat("cannot read the name of link ", i));
    std::string name(static_cast<size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

absl::StatusOr<std::map<std::string, Tensor>> ReadFile(hid_t file, absl::string_view name,
                                                       const std::vector<std::string>& only_list) {
  absl::StatusOr<std::vector<std::string>> names = RootNames(file);
  if (!names.ok()) return Annotate(names.status(), name);
  const std::set<std::string> only(only_list.begin(), only_list.end());
  std::map<std::string, Tensor> vars;
  for (const std::string& var : *names) {
    if (!only.empty() && only.count(var) == 0) continue;
    if (var.empty() || var[0] == '#') continue;  // "#refs#", "#subsystem#"
    const std::string what = absl::StrCat(name, ": variable '", var, "'");
    absl::StatusOr<VariableResult> r = ReadVariable(file, var);
    if (!r.ok()) return Annotate(r.status(), what);
    if (r->tensor.has_value()) {
      vars[var] = std::move(*r->tensor);
    } else if (only.count(var) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, " ", r->skip_reason));
    }
  }
  for (const std::string& want : only) {
    if (vars.count(want) == 0) {
      return absl::NotFoundError(absl::StrCat(name, ": no variable '", want, "' (root group has: ",
                                              names->empty() ? "nothing" : absl::StrJoin(*names, ", "), ")"));
    }
  }
  return vars;
}

}  // namespace

absl::StatusOr<std::map<std::string, Tensor>> ReadMatV73(const std::string& path, std::string_view bytes,
                                                         absl::string_view name,
                                                         const std::vector<std::string>& only) {
  std::lock_guard<std::mutex> lock(Hdf5Mutex());
  QuietErrors quiet;
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.ok()) return absl::InternalError(absl::StrCat(name, ": cannot create an HDF5 property list"));
  std::string image_name;
  if (path.empty()) {
    if (H5Pset_fapl_core(fapl.get(), 1 << 16, false) < 0 ||
        H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0) {
      return Annotate(Hdf5Error("cannot set up an in-memory HDF5 file"), name);
    }
    image_name = std::string(name);
  }
  const std::string& open_name = path.empty() ? image_name : path;
  H5Id file(H5Fopen(open_name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.ok()) return Annotate(Hdf5Error("cannot open as an HDF5 (MAT v7.3) file"), name);
  return ReadFile(file.get(), name, only);
}

}  // namespace nb360::tasks::mat_internal
