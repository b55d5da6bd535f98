// engine/cuda/cuda_copy.cu: the CUDA DeviceOps (engine/device_ops.h): copies between any two
// tensors with at least one on the device (strided, converting dtypes), fills, synchronisation.
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
    if (buffer_ != nullptr) CudaCheck(cudaFreeHost(buffer_), "cudaFreeHost");
    capacity_ = bytes;
    CudaCheck(cudaHostAlloc(&buffer_, capacity_, cudaHostAllocDefault), "cudaHostAlloc(staging)");
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
