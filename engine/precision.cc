// engine/precision.cc: see precision.h.
#include "engine/precision.h"

#include <atomic>

namespace nb360 {
namespace {

std::atomic<bool> g_allow_tf32{false};
thread_local MathPrecision t_autocast = MathPrecision::kFloat32;

}  // namespace

std::string_view MathPrecisionName(MathPrecision p) {
  return p == MathPrecision::kBFloat16 ? "bf16" : "float32";
}

void SetAllowTf32(bool allow) { g_allow_tf32.store(allow, std::memory_order_relaxed); }
bool AllowTf32() { return g_allow_tf32.load(std::memory_order_relaxed); }

MathPrecision AutocastPrecision() { return t_autocast; }

AutocastScope::AutocastScope(MathPrecision precision) : previous_(t_autocast) { t_autocast = precision; }
AutocastScope::~AutocastScope() { t_autocast = previous_; }

}  // namespace nb360
