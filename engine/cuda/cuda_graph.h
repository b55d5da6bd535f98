// engine/cuda/cuda_graph.h: CUDA graph capture behind DeviceOps::Capture (engine/device_ops.h).
//
// CaptureGraph runs `record` once with the engine stream in capture mode: the kernels, cuDNN,
// cuBLAS and cuFFT calls it queues are recorded into a graph, which is instantiated and returned;
// Replay() launches it on the engine stream. Memory allocated while recording comes from a private
// pool of the caching allocator (cuda_allocator.h) that lives as long as the graph, so every replay
// reads and writes the recorded addresses and nothing else is given those blocks meanwhile. While
// recording, host <-> device copies, synchronisation and random draws are refused with a clear error
// (a captured step must get its inputs before the replay, must not read values back, and would repeat
// its random draws on every replay), and ops leave out host-side checks (CapturingOn, engine/device_ops.h). Relaxed capture
// mode: cudaMalloc of new pool blocks is allowed while recording.
#ifndef NB360_ENGINE_CUDA_CUDA_GRAPH_H_
#define NB360_ENGINE_CUDA_CUDA_GRAPH_H_

#include <functional>
#include <memory>

#include "engine/device_ops.h"

namespace nb360 {
namespace cuda {

std::unique_ptr<DeviceGraph> CaptureGraph(const std::function<void()>& record);

// True while this thread is recording a graph.
bool CapturingGraph();

// Throws an error naming `what` when this thread is recording a graph.
void RefuseDuringCapture(const char* what);

}  // namespace cuda
}  // namespace nb360

#endif  // NB360_ENGINE_CUDA_CUDA_GRAPH_H_
