// engine/cuda/cuda_copy.cu: the CUDA DeviceOps (engine/device_ops.h): copies between any two
// tensors with at least one on the device (strided, converting dtypes), fills, Bernoulli draws (the
// CPU generator's values), synchronisation, graph capture (cuda_graph.h).
//
// Host -> device: the host side is made contiguous in the target dtype on the CPU, staged through a
// pinned buffer and copied asynchronously; a strided destination is then filled from a contiguous
// device copy by the strided-copy kernel. Device -> host: the reverse (strided/cast kernel into a
// contiguous device buffer, one copy out, then the CPU's strided copy). Device -> device: one kernel.
#include <cstring>
#include <mutex>

#include "engine/check.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_copy.h"
#include "engine/cuda/cuda_graph.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/cuda/strided_index.h"
#include "engine/device_ops.h"
#include "engine/dtype_dispatch.h"
#include "engine/tensor.h"

namespace nb360 {
namespace cuda {
namespace {

template <class D, class S>
__global__ void CopyCastKernel(D* dst, const S* src, int64_t n, StridedIndex<2> index) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off[2];
    index.Offsets(i, off);
    dst[off[0]] = static_cast<D>(src[off[1]]);
  }
}

template <class T>
__global__ void FillKernel(T* dst, T value, int64_t n, StridedIndex<1> index) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off[1];
    index.Offsets(i, off);
    dst[off[0]] = value;
  }
}

// Philox-4x32-10 and the 53-bit uniform of engine/rng.cc, operation for operation (integer ops and
// one exact double multiply), so device draws equal the CPU's bit for bit.
__device__ void PhiloxBlock(uint32_t c[4], uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c[2];
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k0;
    const uint32_t n1 = static_cast<uint32_t>(p1);
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k1;
    const uint32_t n3 = static_cast<uint32_t>(p0);
    c[0] = n0;
    c[1] = n1;
    c[2] = n2;
    c[3] = n3;
    k0 += kW0;
    k1 += kW1;
  }
}

template <class T>
__global__ void BernoulliKernel(T* dst, int64_t n, double p, uint64_t seed, uint64_t offset) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t counter = offset + static_cast<uint64_t>(i);
    uint32_t c[4] = {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u};
    PhiloxBlock(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    const uint64_t bits = (static_cast<uint64_t>(c[0]) << 21) ^ (c[1] >> 11);
    const double u = static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
    dst[i] = u < p ? T(1) : T(0);
  }
}

// dst = src on the device (both device tensors, src expanded to dst's shape).
void DeviceToDevice(const Tensor& dst, const Tensor& src) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  const Tensor* ops[2] = {&dst, &src};
  const StridedIndex<2> index = MakeStridedIndex<2>(dst.shape(), ops);
  DispatchAll(dst.dtype(), [&](auto dtag) {
    DispatchAll(src.dtype(), [&](auto stag) {
      using D = decltype(dtag);
      using S = decltype(stag);
      CopyCastKernel<D, S><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(
          static_cast<D*>(dst.raw_data()), static_cast<const S*>(src.raw_data()), n, index);
    });
  });
  CheckLaunch("CopyCastKernel");
}

// A pinned host buffer, grown on demand, for host <-> device transfers (one at a time).
class PinnedStaging {
 public:
  // Copies `bytes` from host memory to device memory through the pinned buffer.
  void ToDevice(void* device, const void* host, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    Reserve(bytes);
    std::memcpy(buffer_, host, bytes);
    CudaCheck(cudaMemcpyAsync(device, buffer_, bytes, cudaMemcpyHostToDevice, CurrentStream()),
              "cudaMemcpyAsync(host -> device)");
    CudaCheck(cudaStreamSynchronize(CurrentStream()), "cudaStreamSynchronize");
  }
  void ToHost(void* host, const void* device, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    Reserve(bytes);
    CudaCheck(cudaMemcpyAsync(buffer_, device, bytes, cudaMemcpyDeviceToHost, CurrentStream()),
              "cudaMemcpyAsync(device -> host)");
    CudaCheck(cudaStreamSynchronize(CurrentStream()), "cudaStreamSynchronize");
    std::memcpy(host, buffer_, bytes);
  }

 private:
  void Reserve(size_t bytes) {
    if (bytes <= capacity_) return;
    void* old = buffer_;
    buffer_ = nullptr;  // a failed allocation below leaves no buffer, not a freed one
    capacity_ = 0;
    if (old != nullptr) CudaCheck(cudaFreeHost(old), "cudaFreeHost");
    void* grown = nullptr;
    CudaCheck(cudaHostAlloc(&grown, bytes, cudaHostAllocDefault), "cudaHostAlloc(staging)");
    buffer_ = grown;
    capacity_ = bytes;
  }
  std::mutex mu_;
  void* buffer_ = nullptr;
  size_t capacity_ = 0;
};

PinnedStaging& Staging() {
  static PinnedStaging* staging = new PinnedStaging();
  return *staging;
}

class CudaDeviceOps : public DeviceOps {
 public:
  void Copy(const Tensor& dst, const Tensor& src) override {
    const bool dst_dev = !dst.device().is_cpu(), src_dev = !src.device().is_cpu();
    if (dst_dev && src_dev) return DeviceToDevice(dst, src);
    RefuseDuringCapture(dst_dev ? "a host -> device copy" : "a device -> host copy (a host read)");
    if (dst_dev) {
      const Tensor host = src.To(dst.dtype()).Contiguous();
      const size_t bytes = static_cast<size_t>(host.numel()) * DTypeSize(host.dtype());
      if (dst.is_contiguous()) {
        if (bytes > 0) Staging().ToDevice(dst.raw_data(), host.raw_data(), bytes);
        return;
      }
      const Tensor tmp = Tensor::Empty(dst.shape(), dst.dtype(), dst.device());
      if (bytes > 0) Staging().ToDevice(tmp.raw_data(), host.raw_data(), bytes);
      return DeviceToDevice(dst, tmp);
    }
    // Device -> host.
    Tensor dev = src;
    if (!src.is_contiguous() || src.dtype() != dst.dtype()) {
      dev = Tensor::Empty(dst.shape(), dst.dtype(), src.device());
      DeviceToDevice(dev, src);
    }
    const Tensor host = Tensor::Empty(dst.shape(), dst.dtype(), Device::CPU());
    const size_t bytes = static_cast<size_t>(host.numel()) * DTypeSize(host.dtype());
    if (bytes > 0) Staging().ToHost(host.raw_data(), dev.raw_data(), bytes);
    dst.CopyFrom(host);
  }

  void Fill(const Tensor& dst, double value) override {
    const int64_t n = dst.numel();
    if (n == 0) return;
    const Tensor* ops[1] = {&dst};
    const StridedIndex<1> index = MakeStridedIndex<1>(dst.shape(), ops);
    DispatchAll(dst.dtype(), [&](auto tag) {
      using T = decltype(tag);
      FillKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<T*>(dst.raw_data()),
                                                                     static_cast<T>(value), n, index);
    });
    CheckLaunch("FillKernel");
  }

  void Bernoulli(const Tensor& dst, double p, uint64_t seed, uint64_t offset) override {
    if (CapturingGraph()) {
      ThrowError("a random draw (a dropout or drop-path mask) while a CUDA graph is being captured: every "
                 "replay would draw the same mask");
    }
    NB_CHECK(dst.is_contiguous(), "Bernoulli (CUDA): needs a contiguous tensor, got ", dst.Describe());
    const int64_t n = dst.numel();
    if (n == 0) return;
    DispatchFloating(dst.dtype(), "Bernoulli (CUDA)", [&](auto tag) {
      using T = decltype(tag);
      BernoulliKernel<T><<<BlocksFor(n), kThreads, 0, CurrentStream()>>>(static_cast<T*>(dst.raw_data()), n, p,
                                                                          seed, offset);
    });
    CheckLaunch("BernoulliKernel");
  }

  void Synchronize() override {
    RefuseDuringCapture("synchronising the device");
    CudaCheck(cudaStreamSynchronize(CurrentStream()), "cudaStreamSynchronize");
  }

  std::unique_ptr<DeviceGraph> Capture(const std::function<void()>& record) override { return CaptureGraph(record); }

  bool Capturing() const override { return CapturingGraph(); }
};

}  // namespace

DeviceOps* CudaOps() {
  static CudaDeviceOps* ops = new CudaDeviceOps();
  return ops;
}

}  // namespace cuda
}  // namespace nb360
