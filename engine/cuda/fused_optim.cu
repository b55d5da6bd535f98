// engine/cuda/fused_optim.cu: multi-tensor SGD and Adam/AdamW steps on the device.
//
// Parameters go 32 to a launch: the slots (pointers, sizes, per-parameter flags) travel as one kernel
// argument, blockIdx.y picks the parameter and a grid-stride loop over blockIdx.x covers its
// elements. The per-element arithmetic is engine/optim/sgd.cc's and adam.cc's, operation for
// operation (explicit fma(), IEEE sqrt and division; this file is compiled with --fmad=false so the
// compiler adds no contractions), hence the same results as the CPU step. Step-size constants that
// need pow() are computed on the host per parameter, as the CPU code does.
#include <cmath>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/cuda/fused_optim.h"

namespace nb360 {
namespace cuda {
namespace {

constexpr int kSlotsPerLaunch = 32;

template <class T>
struct SgdChunk {
  T* p[kSlotsPerLaunch];
  const T* g[kSlotsPerLaunch];
  T* buf[kSlotsPerLaunch];
  int64_t n[kSlotsPerLaunch];
  bool first[kSlotsPerLaunch];
};

template <class T>
struct AdamChunk {
  T* p[kSlotsPerLaunch];
  const T* g[kSlotsPerLaunch];
  T* m[kSlotsPerLaunch];
  T* v[kSlotsPerLaunch];
  T* vmax[kSlotsPerLaunch];
  int64_t n[kSlotsPerLaunch];
  T neg_step_size[kSlotsPerLaunch];  // -lr / (1 - beta1^step)
  T bc2_sqrt[kSlotsPerLaunch];       // sqrt(1 - beta2^step)
};

template <class T>
__global__ void SgdKernel(SgdChunk<T> c, T wd, T mom, T keep, T neg_lr, bool has_wd, bool nesterov, bool maximize) {
  const int s = blockIdx.y;
  T* p = c.p[s];
  const T* g = c.g[s];
  T* buf = c.buf[s];
  const bool first = c.first[s];
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < c.n[s];
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    T d = maximize ? -g[i] : g[i];
    if (has_wd) d = fma(p[i], wd, d);
    if (buf != nullptr) {
      const T b = first ? d : fma(d, keep, buf[i] * mom);
      buf[i] = b;
      d = nesterov ? fma(b, mom, d) : b;
    }
    p[i] = fma(d, neg_lr, p[i]);
  }
}

template <class T>
__global__ void AdamKernel(AdamChunk<T> c, T b1, T one_minus_b1, T b2, T one_minus_b2, T e, T wd, T decay,
                           bool coupled_wd, bool decoupled, bool maximize) {
  const int s = blockIdx.y;
  T* p = c.p[s];
  const T* g = c.g[s];
  T* m = c.m[s];
  T* v = c.v[s];
  T* vmax = c.vmax[s];
  const T neg_step_size = c.neg_step_size[s], bc2_sqrt = c.bc2_sqrt[s];
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < c.n[s];
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    T gi = maximize ? -g[i] : g[i];
    T pi = p[i];
    if (decoupled) pi = pi * decay;
    if (coupled_wd) gi = fma(pi, wd, gi);
    const T mi = fma(gi, one_minus_b1, m[i] * b1);
    const T vi = fma(one_minus_b2 * gi, gi, v[i] * b2);
    m[i] = mi;
    v[i] = vi;
    T vv = vi;
    if (vmax != nullptr) {
      // std::max(vmax[i], vi) exactly (vmax[i] unless vmax[i] < vi), so NaNs and signed zeros
      // pick the same operand as the CPU step.
      vv = vmax[i] < vi ? vi : vmax[i];
      vmax[i] = vv;
    }
    const T denom = sqrt(vv) / bc2_sqrt + e;
    p[i] = pi + (neg_step_size * mi) / denom;
  }
}

// Blocks along x for a launch whose largest parameter has `n` elements.
dim3 Grid(int64_t n, int slots) {
  const long long b = (n + kThreads - 1) / kThreads;
  return dim3(static_cast<unsigned>(b < 1 ? 1 : (b > 4096 ? 4096 : b)), static_cast<unsigned>(slots));
}

template <class T>
void SgdT(const std::vector<optim::FusedSlot>& slots, const optim::SgdHyper& h) {
  for (size_t start = 0; start < slots.size(); start += kSlotsPerLaunch) {
    const int count = static_cast<int>(std::min<size_t>(kSlotsPerLaunch, slots.size() - start));
    SgdChunk<T> c{};
    int64_t largest = 0;
    for (int k = 0; k < count; ++k) {
      const optim::FusedSlot& s = slots[start + k];
      c.p[k] = static_cast<T*>(s.param);
      c.g[k] = static_cast<const T*>(s.grad);
      c.buf[k] = static_cast<T*>(s.buf0);
      c.n[k] = s.n;
      c.first[k] = s.first;
      largest = std::max(largest, s.n);
    }
    SgdKernel<T><<<Grid(largest, count), kThreads, 0, CurrentStream()>>>(
        c, static_cast<T>(h.weight_decay), static_cast<T>(h.momentum), static_cast<T>(1.0 - h.dampening),
        static_cast<T>(-h.lr), h.weight_decay != 0.0, h.nesterov, h.maximize);
    CheckLaunch("SgdKernel");
  }
}

template <class T>
void AdamT(const std::vector<optim::FusedSlot>& slots, const optim::AdamHyper& h) {
  for (size_t start = 0; start < slots.size(); start += kSlotsPerLaunch) {
    const int count = static_cast<int>(std::min<size_t>(kSlotsPerLaunch, slots.size() - start));
    AdamChunk<T> c{};
    int64_t largest = 0;
    for (int k = 0; k < count; ++k) {
      const optim::FusedSlot& s = slots[start + k];
      c.p[k] = static_cast<T*>(s.param);
      c.g[k] = static_cast<const T*>(s.grad);
      c.m[k] = static_cast<T*>(s.buf0);
      c.v[k] = static_cast<T*>(s.buf1);
      c.vmax[k] = static_cast<T*>(s.buf2);
      c.n[k] = s.n;
      const double bias_correction1 = 1.0 - std::pow(h.beta1, s.step);
      const double bias_correction2 = 1.0 - std::pow(h.beta2, s.step);
      c.neg_step_size[k] = static_cast<T>(-(h.lr / bias_correction1));
      c.bc2_sqrt[k] = static_cast<T>(std::sqrt(bias_correction2));
      largest = std::max(largest, s.n);
    }
    AdamKernel<T><<<Grid(largest, count), kThreads, 0, CurrentStream()>>>(
        c, static_cast<T>(h.beta1), static_cast<T>(1.0 - h.beta1), static_cast<T>(h.beta2),
        static_cast<T>(1.0 - h.beta2), static_cast<T>(h.eps), static_cast<T>(h.weight_decay),
        static_cast<T>(1.0 - h.lr * h.weight_decay), !h.decoupled && h.weight_decay != 0.0, h.decoupled,
        h.maximize);
    CheckLaunch("AdamKernel");
  }
}

void Sgd(DType dtype, const std::vector<optim::FusedSlot>& slots, const optim::SgdHyper& h) {
  NB_CHECK(dtype == DType::kFloat32 || dtype == DType::kFloat64, "fused SGD: dtype ", DTypeName(dtype));
  if (dtype == DType::kFloat32) return SgdT<float>(slots, h);
  SgdT<double>(slots, h);
}

void Adam(DType dtype, const std::vector<optim::FusedSlot>& slots, const optim::AdamHyper& h) {
  NB_CHECK(dtype == DType::kFloat32 || dtype == DType::kFloat64, "fused Adam: dtype ", DTypeName(dtype));
  if (dtype == DType::kFloat32) return AdamT<float>(slots, h);
  AdamT<double>(slots, h);
}

}  // namespace

const optim::FusedOptimizerKernels kFusedOptimizers = {Sgd, Adam};

}  // namespace cuda
}  // namespace nb360
