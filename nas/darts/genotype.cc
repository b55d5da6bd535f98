// nas/darts/genotype.cc: primitive names (the original's spelling, spec §A.1).
#include "nas/darts/genotype.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace nb360::nas::darts {
namespace {

constexpr std::string_view kNames[kNumPrimitives] = {
    "none",         "max_pool_3x3", "avg_pool_3x3", "skip_connect",
    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
};

}  // namespace

std::string_view PrimitiveName(Primitive p) {
  const int i = static_cast<int>(p);
  if (i < 0 || i >= kNumPrimitives) return "<invalid primitive>";
  return kNames[i];
}

absl::StatusOr<Primitive> PrimitiveFromName(std::string_view name) {
  for (int i = 0; i < kNumPrimitives; ++i) {
    if (kNames[i] == name) return static_cast<Primitive>(i);
  }
  std::string valid;
  for (int i = 0; i < kNumPrimitives; ++i) absl::StrAppend(&valid, i ? ", " : "", std::string(kNames[i]));
  return absl::InvalidArgumentError(absl::StrCat("unknown operation \"", std::string(name), "\" (valid: ", valid, ")"));
}

}  // namespace nb360::nas::darts
