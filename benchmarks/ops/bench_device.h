// benchmarks/ops/bench_device.h: what the op and step benchmarks need to time their cases on a GPU
// too (target //benchmarks/ops:bench_device).
//
// In a --config=cuda build on a machine with a usable GPU, BenchDevices() lists the CPU and the GPU
// (suffix "_CUDA"); elsewhere the CPU only, so CPU builds and GPU-less machines register exactly the
// CPU cases. A GPU case makes its inputs on the CPU, moves them with .To(device), and calls
// SyncDevice(device) at the end of every timed iteration (the device queue is asynchronous; the
// benchmarks use UseRealTime). RunGuarded turns an nb360 error into SkipWithError, so one failing
// GPU case is reported ("ERROR OCCURRED: '...'") and the other cases still run.
//
// Example:
//   for (const auto& [suffix, device] : bench::BenchDevices()) {
//     RegisterBenchmark(("BM_X" + suffix).c_str(), [device](State& s) {
//       bench::RunGuarded(s, [&] { ... for (auto _ : s) { ...; bench::SyncDevice(device); } });
//     });
//   }
#ifndef NB360_BENCHMARKS_OPS_BENCH_DEVICE_H_
#define NB360_BENCHMARKS_OPS_BENCH_DEVICE_H_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "engine/device.h"
#include "engine/tensor.h"

namespace nb360::bench {

// True in --config=cuda builds where InitCudaBackend() succeeds (tried once).
bool CudaRunning();

// {"", CPU} and, where CudaRunning(), {"_CUDA", CUDA(0)}.
std::vector<std::pair<std::string, Device>> BenchDevices();

// Waits until the device's queued work is done; nothing on the CPU.
void SyncDevice(Device device);

// Bytes of the tensors' elements (numel x element size), undefined tensors counted as 0.
double TensorBytes(std::initializer_list<Tensor> tensors);

// Sets the "bytes/s" counter: `bytes` per iteration, as a rate.
inline void SetBytesPerSecond(benchmark::State& state, double bytes) {
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

// Runs body(); an exception from it (an nb360::Error, a CUDA error) ends the case with
// SkipWithError(message) instead of ending the program.
template <class F>
void RunGuarded(benchmark::State& state, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace nb360::bench

#endif  // NB360_BENCHMARKS_OPS_BENCH_DEVICE_H_
