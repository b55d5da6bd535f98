#include "engine/io/tensor_bytes.h"

#include <cstring>

#include "absl/status/status.h"
#include "engine/check.h"
#include "engine/io/byte_io.h"

namespace nb360::io {

Tensor HostContiguous(const Tensor& t) {
  NB_CHECK(t.defined(), "cannot serialize an undefined tensor");
  // Empty tensors have no bytes to copy (and is_contiguous() can be false for shapes like [2, 0]).
  if (t.numel() == 0) return Tensor::Empty(t.shape(), t.dtype());
  Tensor host = t.Detach();
  if (!host.device().is_cpu()) host = host.To(Device::CPU());
  return host.Contiguous().Detach();
}

std::string_view TensorBytes(const Tensor& host_contiguous) {
  if (host_contiguous.numel() == 0) return std::string_view();
  NB_CHECK(host_contiguous.device().is_cpu() && host_contiguous.is_contiguous(),
           "TensorBytes: wanted a contiguous CPU tensor, got ", host_contiguous.Describe());
  return std::string_view(static_cast<const char*>(host_contiguous.raw_data()),
                          static_cast<size_t>(host_contiguous.numel()) * DTypeSize(host_contiguous.dtype()));
}

absl::StatusOr<int64_t> ByteCount(const Shape& shape, DType dtype) {
  int64_t n = static_cast<int64_t>(DTypeSize(dtype));
  for (int64_t s : shape) {
    if (s < 0) return absl::InvalidArgumentError(StrCat("negative size in shape ", ShapeString(shape)));
    if (!CheckedMul(n, s, &n)) {
      return absl::InvalidArgumentError(StrCat("shape ", ShapeString(shape), " is too large"));
    }
  }
  return n;
}

Tensor TensorFromBytes(const Shape& shape, DType dtype, std::string_view bytes) {
  Tensor t = Tensor::Empty(shape, dtype);
  const size_t expected = static_cast<size_t>(t.numel()) * DTypeSize(dtype);
  NB_CHECK(bytes.size() == expected, "TensorFromBytes: ", bytes.size(), " bytes for ", t.Describe());
  if (expected == 0) return t;
  std::memcpy(t.raw_data(), bytes.data(), expected);
  if (dtype == DType::kBool) {
    // A C++ bool must hold 0 or 1; normalise whatever the file stored.
    auto* p = static_cast<unsigned char*>(t.raw_data());
    for (size_t i = 0; i < expected; ++i) p[i] = p[i] != 0;
  }
  return t;
}

}  // namespace nb360::io
