// ops/cuda/cufft_util.h (include from ops/cuda .cu files only): cuFFT errors as engine errors, and
// a process-wide cache of batched 1-D cuFFT plans run on CurrentStream().
//
// CufftCheck(cufftExecR2C(...), "cufftExecR2C") throws nb360::Error naming the call and the status
// (a plain function, not a macro). Plans are made once per (type, length, batch) with
// cufftMakePlanMany64 over the basic contiguous layout (R2C / D2Z: n reals -> n/2+1 complex per
// transform; C2R / Z2D the reverse; C2C / Z2Z n -> n), with cuFFT's own work-area allocation off:
// each execution takes its work area from the engine's caching allocator (a uint8 device tensor
// that lives for the call; the stream orders its reuse), so idle plans hold no workspace. Plans are
// never destroyed (work may still be queued on them). The cache's lock is held while a plan is
// bound to the stream and its execution enqueued, so concurrent callers cannot race on the plan's
// stream or work area.
#ifndef NB360_OPS_CUDA_CUFFT_UTIL_H_
#define NB360_OPS_CUDA_CUFFT_UTIL_H_

#include <cufft.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "engine/check.h"
#include "engine/cuda/cuda_stream.h"
#include "engine/tensor.h"

namespace nb360 {
namespace cuda {

inline const char* CufftStatusName(cufftResult status) {
  switch (status) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "unknown cuFFT status";
  }
}

// Throws when `status` is an error; `call` names the cuFFT function (and, if useful, its arguments).
inline void CufftCheck(cufftResult status, const char* call) {
  if (status != CUFFT_SUCCESS) {
    ThrowError("cuFFT: ", call, " failed with ", CufftStatusName(status), " (", static_cast<int>(status), ")");
  }
}

// `batch` contiguous 1-D transforms of length n.
struct CufftPlanKey {
  cufftType type;
  int64_t n;
  int64_t batch;
  bool operator<(const CufftPlanKey& o) const {
    return std::make_tuple(static_cast<int>(type), n, batch) < std::make_tuple(static_cast<int>(o.type), o.n, o.batch);
  }
};

class CufftPlanCache {
 public:
  static CufftPlanCache& Get() {
    static CufftPlanCache* cache = new CufftPlanCache();
    return *cache;
  }

  // Runs exec(handle) with the plan for `key` bound to CurrentStream() and given a work area on
  // `device`; exec enqueues one cufftExec* call and returns its status. Throws naming `call`.
  template <class Exec>
  void Run(const CufftPlanKey& key, Device device, const char* call, Exec&& exec) {
    std::lock_guard<std::mutex> lock(mu_);
    const Plan& plan = Find(key);
    const Tensor work = Tensor::Empty({static_cast<int64_t>(std::max<size_t>(1, plan.work_bytes))}, DType::kUInt8,
                                      device);
    CufftCheck(cufftSetStream(plan.handle, CurrentStream()), "cufftSetStream");
    CufftCheck(cufftSetWorkArea(plan.handle, work.raw_data()), "cufftSetWorkArea");
    CufftCheck(exec(plan.handle), call);
  }

 private:
  struct Plan {
    cufftHandle handle = 0;
    size_t work_bytes = 0;
  };

  const Plan& Find(const CufftPlanKey& key) {
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
    Plan plan;
    CufftCheck(cufftCreate(&plan.handle), "cufftCreate");
    CufftCheck(cufftSetAutoAllocation(plan.handle, 0), "cufftSetAutoAllocation");
    long long n = key.n;  // NOLINT(runtime/int): cuFFT's type
    const cufftResult made =
        cufftMakePlanMany64(plan.handle, 1, &n, nullptr, 1, 0, nullptr, 1, 0, key.type, key.batch, &plan.work_bytes);
    if (made != CUFFT_SUCCESS) cufftDestroy(plan.handle);
    CufftCheck(made, "cufftMakePlanMany64");
    return plans_.emplace(key, plan).first->second;  // std::map nodes never move
  }

  std::mutex mu_;
  std::map<CufftPlanKey, Plan> plans_;
};

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_OPS_CUDA_CUFFT_UTIL_H_
