#!/usr/bin/python3
"""Side-by-side: our Google Benchmark binaries and the PyTorch scripts, same machine, same run.

Usage (from the repository root, with Debian's python3-torch installed):
    /usr/bin/python3 benchmarks/compare_torch.py [family ...] [--markdown OUT.md]

For each family it builds and runs //benchmarks/<dir>:<family>_benchmark (-c opt, OMP_NUM_THREADS=2),
runs benchmarks/<dir>/torch_<family>.py twice — with glibc's default malloc and with
MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 — keeps PyTorch's better figure per case, and prints
ours/PyTorch time ratios (below 1.0 means we are faster). Case names are matched after dropping a
leading "BM_" and Google Benchmark's "/real_time"-style suffixes.
"""
import json
import os
import re
import subprocess
import sys

FAMILIES = {
    "overhead": ("benchmarks/engine", "overhead_benchmark", "torch_overhead.py"),
    "conv": ("benchmarks/ops", "conv_benchmark", "torch_conv.py"),
    "pool": ("benchmarks/ops", "pool_benchmark", "torch_pool.py"),
    "norm": ("benchmarks/ops", "norm_benchmark", "torch_norm.py"),
    "fft": ("benchmarks/ops", "fft_benchmark", "torch_fft.py"),
    "loss": ("benchmarks/ops", "loss_benchmark", "torch_loss.py"),
}
TUNED_MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "68719476736"}
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def norm(name):
    name = re.sub(r"^BM_", "", name.strip())
    name = re.sub(r"/(real_time|process_time|manual_time|iterations:\d+|min_time:[\d.]+)$", "", name)
    name = re.sub(r"/(real_time|process_time|manual_time|iterations:\d+|min_time:[\d.]+)$", "", name)
    return name


def ours(directory, target):
    subprocess.run(["bazel", "build", "-c", "opt", f"//{directory}:{target}"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(["bazel-out/k8-opt/bin/" + directory + "/" + target, "--benchmark_format=json"],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="2")).stdout
    result = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        result[norm(b["name"])] = b["real_time"] * UNIT_MS[b["time_unit"]]
    return result


def torch(directory, script):
    best = {}
    for extra in ({}, TUNED_MALLOC):
        out = subprocess.run(["/usr/bin/python3", os.path.join(directory, script)], check=True,
                             capture_output=True, text=True, env=dict(os.environ, **extra)).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            try:
                value = float(parts[1])
            except ValueError:
                continue
            if len(parts) >= 3 and parts[2] == "us":
                value *= 1e-3
            key = norm(parts[0])
            best[key] = min(best.get(key, float("inf")), value)
    return best


def main():
    args = sys.argv[1:]
    markdown = None
    if "--markdown" in args:
        i = args.index("--markdown")
        markdown = args[i + 1]
        del args[i:i + 2]
    families = args or list(FAMILIES)
    rows = []
    for fam in families:
        directory, target, script = FAMILIES[fam]
        mine, theirs = ours(directory, target), torch(directory, script)
        for case in sorted(mine):
            if case in theirs:
                rows.append((fam, case, mine[case], theirs[case], mine[case] / theirs[case]))
            else:
                rows.append((fam, case, mine[case], None, None))
    lines = ["| family | case | nb360 ms | PyTorch ms (best of 2 mallocs) | ratio |", "|---|---|---|---|---|"]
    for fam, case, m, t, r in rows:
        lines.append(f"| {fam} | {case} | {m:.4f} | {'' if t is None else f'{t:.4f}'} | "
                     f"{'' if r is None else f'{r:.2f}x'} |")
    text = "\n".join(lines)
    print(text)
    if markdown:
        with open(markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
