// engine/dtype_dispatch.h: bodies of DispatchFloating/DispatchAll (included by dtype.h).
#ifndef NB360_ENGINE_DTYPE_DISPATCH_H_
#define NB360_ENGINE_DTYPE_DISPATCH_H_

#include "engine/check.h"

namespace nb360 {

template <class Fn>
auto DispatchFloating(DType dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    default: break;
  }
  ThrowError(op, ": dtype ", DTypeName(dtype), " is not supported (float32 or float64 expected)");
}

template <class Fn>
auto DispatchAll(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kInt64: return fn(int64_t{});
    case DType::kInt32: return fn(int32_t{});
    case DType::kUInt8: return fn(uint8_t{});
    case DType::kBool: return fn(bool{});
  }
  ThrowError("DispatchAll: corrupt dtype");
}

}  // namespace nb360

#endif  // NB360_ENGINE_DTYPE_DISPATCH_H_
