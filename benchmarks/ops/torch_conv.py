"""PyTorch side of benchmarks/ops/conv_benchmark.cc: the same cases, float32, 2 threads.

Run with Debian's /usr/bin/python3 (torch 1.13); prints "case_name  torch_ms" lines. For the best
PyTorch figure also run it as MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 /usr/bin/python3 ...
An optional argument keeps only the cases whose name contains it. Each figure is the best of 5 runs
of at least 0.5 s (the mean time per call within the run), as conv_benchmark's _min rows with
--benchmark_repetitions=5.

On a loaded machine wall times of 2-thread runs mostly measure the scheduler; then compare CPU time
on one thread instead: --threads=1 --cpu-time here (process CPU time), and conv_benchmark's "CPU"
column under OMP_NUM_THREADS=1.

--device=cuda runs the cases on the GPU (names <case>_CUDA, as conv_benchmark's GPU cases; inputs
made on the CPU and moved; torch.cuda.synchronize() after every call; float32 without TF32, as
nb360's default; cuDNN's heuristic algorithm choice, as nb360). --min-time=S shortens each run
(default 0.5 s), --repeat=N the number of runs (default 5). On the GPU the WRN convolutions are
also timed as <case>_CUDA_TF32 (TF32 on) and <case>_CUDA_BF16 (torch.autocast bf16).
"""
import contextlib
import os
import sys
import time

import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import flag, time_ms, use_device  # noqa: E402



THREADS = int(flag("threads", "2"))
DEVICE = flag("device", "cpu")
MIN_TIME = float(flag("min-time", "0.5"))
REPEAT = int(flag("repeat", "5"))
SUFFIX = "_CUDA" if DEVICE == "cuda" else ""
CLOCK = time.process_time if "--cpu-time" in sys.argv else time.perf_counter
torch.set_num_threads(THREADS)
torch.manual_seed(0)





def case(name, n, c, h, w, o, kh, kw, stride=1, pad=0, dil=1, groups=1, input_grad=True, bias=False,
         conv1d=False):
    return dict(name=name, n=n, c=c, h=h, w=w, o=o, kh=kh, kw=kw, stride=stride, pad=pad, dil=dil,
                groups=groups, input_grad=input_grad, bias=bias, conv1d=conv1d)


def cases():
    out = [
        case("WRN_Stem_3to16", 128, 3, 32, 32, 16, 3, 3, pad=1, input_grad=False),
        case("WRN_64x32x32", 128, 64, 32, 32, 64, 3, 3, pad=1),
        case("WRN_128x16x16", 128, 128, 16, 16, 128, 3, 3, pad=1),
        case("WRN_64to128_Stride2", 128, 64, 32, 32, 128, 3, 3, stride=2, pad=1),
        case("WRN_256x8x8", 128, 256, 8, 8, 256, 3, 3, pad=1),
        case("WRN_Shortcut1x1_64to128_Stride2", 128, 64, 32, 32, 128, 1, 1, stride=2),
    ]
    for c in (16, 32, 64):
        s = f"_C{c}"
        out += [
            case("DARTS_Depthwise3x3" + s, 64, c, 32, 32, c, 3, 3, pad=1, groups=c),
            case("DARTS_Depthwise5x5" + s, 64, c, 32, 32, c, 5, 5, pad=2, groups=c),
            case("DARTS_Dilated3x3" + s, 64, c, 32, 32, c, 3, 3, pad=2, dil=2, groups=c),
            case("DARTS_Dilated5x5" + s, 64, c, 32, 32, c, 5, 5, pad=4, dil=2, groups=c),
            case("DARTS_Pointwise1x1" + s, 64, c, 32, 32, c, 1, 1),
        ]
    # Reduction-cell variants (stride 2), one width.
    out.append(case("DARTS_Depthwise3x3_Stride2_C32", 64, 32, 32, 32, 32, 3, 3, stride=2, pad=1, groups=32))
    out.append(case("DARTS_Dilated3x3_Stride2_C32", 64, 32, 32, 32, 32, 3, 3, stride=2, pad=2, dil=2, groups=32))
    out.append(case("Conv1d_ECG_k8_L1000", 32, 64, 1, 1000, 64, 1, 8, pad=4, bias=True, conv1d=True))
    return out



def bench(k):
    if k["conv1d"]:
        x = 0.1 * torch.randn(k["n"], k["c"], k["w"])
        w = 0.1 * torch.randn(k["o"], k["c"] // k["groups"], k["kw"])
        conv = F.conv1d
    else:
        x = 0.1 * torch.randn(k["n"], k["c"], k["h"], k["w"])
        w = 0.1 * torch.randn(k["o"], k["c"] // k["groups"], k["kh"], k["kw"])
        conv = F.conv2d
    b = 0.1 * torch.randn(k["o"]) if k["bias"] else None
    x, w = x.to(DEVICE), w.to(DEVICE)
    b = b.to(DEVICE) if b is not None else None
    kw = dict(stride=k["stride"], padding=k["pad"], dilation=k["dil"], groups=k["groups"])

    def forward():
        with torch.no_grad():
            conv(x, w, b, **kw)

    xg = x.clone().requires_grad_(k["input_grad"])
    wg = w.clone().requires_grad_(True)
    bg = b.clone().requires_grad_(True) if b is not None else None
    gy = 0.1 * torch.randn_like(conv(x, w, b, **kw))

    def forward_backward():
        for t in (xg, wg, bg):
            if t is not None:
                t.grad = None
        conv(xg, wg, bg, **kw).backward(gy)

    return (time_ms(forward, DEVICE, MIN_TIME, REPEAT, CLOCK),
            time_ms(forward_backward, DEVICE, MIN_TIME, REPEAT, CLOCK))


def main():
    use_device(DEVICE)
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = names[0] if names else ""
    for k in cases():
        if only not in k["name"]:
            continue
        fwd, fb = bench(k)
        print(f"BM_Conv_{k['name']}_Forward{SUFFIX}  {fwd:.3f}", flush=True)
        print(f"BM_Conv_{k['name']}_ForwardBackward{SUFFIX}  {fb:.3f}", flush=True)
        if DEVICE != "cuda" or not k["name"].startswith("WRN_"):
            continue
        # The dense WRN convolutions with the tensor-core fast paths, as conv_benchmark's
        # <case>_CUDA_TF32 (TF32 on) and _CUDA_BF16 (torch.autocast bf16) cases.
        for tag, tf32, bf16 in (("_TF32", True, False), ("_BF16", False, True)):
            torch.backends.cudnn.allow_tf32 = tf32
            with torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
                fwd, fb = bench(k)
            torch.backends.cudnn.allow_tf32 = False
            print(f"BM_Conv_{k['name']}_Forward{SUFFIX}{tag}  {fwd:.3f}", flush=True)
            print(f"BM_Conv_{k['name']}_ForwardBackward{SUFFIX}{tag}  {fb:.3f}", flush=True)


if __name__ == "__main__":
    main()
