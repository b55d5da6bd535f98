#!/usr/bin/env bash
# tests/tasks/gaea_retrain_smoke_test.sh TASK_BINARY TASK: the GAEA PC-DARTS retrain stage through a task's
# run target with tiny budgets (`--method=gaea --stage=retrain --darts_channels=4 --darts_layers=3
# --data=synthetic --epochs=2`, two steps an epoch): checks results.json (synthetic data, a final
# metric, the genotype's name and text), <out>/genotype.pbtxt; that a run killed (SIGKILL) after its first
# checkpoint and resumed with --genotype=<that file> ends with the uninterrupted run's final metrics;
# that a finished run is not retrained; and that a bad genotype name or file, --stage=search with a genotype and a WRN
# flag are clear errors before any work.
set -euo pipefail
bin="$1"
task="$2"
base="${TEST_TMPDIR:-/tmp}/gaea_smoke_${task}"
rm -rf "$base" && mkdir -p "$base"
common=(--method=gaea --stage=retrain --data=synthetic --epochs=2 --seed=5 --darts_channels=4 --darts_layers=3
        --max_steps_per_epoch=2 --max_eval_batches=1 --workers=1)
case "$task" in
  darcy_flow|cosmic|psicov) extra=(--batch_size=2 --eval_batch_size=1) ;;
  satellite) extra=(--batch_size=32 --eval_batch_size=32) ;;
  *) extra=(--batch_size=4 --eval_batch_size=4) ;;
esac
fail() { echo "FAIL: $*"; exit 1; }

# 1. Uninterrupted reference.
ref="$base/ref"
"$bin" "${common[@]}" "${extra[@]}" --out="$ref" > "$base/ref.log" 2>&1 || { cat "$base/ref.log"; fail "run exited"; }
cat "$base/ref.log"
grep -q "SYNTHETIC" "$base/ref.log" || fail "the run did not say its data is synthetic"
grep -q "GAEA PC-DARTS evaluation network" "$base/ref.log" || fail "no GAEA network line"
test -f "$ref/results.json" || fail "no results.json"
test -f "$ref/genotype.pbtxt" || fail "no genotype.pbtxt"
grep -q '"synthetic"' "$ref/results.json" || fail "results.json does not record synthetic data"
grep -q '"final"' "$ref/results.json" || fail "results.json has no final metric"
grep -q '"genotype_text"' "$ref/results.json" || fail "results.json has no genotype text"
grep -q '"method": *"gaea"' "$ref/results.json" || fail "results.json method is not gaea"
final_of() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["final"], sort_keys=True))' "$1"; }

# 2. Killed after the first checkpoint, then resumed (genotype given as the reference's file).
run="$base/killed"
"$bin" "${common[@]}" "${extra[@]}" --genotype="$ref/genotype.pbtxt" --out="$run" > "$base/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  compgen -G "$run/ckpt-*.safetensors" > /dev/null && break
  kill -0 "$pid" 2> /dev/null || break
  sleep 0.05
done
kill -KILL "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
if [ -f "$run/results.json" ]; then echo "note: the run finished before the kill"; fi
"$bin" "${common[@]}" "${extra[@]}" --genotype="$ref/genotype.pbtxt" --out="$run" > "$base/resumed.log" 2>&1 ||
  { cat "$base/resumed.log"; fail "resumed run exited"; }
cat "$base/resumed.log"
[ "$(final_of "$ref/results.json")" = "$(final_of "$run/results.json")" ] ||
  fail "resumed final metrics differ: $(final_of "$ref/results.json") vs $(final_of "$run/results.json")"
cmp -s "$ref/genotype.pbtxt" "$run/genotype.pbtxt" || fail "genotype.pbtxt differs"

# 3. A finished run is not retrained.
"$bin" "${common[@]}" "${extra[@]}" --out="$ref" > "$base/again.log" 2>&1 || { cat "$base/again.log"; fail "rerun exited"; }
grep -q "resuming from" "$base/again.log" || fail "the rerun did not resume"
! grep -q "epoch 1/2 done" "$base/again.log" || fail "the finished run trained again"

# 4. Clear errors before any work.
expect_error() {  # pattern, then the flags
  local pattern="$1"; shift
  if "$bin" "$@" --out="$base/bad" > "$base/bad.log" 2>&1; then fail "accepted: $*"; fi
  grep -q -- "$pattern" "$base/bad.log" || { cat "$base/bad.log"; fail "unclear error for $* (want '$pattern')"; }
  test ! -e "$base/bad" || fail "a refused run wrote $base/bad"
}
expect_error "not a recorded genotype" --method=gaea --genotype=no_such_genotype
printf 'normal { op: "conv_9x9" input: 0 }\n' > "$base/junk.pbtxt"
expect_error "junk.pbtxt" --method=gaea --genotype="$base/junk.pbtxt"
expect_error "missing.pbtxt" --method=gaea --genotype="$base/missing.pbtxt"
expect_error "is for the retrain stage" --method=gaea --stage=search --genotype=darts_v2
expect_error "are for --method=gaea" --method=wrn --genotype=darts_v2
expect_error "WRN fields" --method=gaea --depth=16
expect_error "mode" --method=gaea --mode=final
echo "PASS $task"
