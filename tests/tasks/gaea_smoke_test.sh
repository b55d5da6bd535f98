#!/usr/bin/env bash
# tests/tasks/gaea_smoke_test.sh TASK_BINARY TASK [kill]: GAEA PC-DARTS end to end through a task's run target with tiny
# budgets on synthetic data (`--method=gaea`: search into <out>/search, then retrain of the found genotype into
# <out>/retrain; supernet and evaluation network C = 8, 3 cells, 2 epochs of 2 steps, architecture steps from
# the second epoch). Checks the search's genotype.pbtxt / genotype.dot / results.json / log.jsonl (a genotype
# per epoch), that the retrain trained that genotype; with `kill`, that a search killed (SIGKILL) after its
# first checkpoint and resumed ends with the same genotype, the same validation metrics and the same final
# weights (checkpoint tensor bytes); and that stage flags are checked before any work.
set -euo pipefail
bin="$1"
task="$2"
kill_test="${3:-}"
base="${TEST_TMPDIR:-/tmp}/gaea_e2e_${task}"
rm -rf "$base" && mkdir -p "$base"
common=(--method=gaea --data=synthetic --epochs=2 --arch_warmup_epochs=1 --seed=3 --darts_channels=8
        --darts_layers=3 --max_steps_per_epoch=2 --max_eval_batches=1 --workers=1)
case "$task" in
  darcy_flow|cosmic|psicov) extra=(--batch_size=2 --eval_batch_size=1) ;;
  satellite) extra=(--batch_size=32 --eval_batch_size=32) ;;
  *) extra=(--batch_size=4 --eval_batch_size=4) ;;
esac
fail() { echo "FAIL: $*"; exit 1; }

# 1. Search then retrain.
ref="$base/ref"
"$bin" "${common[@]}" "${extra[@]}" --out="$ref" > "$base/ref.log" 2>&1 || { cat "$base/ref.log"; fail "run exited"; }
cat "$base/ref.log"
grep -q "SYNTHETIC" "$base/ref.log" || fail "the run did not say its data is synthetic"
grep -q "GAEA PC-DARTS search supernet" "$base/ref.log" || fail "no search supernet line"
grep -q "GAEA PC-DARTS evaluation network" "$base/ref.log" || fail "no retrain network line"
for f in search/genotype.pbtxt search/genotype.dot search/results.json search/log.jsonl retrain/results.json \
         retrain/genotype.pbtxt; do
  test -f "$ref/$f" || fail "no $f"
done
grep -q "digraph" "$ref/search/genotype.dot" || fail "genotype.dot is not a DOT graph"
cmp -s "$ref/search/genotype.pbtxt" "$ref/retrain/genotype.pbtxt" || fail "the retrain did not use the searched genotype"
python3 - "$ref" <<'PY' || fail "bad search/retrain records"
import json, sys
ref = sys.argv[1]
s = json.load(open(ref + "/search/results.json"))
r = json.load(open(ref + "/retrain/results.json"))
assert s["stage"] == "search" and s["method"] == "gaea" and s["synthetic_data"], s.get("stage")
assert len(s["val_per_epoch"]) == 2 and len(s["genotype_per_epoch"]) == 2, s["val_per_epoch"]
assert s["arch_steps"] == 2, s["arch_steps"]  # epoch 1 (the second) has architecture steps
assert s["seed"] == 3
assert r["config"]["model"]["genotype_text"] == s["genotype_text"], "retrain genotype differs"
assert r["config"]["model"]["genotype"].endswith("search/genotype.pbtxt"), r["config"]["model"]["genotype"]
assert "final" in r
events = [json.loads(l) for l in open(ref + "/search/log.jsonl")]
g = [e for e in events if e.get("event") == "genotype"]
assert [e["arch_updates"] for e in g] == [False, True], g
assert g[-1]["genotype"] == s["genotype"]
PY
data_of() {  # the tensor bytes of the newest checkpoint (safetensors: 8-byte header size, header, data)
  python3 -c 'import glob,hashlib,os,re,struct,sys
d=sys.argv[1]; p=max(glob.glob(d+"/ckpt-*.safetensors"), key=lambda f:int(re.search(r"ckpt-(\d+)",f).group(1)))
b=open(p,"rb").read(); n=struct.unpack("<Q",b[:8])[0]; print(hashlib.sha256(b[8+n:]).hexdigest())' "$1"
}
records_of() {
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps([s["val_per_epoch"], s["genotype_per_epoch"], s["final"]], sort_keys=True))' "$1"
}

# 2. A search killed after its first checkpoint, then resumed.
if [ "$kill_test" = kill ]; then
run="$base/killed"
"$bin" "${common[@]}" "${extra[@]}" --stage=search --out="$run" > "$base/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  compgen -G "$run/ckpt-*.safetensors" > /dev/null && break
  kill -0 "$pid" 2> /dev/null || break
  sleep 0.05
done
kill -KILL "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
if [ -f "$run/results.json" ]; then echo "note: the search finished before the kill"; fi
"$bin" "${common[@]}" "${extra[@]}" --stage=search --out="$run" > "$base/resumed.log" 2>&1 ||
  { cat "$base/resumed.log"; fail "resumed search exited"; }
cat "$base/resumed.log"
cmp -s "$ref/search/genotype.pbtxt" "$run/genotype.pbtxt" || fail "resumed search found another genotype"
[ "$(records_of "$ref/search/results.json")" = "$(records_of "$run/results.json")" ] || fail "resumed search records differ"
[ "$(data_of "$ref/search")" = "$(data_of "$run")" ] || fail "resumed search ended with other weights"
grep -q "resuming from" "$base/resumed.log" || echo "note: nothing to resume (killed before the first checkpoint)"
fi

# 3. Stage flags are checked before any work.
expect_error() {  # pattern, then the flags
  local pattern="$1"; shift
  if "$bin" "$@" --out="$base/bad" > "$base/bad.log" 2>&1; then fail "accepted: $*"; fi
  grep -q -- "$pattern" "$base/bad.log" || { cat "$base/bad.log"; fail "unclear error for $* (want '$pattern')"; }
  test ! -e "$base/bad" || fail "a refused run wrote $base/bad"
}
expect_error "is for the retrain stage" --method=gaea --stage=search --genotype=darts_v2
expect_error "is for the search stage" --method=gaea --stage=retrain --arch_warmup_epochs=1
expect_error "must be search or retrain" --method=gaea --stage=evaluate
expect_error "one stage" --method=gaea --config=configs/$task/gaea_search.pbtxt
expect_error "partial_channels" --method=gaea --stage=search --darts_channels=6
expect_error "are for --method=gaea" --method=wrn --arch_warmup_epochs=3
echo "PASS $task"
