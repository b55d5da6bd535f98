// engine/dtype.h: the element types a Tensor can hold, as a runtime value.
//
// Floating types carry math; integer and bool types carry labels, indices and masks.
// DTypeSet is a small bit set used by the op registry's Supports() answers.
#ifndef NB360_ENGINE_DTYPE_H_
#define NB360_ENGINE_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nb360 {

enum class DType : uint8_t { kFloat32, kFloat64, kInt64, kInt32, kUInt8, kBool };

inline constexpr int kNumDTypes = 6;

size_t DTypeSize(DType dtype);
std::string_view DTypeName(DType dtype);
bool IsFloating(DType dtype);

// The C++ type behind each dtype (bool is stored as one byte).
template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

class DTypeSet {
 public:
  constexpr DTypeSet() = default;
  constexpr DTypeSet(std::initializer_list<DType> dtypes) {
    for (DType d : dtypes) bits_ |= Bit(d);
  }
  constexpr bool Contains(DType d) const { return (bits_ & Bit(d)) != 0; }

 private:
  static constexpr uint32_t Bit(DType d) { return 1u << static_cast<int>(d); }
  uint32_t bits_ = 0;
};

inline constexpr DTypeSet kFloatingTypes{DType::kFloat32, DType::kFloat64};
inline constexpr DTypeSet kAllTypes{DType::kFloat32, DType::kFloat64, DType::kInt64,
                                    DType::kInt32,   DType::kUInt8,   DType::kBool};

// Calls fn(T{}) with T the C++ type of a floating dtype; throws for other dtypes.
template <class Fn>
auto DispatchFloating(DType dtype, const char* op, Fn&& fn);
// Calls fn(T{}) for any dtype.
template <class Fn>
auto DispatchAll(DType dtype, Fn&& fn);

}  // namespace nb360

#include "engine/dtype_dispatch.h"  // IWYU pragma: export

#endif  // NB360_ENGINE_DTYPE_H_
