"""PyTorch side of benchmarks/ops/pool_benchmark.cc: the same pooling cases, 2 threads, float32.

Prints `case_name  torch_ms` lines (best of several repeats of the mean time per call), the names
matching the C++ benchmarks' BM_<name>. Run with Debian's python (torch 1.13):
  /usr/bin/python3 benchmarks/ops/torch_pool.py
and, for PyTorch at its best (no mmap/trim churn for the large blocks):
  MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 /usr/bin/python3 benchmarks/ops/torch_pool.py
Forward runs under no_grad; forward+backward keeps accumulating into x.grad (like the C++ side).
POOL_BENCH_THREADS=n overrides the thread count; with n = 1 the times are CPU times
(time.process_time), which other processes on the machine do not inflate.

--device=cuda runs the cases on the GPU (names <name>/Fwd_CUDA, <name>/FwdBwd_CUDA, as pool_benchmark's
GPU cases; inputs made on the CPU and moved; torch.cuda.synchronize() after every call; wall time).
--min-time=S sets the run length the call count is sized for (default 0.2 s). An optional argument
keeps only the cases whose name contains it.
"""
import os
import sys
import time
import timeit

import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import use_device  # noqa: E402

THREADS = int(os.environ.get("POOL_BENCH_THREADS", "2"))
torch.set_num_threads(THREADS)
DEVICE = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--device=")), "cpu")
MIN_TIME = float(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--min-time=")), "0.2"))
SUFFIX = "_CUDA" if DEVICE == "cuda" else ""
TIMER = time.process_time if THREADS == 1 and DEVICE == "cpu" else time.perf_counter




def max2(k, s, p):
    return lambda x: F.max_pool2d(x, k, s, p)


def avg2_nopad(k, s, p):
    return lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=False)


# name, input shape, op: as in pool_benchmark.cc.
CASES = [
    ("MaxPool2d_k3s1p1_N64C16H32", (64, 16, 32, 32), max2(3, 1, 1)),
    ("MaxPool2d_k3s1p1_N64C32H32", (64, 32, 32, 32), max2(3, 1, 1)),
    ("MaxPool2d_k3s1p1_N64C64H32", (64, 64, 32, 32), max2(3, 1, 1)),
    ("AvgPool2d_k3s1p1_N64C16H32", (64, 16, 32, 32), avg2_nopad(3, 1, 1)),
    ("AvgPool2d_k3s1p1_N64C32H32", (64, 32, 32, 32), avg2_nopad(3, 1, 1)),
    ("AvgPool2d_k3s1p1_N64C64H32", (64, 64, 32, 32), avg2_nopad(3, 1, 1)),
    ("MaxPool2d_k3s2p1_N64C32H32", (64, 32, 32, 32), max2(3, 2, 1)),
    ("MaxPool2d_k3s2p1_N64C64H16", (64, 64, 16, 16), max2(3, 2, 1)),
    ("AvgPool2d_k3s2p1_N64C32H32", (64, 32, 32, 32), avg2_nopad(3, 2, 1)),
    ("AvgPool2d_k3s2p1_N64C64H16", (64, 64, 16, 16), avg2_nopad(3, 2, 1)),
    ("GlobalAvgPool2d_N128C256H8", (128, 256, 8, 8), lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1)),
    ("MaxPool1d_k2s2_N32C64L1000", (32, 64, 1000), lambda x: F.max_pool1d(x, 2, 2)),
    ("MaxPool1d_k3s3_N32C64L1000", (32, 64, 1000), lambda x: F.max_pool1d(x, 3, 3)),
]


def best_ms(fn, repeat=7):
    if DEVICE != "cpu":
        call = fn

        def fn():
            call()
            torch.cuda.synchronize()
    n = 1
    while timeit.timeit(fn, number=n, timer=TIMER) < MIN_TIME:
        n *= 2
    return min(timeit.repeat(fn, number=n, repeat=repeat, timer=TIMER)) / n * 1e3


def main():
    use_device(DEVICE)
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = names[0] if names else ""
    torch.manual_seed(0)
    for name, shape, op in CASES:
        if only not in name:
            continue
        x = torch.randn(shape).to(DEVICE)
        with torch.no_grad():
            gy = torch.randn(op(x).shape).to(DEVICE)

        def fwd():
            with torch.no_grad():
                op(x)

        xg = x.clone().requires_grad_(True)

        def fwd_bwd():
            op(xg).backward(gy)

        print(f"{name}/Fwd{SUFFIX}  {best_ms(fwd):.4f}", flush=True)
        print(f"{name}/FwdBwd{SUFFIX}  {best_ms(fwd_bwd):.4f}", flush=True)


if __name__ == "__main__":
    main()
