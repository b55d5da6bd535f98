#!/usr/bin/env bash
# benchmarks/gpu/prepare.sh: builds the GPU check's binaries HERE (the lent GPU machine has nvcc,
# PyTorch and compute-sanitizer but no Bazel/JDK) and packs them, with the non-system shared
# libraries they need (oneDNN, OpenBLAS, FFTW, Abseil, ...), into gpu_bundle/ (git-ignored), which
# the device call carries; then run benchmarks/gpu/check.sh REPORT_DIR there.
#   benchmarks/gpu/prepare.sh            # --config=cuda -c opt build + bundle (xz)
set -euo pipefail
cd "$(dirname "$0")/../.."
targets=(
  //tests/engine/cuda:cuda_device_test
  //tests/ops:conformance_test
  //tests/ops:autocast_test
  //tests/tasks/train:graphed_step_test
  //tests/baselines/wrn:wrn_cuda_step_test
  //benchmarks/baselines:wrn_step_benchmark
  //benchmarks/nas:gaea_search_step_benchmark
  //benchmarks/ops:conv_benchmark
  //benchmarks/ops:fft_benchmark
  //benchmarks/ops:loss_benchmark
  //benchmarks/ops:norm_benchmark
  //benchmarks/ops:pool_benchmark
)
bazel build --config=cuda -c opt --dynamic_mode=off "${targets[@]}"
rm -rf gpu_bundle && mkdir -p gpu_bundle/bin gpu_bundle/lib
for t in "${targets[@]}"; do
  path=${t#//}; path=bazel-bin/${path/://}
  cp "$path" gpu_bundle/bin/ && strip gpu_bundle/bin/"$(basename "$path")"
done
# Shared libraries outside glibc, the C++ runtime, the driver and the CUDA toolkit (all present there).
for b in gpu_bundle/bin/*; do ldd "$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so|/usr/local/cuda|libcuda\.so|libcudnn|libcublas|libcufft|libcudart' |
  while read -r lib; do cp -L "$lib" gpu_bundle/lib/; done
tar -C gpu_bundle -cJf gpu_bundle.tar.xz . && rm -rf gpu_bundle/bin gpu_bundle/lib
mv gpu_bundle.tar.xz gpu_bundle/
grep -qx '/gpu_bundle/' .git/info/exclude 2>/dev/null || echo '/gpu_bundle/' >> .git/info/exclude
ls -la gpu_bundle/
