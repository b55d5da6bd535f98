#!/usr/bin/env bash
# Runs `bazel test` with the given arguments and ends with the line "N passed, N failed, N skipped",
# counting GoogleTest cases from each reported target's test.xml (targets that fail to build or time
# out count as one failure). Exits with Bazel's exit code.
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel test --test_summary=short "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
testlogs=$(bazel info bazel-testlogs 2>/dev/null)

declare -A seen=()
passed=0 failed=0 skipped=0
while IFS= read -r line; do
  if [[ "$line" =~ ^(//[^[:space:]]+|@[^[:space:]]+)[[:space:]]+(\(cached\)[[:space:]]+)?(PASSED|FAILED\ TO\ BUILD|FAILED|FLAKY|TIMEOUT|NO\ STATUS|INCOMPLETE|SKIPPED|BUILD\ FAILURE) ]]; then
    label=${BASH_REMATCH[1]}
    status=${BASH_REMATCH[3]}
    [[ -n "${seen[$label]:-}" ]] && continue
    seen[$label]=1
    if [[ "$status" == "SKIPPED" ]]; then skipped=$((skipped + 1)); continue; fi
    dir="$testlogs/${label#//}"
    dir="${dir/://}"
    # Sharded tests write shard_K_of_N/test.xml (a test.xml beside them may be stale).
    xmls=("$dir"/shard_*_of_*/test.xml)
    [[ -f "${xmls[0]}" ]] || xmls=("$dir/test.xml")
    counted=0
    if [[ "$status" =~ ^(PASSED|FAILED|FLAKY)$ && -f "${xmls[0]}" ]]; then
      total=$(cat "${xmls[@]}" | grep -c '<testcase ' || true)
      fails=$(cat "${xmls[@]}" | grep -c '<failure' || true)
      skips=$(cat "${xmls[@]}" | grep -c '<skipped' || true)
      if [[ $total -gt 0 ]]; then
        if [[ "$status" == "FAILED" && $fails -eq 0 ]]; then fails=1; fi  # crashed after green cases
        passed=$((passed + total - fails - skips))
        failed=$((failed + fails))
        skipped=$((skipped + skips))
        counted=1
      fi
    fi
    if [[ $counted -eq 0 ]]; then
      if [[ "$status" == "PASSED" || "$status" == "FLAKY" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    fi
  fi
done < "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$rc"
