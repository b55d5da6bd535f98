#!/usr/bin/env bash
# benchmarks/gpu/check.sh REPORT_DIR: the GPU check of issue 5, for an H100/H200 machine with no
# network, run from the repository root with gpu_bundle/ (made by benchmarks/gpu/prepare.sh) carried
# along. Under 8 minutes (the steps share a budget of NB360_CHECK_BUDGET_S, default 420 s: every
# step's timeout is cut to what is left, and a step is skipped when nothing is):
#   1. device facts (nvidia-smi), unpack the bundle, find cuDNN (the image has it in PyTorch's venv);
#   2. the CUDA runtime tests (copies, allocator, Module::To, fused SGD/AdamW vs CPU, random draws);
#   3. the op conformance suite: every op with a CUDA kernel against the CPU, forward and gradients;
#      the bf16 autocast kernels against the CPU reference; the graphed training step against eager
#      steps (bitwise); WRN-16-4 / ResNet1D SGD steps, CUDA against the CPU;
#   4. timings, ours on the GPU and the same in PyTorch on the same GPU (eager, cuDNN; float32 with
#      TF32 off on both sides unless a case's name says otherwise), ratios in summary.txt
#      (benchmarks/gpu/summarize.py):
#      - WRN-16-4 / dense WRN / ResNet1D train steps (wrn_step_benchmark vs torch_wrn_step.py), each
#        as strict float32, TF32, bf16 autocast, CUDA graph and all three, with issue 5's targets;
#      - the GAEA PC-DARTS search step, CIFAR-100 and ECG shapes (gaea_search_step_benchmark vs
#        torch_gaea_search_step.py), one process per case;
#      - the op benchmarks (conv, fft, loss, norm, pool: the *_CUDA cases vs torch_<family>.py
#        --device=cuda), each with its FLOP/s and bytes/s as a fraction of the card's peak (H100 SXM,
#        H100 PCIe or H200 datasheet figures, picked from nvidia-smi's name);
#   5. compute-sanitizer (memcheck) over one short WRN-16-4 CUDA training step.
# Not yet in it: TF32/bf16 variants of the single-op timings, Nsight profiles.
# Every step's output goes to REPORT_DIR/<step>.log (ours also as <step>.json); a failing step is
# recorded and the script goes on; a case that fails inside a benchmark is listed with its error.
set -uo pipefail
report=${1:?usage: benchmarks/gpu/check.sh REPORT_DIR}
mkdir -p "$report"
start=$(date +%s)
budget=${NB360_CHECK_BUDGET_S:-420}
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$report/summary.txt"; }
run() {  # run NAME TIMEOUT CMD...: output to REPORT_DIR/NAME.log, status into the summary
  local name=$1 limit=$2; shift 2
  local left=$(( budget - ($(date +%s) - start) ))
  if (( left < 5 )); then
    log "$name: skipped (the ${budget} s budget is spent)"
    return
  fi
  (( limit > left )) && limit=$left
  timeout "$limit" "$@" > "$report/$name.log" 2>&1
  local rc=$?
  if (( rc == 124 )); then log "$name: exit 124 (timed out after ${limit} s)"; else log "$name: exit $rc"; fi
}
# Line-buffered stdout, so a benchmark's rows survive a crash or a timeout (summarize.py falls back
# on them when the JSON was not written).
lb=()
command -v stdbuf > /dev/null && lb=(stdbuf -oL)

nvidia-smi > "$report/nvidia-smi.txt" 2>&1 || true
nvidia-smi --query-gpu=name --format=csv,noheader > "$report/gpu_name.txt" 2>/dev/null || true
log "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
work=$(mktemp -d)
tar -C "$work" -xJf gpu_bundle/gpu_bundle.tar.xz || { log "no gpu_bundle/gpu_bundle.tar.xz: run prepare.sh"; exit 1; }
cudnn=$(dirname "$(find / -name 'libcudnn.so.9*' -not -path '/proc/*' 2>/dev/null | head -1)")
export LD_LIBRARY_PATH="$work/lib:${cudnn}:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-16}
log "cuDNN from: $cudnn"
bin=$work/bin

run cuda_device_test 30 "$bin/cuda_device_test"
run conformance 50 "$bin/conformance_test" --gtest_brief=1
grep -E "CUDA: |no CUDA kernel|FAILED" "$report/conformance.log" 2>/dev/null | head -40 >> "$report/summary.txt"
# The fast paths and the training step: bf16 autocast vs the CPU reference, graphed step vs eager
# (bitwise), WRN-16-4 / ResNet1D SGD steps CPU vs CUDA.
for t in autocast_test graphed_step_test wrn_cuda_step_test; do
  run "$t" 40 "$bin/$t" --gtest_brief=1
  grep -E "FAILED|PASSED|SKIPPED" "$report/$t.log" 2>/dev/null | head -10 >> "$report/summary.txt"
done

# Train steps: 5 variants x 4 models (float32, TF32, bf16 autocast, CUDA graph, all), short runs.
run wrn_step_ours 45 "${lb[@]}" "$bin/wrn_step_benchmark" --benchmark_filter=_CUDA --benchmark_min_time=0.2 \
  --benchmark_repetitions=2 --benchmark_out="$report/wrn_step_ours.json" --benchmark_out_format=json
run wrn_step_torch 50 python3 benchmarks/baselines/torch_wrn_step.py --device=cuda --min-time=0.2 --repeat=2

# GAEA search step: one process per case, so a crash in one does not hide the other.
for c in Cifar100_B64 ECG_B32; do
  run "gaea_step_ours_$c" 20 "${lb[@]}" "$bin/gaea_search_step_benchmark" --benchmark_filter="GaeaSearch_${c}_CUDA" \
    --benchmark_min_time=0.05 --benchmark_repetitions=3 \
    --benchmark_out="$report/gaea_step_ours_$c.json" --benchmark_out_format=json
done
run gaea_step_torch 25 python3 benchmarks/nas/torch_gaea_search_step.py --device=cuda --min-time=0.2 --repeat=2

# Op benchmarks: every _CUDA case, 3 repetitions of >= 0.05 s; the PyTorch twins with short runs.
declare -A ours_limit=([conv]=25 [fft]=10 [loss]=10 [norm]=12 [pool]=13)
declare -A torch_limit=([conv]=18 [fft]=13 [loss]=13 [norm]=13 [pool]=13)
declare -A torch_args=([conv]="--min-time=0.03 --repeat=3" [fft]="" [loss]="--min-time=0.03"
                       [norm]="--min-time=0.03 --repeat=3" [pool]="--min-time=0.01")
for f in conv fft loss norm pool; do
  run "ops_${f}_ours" "${ours_limit[$f]}" "${lb[@]}" "$bin/${f}_benchmark" --benchmark_filter=_CUDA \
    --benchmark_min_time=0.05 --benchmark_repetitions=3 \
    --benchmark_out="$report/ops_${f}_ours.json" --benchmark_out_format=json
done
for f in conv fft loss norm pool; do
  # shellcheck disable=SC2086  # torch_args holds separate words
  run "ops_${f}_torch" "${torch_limit[$f]}" python3 "benchmarks/ops/torch_${f}.py" --device=cuda ${torch_args[$f]}
done

run sanitizer 35 compute-sanitizer --tool memcheck --leak-check no \
  "$bin/wrn_step_benchmark" --benchmark_filter='WRN16_4_Cifar100_B128_CUDA/' --benchmark_min_time=0.01
grep -E "ERROR SUMMARY" "$report/sanitizer.log" 2>/dev/null >> "$report/summary.txt"

# Ratios (ours / PyTorch, best of each side's runs) and fractions of the card's peak.
python3 benchmarks/gpu/summarize.py "$report" 2>&1 | tee -a "$report/summary.txt"
log "done in $(( $(date +%s) - start )) s"
