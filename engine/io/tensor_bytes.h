// engine/io/tensor_bytes.h: tensors as raw little-endian bytes, shared by the file formats.
//
// NamedTensors is the order-preserving list of (name, tensor) that npz, safetensors and checkpoints
// exchange. HostBytes gives any tensor's elements in row-major order as bytes (CPU, contiguous);
// TensorFromBytes builds a fresh CPU tensor from such bytes after checking the count.
#ifndef NB360_ENGINE_IO_TENSOR_BYTES_H_
#define NB360_ENGINE_IO_TENSOR_BYTES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace nb360::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// A detached, contiguous CPU tensor with t's values (t itself when it already is one).
Tensor HostContiguous(const Tensor& t);

// The bytes of a tensor returned by HostContiguous (numel * itemsize of them).
std::string_view TensorBytes(const Tensor& host_contiguous);

// numel(shape) * DTypeSize(dtype), or an error for negative sizes or overflow.
absl::StatusOr<int64_t> ByteCount(const Shape& shape, DType dtype);

// A new CPU tensor of `shape` and `dtype` holding `bytes` (which must be exactly ByteCount long).
// Bool bytes other than 0 are read as true.
Tensor TensorFromBytes(const Shape& shape, DType dtype, std::string_view bytes);

}  // namespace nb360::io

#endif  // NB360_ENGINE_IO_TENSOR_BYTES_H_
