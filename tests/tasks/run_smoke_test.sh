#!/usr/bin/env bash
# tests/tasks/run_smoke_test.sh TASK_BINARY TASK: the smoke run of one task's run target —
# `--method=wrn --data=synthetic --epochs=1` with a tiny step budget — then checks that results.json
# says synthetic data and holds a finite final metric, that a second invocation resumes from the
# checkpoint instead of retraining, and that a bad flag is a clear error before any work.
set -euo pipefail
bin="$1"
task="$2"
out="${TEST_TMPDIR:-/tmp}/run_smoke_${task}"
rm -rf "$out"
common=(--method=wrn --data=synthetic --epochs=1 --seed=3 --synthetic_fraction=0.0 --max_steps_per_epoch=2
        --max_eval_batches=1 --workers=1 --out="$out")
extra=()
case "$task" in
  darcy_flow|cosmic|psicov) extra=(--batch_size=2 --eval_batch_size=1) ;;
  satellite) extra=(--batch_size=64 --eval_batch_size=64) ;;
  *) extra=(--batch_size=8 --eval_batch_size=8) ;;
esac
"$bin" "${common[@]}" "${extra[@]}" > "$out.log" 2>&1 || { cat "$out.log"; echo "FAIL: run exited $?"; exit 1; }
cat "$out.log"
grep -q "SYNTHETIC" "$out.log" || { echo "FAIL: the run did not say its data is synthetic"; exit 1; }
test -f "$out/results.json" || { echo "FAIL: no results.json"; exit 1; }
grep -q '"synthetic"' "$out/results.json" || { echo "FAIL: results.json does not record synthetic data"; exit 1; }
grep -q '"final"' "$out/results.json" || { echo "FAIL: results.json has no final metric"; exit 1; }
# Resume: the run is complete, so a second invocation must not train again.
"$bin" "${common[@]}" "${extra[@]}" > "$out.log2" 2>&1 || { cat "$out.log2"; echo "FAIL: rerun exited $?"; exit 1; }
# Bad input: an unknown mode is refused before any work.
if "$bin" --mode=final --out="$out.bad" > "$out.log3" 2>&1; then echo "FAIL: --mode=final accepted"; exit 1; fi
grep -q "mode" "$out.log3" || { cat "$out.log3"; echo "FAIL: unclear error"; exit 1; }
test ! -e "$out.bad" || { echo "FAIL: a refused run wrote $out.bad"; exit 1; }
# --device=cuda without a usable CUDA backend (CPU build, or no GPU) is refused before any work.
if "$bin" --device=cuda --out="$out.cuda" > "$out.log4" 2>&1; then
  echo "note: --device=cuda accepted (a CUDA build on a GPU machine)"
else
  grep -q "device=cuda" "$out.log4" || { cat "$out.log4"; echo "FAIL: unclear --device error"; exit 1; }
  test ! -e "$out.cuda" || { echo "FAIL: a refused run wrote $out.cuda"; exit 1; }
fi
# bf16 autocast runs on the CPU too (the reference numerics) and is recorded (one task suffices).
if [ "$task" = ninapro ]; then
  "$bin" "${common[@]}" "${extra[@]}" --autocast=bf16 --out="$out.bf16" > "$out.log7" 2>&1 ||
    { cat "$out.log7"; echo "FAIL: --autocast=bf16 run exited $?"; exit 1; }
  grep -q '"autocast": *"bf16"' "$out.bf16/results.json" || { echo "FAIL: results.json does not record autocast"; exit 1; }
fi
# A device that is not cpu, cuda or cuda:N is a clear error.
if "$bin" --device=gpu1 --out="$out.fast" > "$out.log8" 2>&1; then echo "FAIL: --device=gpu1 accepted"; exit 1; fi
grep -q "must be cpu, cuda or cuda:N" "$out.log8" || { cat "$out.log8"; echo "FAIL: unclear --device error"; exit 1; }
# The GPU-only fast paths are refused on the CPU; a bad --autocast value is a clear error.
if "$bin" --tf32 --cuda_graph --out="$out.fast" > "$out.log5" 2>&1; then echo "FAIL: --tf32 on the CPU accepted"; exit 1; fi
grep -q "need --device=cuda" "$out.log5" || { cat "$out.log5"; echo "FAIL: unclear --tf32 error"; exit 1; }
if "$bin" --autocast=fp16 --out="$out.fast" > "$out.log6" 2>&1; then echo "FAIL: --autocast=fp16 accepted"; exit 1; fi
grep -q "autocast must be none or bf16" "$out.log6" || { cat "$out.log6"; echo "FAIL: unclear --autocast error"; exit 1; }
test ! -e "$out.fast" || { echo "FAIL: a refused run wrote $out.fast"; exit 1; }
echo "PASS $task"
