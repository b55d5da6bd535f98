// ops/cuda/weighted_sum.cu: CUDA kernels of WeightedSum (ops/weighted_sum.h). Up to kMaxInputs
// input pointers travel as one kernel argument (more inputs: chunks, accumulating into y). Forward:
// one thread per element sums its inputs in k order with the weights read on the device. Backward:
// gx_k = w_k * g elementwise (same chunking); gw_k = sum(g * x_k) by one block per k, each thread
// summing a fixed strided set in double and a fixed shared-memory tree after: deterministic.
#include <algorithm>
#include <vector>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"
#include "ops/weighted_sum.h"

namespace nb360 {
namespace cuda {
namespace {

constexpr int kMaxInputs = 16;

template <class T>
struct Pointers {
  const T* x[kMaxInputs];
  T* gx[kMaxInputs];
};

template <class T>
__global__ void ForwardKernel(Pointers<T> p, int k, int first, const T* w, bool accumulate, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    T s = accumulate ? y[i] : w[first] * p.x[0][i];
    for (int j = accumulate ? 0 : 1; j < k; ++j) s += w[first + j] * p.x[j][i];
    y[i] = s;
  }
}

template <class T>
__global__ void GradInputKernel(Pointers<T> p, int k, int first, const T* w, const T* g, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    for (int j = 0; j < k; ++j) {
      if (p.gx[j] != nullptr) p.gx[j][i] = w[first + j] * g[i];
    }
  }
}

template <class T>
__global__ void GradWeightKernel(Pointers<T> p, int first, const T* g, int64_t n, T* gw) {
  __shared__ double partial[kThreads];
  const T* x = p.x[blockIdx.x];
  double s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += static_cast<double>(g[i]) * static_cast<double>(x[i]);
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) gw[first + blockIdx.x] = static_cast<T>(partial[0]);
}

template <class T>
Pointers<T> Chunk(const std::vector<Tensor>& xs, const std::vector<Tensor>* gxs, int first, int count) {
  Pointers<T> p{};
  for (int j = 0; j < count; ++j) {
    p.x[j] = xs[first + j].data<T>();
    p.gx[j] = gxs != nullptr && (*gxs)[first + j].defined() ? (*gxs)[first + j].data<T>() : nullptr;
  }
  return p;
}

template <class T>
void ForwardT(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& y) {
  const int64_t n = y.numel();
  if (n == 0) return;
  const int k = static_cast<int>(xs.size());
  for (int first = 0; first < k; first += kMaxInputs) {
    const int count = std::min(kMaxInputs, k - first);
    ForwardKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(Chunk<T>(xs, nullptr, first, count), count,
                                                                       first, w.data<T>(), first > 0,
                                                                       y.data<T>(), n);
    CheckLaunch("WeightedSum ForwardKernel");
  }
}

template <class T>
void BackwardT(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& g, const std::vector<Tensor>& gxs,
               const Tensor& gw) {
  const int64_t n = g.numel();
  const int k = static_cast<int>(xs.size());
  for (int first = 0; first < k; first += kMaxInputs) {
    const int count = std::min(kMaxInputs, k - first);
    const Pointers<T> p = Chunk<T>(xs, &gxs, first, count);
    if (n > 0) {
      GradInputKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(p, count, first, w.data<T>(),
                                                                            g.data<T>(), n);
      CheckLaunch("WeightedSum GradInputKernel");
    }
    if (gw.defined()) {
      GradWeightKernel<T><<<count, kThreads, 0, CurrentStream()>>>(p, first, g.data<T>(), n, gw.data<T>());
      CheckLaunch("WeightedSum GradWeightKernel");
    }
  }
}

void Forward(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& y) {
  NB_CHECK(y.dtype() == DType::kFloat32 || y.dtype() == DType::kFloat64, "WeightedSum (CUDA): dtype ",
           DTypeName(y.dtype()));
  if (y.dtype() == DType::kFloat32) return ForwardT<float>(xs, w, y);
  ForwardT<double>(xs, w, y);
}

void Backward(const std::vector<Tensor>& xs, const Tensor& w, const Tensor& g, const std::vector<Tensor>& gxs,
              const Tensor& gw) {
  NB_CHECK(g.dtype() == DType::kFloat32 || g.dtype() == DType::kFloat64, "WeightedSum (CUDA): dtype ",
           DTypeName(g.dtype()));
  if (g.dtype() == DType::kFloat32) return BackwardT<float>(xs, w, g, gxs, gw);
  BackwardT<double>(xs, w, g, gxs, gw);
}

}  // namespace

const WeightedSumKernels kWeightedSum = {Forward, Backward};

}  // namespace cuda
}  // namespace nb360
