#!/usr/bin/env bash
# benchmarks/gpu/check.sh REPORT_DIR: the GPU check of issue 5, for an H100/H200 machine with no
# network, run from the repository root with gpu_bundle/ (made by benchmarks/gpu/prepare.sh) carried
# along. Under 8 minutes:
#   1. device facts (nvidia-smi), unpack the bundle, find cuDNN (the image has it in PyTorch's venv);
#   2. the CUDA runtime tests (copies, allocator, Module::To, fused SGD/AdamW vs CPU);
#   3. the op conformance suite: every op with a CUDA kernel against the CPU, forward and gradients;
#   4. compute-sanitizer (memcheck) over one short WRN-16-4 CUDA training step;
#   5. timings: WRN-16-4 / dense WRN / ResNet1D train steps on the GPU (ours) and the same models in
#      PyTorch on the same GPU (eager float32, cuDNN); ratios in summary.txt.
# Not yet in it (not built): per-op CUDA benchmarks, the GAEA search step, TF32/bf16/CUDA-graph runs.
# Every step's output goes to REPORT_DIR; a failing step is recorded and the script goes on.
set -uo pipefail
report=${1:?usage: benchmarks/gpu/check.sh REPORT_DIR}
mkdir -p "$report"
start=$(date +%s)
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$report/summary.txt"; }
run() {  # run NAME TIMEOUT CMD...: output to REPORT_DIR/NAME.log, status into the summary
  local name=$1 limit=$2; shift 2
  timeout "$limit" "$@" > "$report/$name.log" 2>&1
  log "$name: exit $?"
}

nvidia-smi > "$report/nvidia-smi.txt" 2>&1 || true
log "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
work=$(mktemp -d)
tar -C "$work" -xJf gpu_bundle/gpu_bundle.tar.xz || { log "no gpu_bundle/gpu_bundle.tar.xz: run prepare.sh"; exit 1; }
cudnn=$(dirname "$(find / -name 'libcudnn.so.9*' -not -path '/proc/*' 2>/dev/null | head -1)")
export LD_LIBRARY_PATH="$work/lib:${cudnn}:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-16}
log "cuDNN from: $cudnn"
bin=$work/bin

run cuda_device_test 120 "$bin/cuda_device_test"
run conformance 240 "$bin/conformance_test" --gtest_brief=1
grep -E "CUDA: |no CUDA kernel|FAILED" "$report/conformance.log" | head -40 >> "$report/summary.txt"
run sanitizer 120 compute-sanitizer --tool memcheck --leak-check no \
  "$bin/wrn_step_benchmark" --benchmark_filter='WRN16_4_Cifar100_B128_CUDA' --benchmark_min_time=0.01
grep -E "ERROR SUMMARY" "$report/sanitizer.log" >> "$report/summary.txt"
run wrn_step_ours 150 "$bin/wrn_step_benchmark" --benchmark_filter=_CUDA --benchmark_repetitions=3
run wrn_step_torch 150 python3 benchmarks/baselines/torch_wrn_step.py --device=cuda

# Ratios: ours / PyTorch for each CUDA step case (min of our repetitions).
python3 - "$report" <<'PY' | tee -a "$report/summary.txt"
import re, sys
rep = sys.argv[1]
ours = {}
for line in open(f"{rep}/wrn_step_ours.log"):
    m = re.match(r"BM_TrainStep_(\S+?)/\S*_min\s+([\d.]+) ms", line)
    if m:
        ours[m.group(1)] = float(m.group(2))
torch = {}
for line in open(f"{rep}/wrn_step_torch.log"):
    m = re.match(r"(\S+_CUDA)\s+([\d.]+)$", line.strip())
    if m:
        torch[m.group(1)] = float(m.group(2))
print("case | nb360 ms | PyTorch ms | ratio")
for k in sorted(ours):
    t = torch.get(k)
    print(f"{k} | {ours[k]:.3f} | {t if t else 'n/a'} | {ours[k] / t:.2f}x" if t else f"{k} | {ours[k]:.3f} | n/a | n/a")
PY
log "done in $(( $(date +%s) - start )) s"
