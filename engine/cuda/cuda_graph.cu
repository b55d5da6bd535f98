// engine/cuda/cuda_graph.cu: see cuda_graph.h.
#include "engine/cuda/cuda_graph.h"

#include <cuda_runtime.h>

#include "engine/check.h"
#include "engine/cuda/cuda_allocator.h"
#include "engine/cuda/cuda_check.h"
#include "engine/cuda/cuda_stream.h"

namespace nb360 {
namespace cuda {
namespace {

thread_local bool t_capturing = false;

// ReleaseCapturePool on paths that must not throw (a destructor, error handling that is about to
// rethrow a better error): when the device is in an error state the pool's blocks stay reserved.
void ReleasePoolQuietly(int pool) {
  try {
    ReleaseCapturePool(pool);
  } catch (...) {
  }
}

class CudaGraph : public DeviceGraph {
 public:
  CudaGraph(cudaGraph_t graph, cudaGraphExec_t exec, int pool) : graph_(graph), exec_(exec), pool_(pool) {}
  ~CudaGraph() override {
    ReleasePoolQuietly(pool_);  // waits for a replay still running
    cudaGraphExecDestroy(exec_);
    cudaGraphDestroy(graph_);
  }
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void Replay() override {
    NB_CHECK(!t_capturing, "a CUDA graph cannot be replayed while another is being captured");
    CudaCheck(cudaGraphLaunch(exec_, CurrentStream()), "cudaGraphLaunch");
  }

 private:
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  int pool_;
};

// Ends a capture that failed, dropping whatever was recorded.
void AbandonCapture(int pool) {
  cudaGraph_t partial = nullptr;
  cudaStreamEndCapture(CurrentStream(), &partial);
  if (partial != nullptr) cudaGraphDestroy(partial);
  (void)cudaGetLastError();
  EndCapturePool();
  ReleasePoolQuietly(pool);
}

}  // namespace

bool CapturingGraph() { return t_capturing; }

void RefuseDuringCapture(const char* what) {
  if (!t_capturing) return;
  ThrowError(what, " while a CUDA graph is being captured: a captured step must not move data between host and "
             "device or wait for the device (copy its inputs in before the replay, read results after it, and "
             "keep host-side value checks out of it)");
}

std::unique_ptr<DeviceGraph> CaptureGraph(const std::function<void()>& record) {
  NB_CHECK(!t_capturing, "CUDA graph captures do not nest");
  CudaCheck(cudaStreamSynchronize(CurrentStream()), "cudaStreamSynchronize (before graph capture)");
  const int pool = BeginCapturePool();
  const cudaError_t begin = cudaStreamBeginCapture(CurrentStream(), cudaStreamCaptureModeRelaxed);
  if (begin != cudaSuccess) {
    EndCapturePool();
    ReleasePoolQuietly(pool);
    CudaCheck(begin, "cudaStreamBeginCapture");
  }
  t_capturing = true;
  try {
    record();
  } catch (...) {
    t_capturing = false;
    AbandonCapture(pool);
    throw;
  }
  t_capturing = false;
  cudaGraph_t graph = nullptr;
  const cudaError_t end = cudaStreamEndCapture(CurrentStream(), &graph);
  EndCapturePool();
  if (end != cudaSuccess) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    (void)cudaGetLastError();
    ReleasePoolQuietly(pool);
    CudaCheck(end, "cudaStreamEndCapture (the step queued work that cannot be captured)");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t inst = cudaGraphInstantiate(&exec, graph, 0);
  if (inst != cudaSuccess) {
    cudaGraphDestroy(graph);
    (void)cudaGetLastError();
    ReleasePoolQuietly(pool);
    CudaCheck(inst, "cudaGraphInstantiate");
  }
  return std::make_unique<CudaGraph>(graph, exec, pool);
}

}  // namespace cuda
}  // namespace nb360
