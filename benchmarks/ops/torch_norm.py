"""PyTorch side of benchmarks/ops/norm_benchmark.cc: the same cases, float32, 2 threads.

Run with Debian's /usr/bin/python3 (torch 1.13); prints "case_name  torch_ms" lines. For the best
PyTorch figure also run it as MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 /usr/bin/python3 ...
An optional argument keeps only the cases whose name contains it.

--device=cuda runs the cases on the GPU (names <case>_CUDA, as norm_benchmark's GPU cases; inputs and
running statistics made on the CPU and moved; torch.cuda.synchronize() after every call).
--min-time=S shortens each run (default 0.2 s), --repeat=N the number of runs (default 5).
"""
import os
import sys

import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import flag, time_ms, use_device  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)




DEVICE = flag("device", "cpu")
MIN_TIME = float(flag("min-time", "0.2"))
REPEAT = int(flag("repeat", "5"))
SUFFIX = "_CUDA" if DEVICE == "cuda" else ""



# name, shape, layer_norm, affine (batch norm: training mode with running statistics)
CASES = [
    ("BatchNorm2d_WRN_128x64x32x32", (128, 64, 32, 32), False, True),
    ("BatchNorm2d_WRN_128x128x16x16", (128, 128, 16, 16), False, True),
    ("BatchNorm2d_WRN_128x256x8x8", (128, 256, 8, 8), False, True),
    ("BatchNorm2d_DARTS_64x16x32x32", (64, 16, 32, 32), False, False),
    ("BatchNorm1d_32x64x1000", (32, 64, 1000), False, True),
    ("LayerNorm_64x512x256", (64, 512, 256), True, True),
]



def bench(shape, layer_norm, affine):
    groups = shape[-1] if layer_norm else shape[1]
    x = (torch.randn(*shape) * 2.0 + 0.5).to(DEVICE)
    w = (torch.randn(groups) * 0.1 + 1.0).to(DEVICE) if affine else None
    b = (torch.randn(groups) * 0.1).to(DEVICE) if affine else None
    rm, rv = torch.zeros(groups).to(DEVICE), torch.ones(groups).to(DEVICE)

    def op(xx, ww, bb):
        if layer_norm:
            return F.layer_norm(xx, (groups,), ww, bb)
        return F.batch_norm(xx, rm, rv, ww, bb, training=True)

    def forward():
        with torch.no_grad():
            op(x, w, b)

    xg = x.clone().requires_grad_(True)
    wg = w.clone().requires_grad_(True) if affine else None
    bg = b.clone().requires_grad_(True) if affine else None
    gy = torch.randn(*shape).to(DEVICE)

    def forward_backward():
        for t in (xg, wg, bg):
            if t is not None:
                t.grad = None
        op(xg, wg, bg).backward(gy)

    return time_ms(forward, DEVICE, MIN_TIME, REPEAT), time_ms(forward_backward, DEVICE, MIN_TIME, REPEAT)


def main():
    use_device(DEVICE)
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = names[0] if names else ""
    for name, shape, layer_norm, affine in CASES:
        if only not in name:
            continue
        fwd, fb = bench(shape, layer_norm, affine)
        print(f"BM_{name}_Forward{SUFFIX}  {fwd:.3f}", flush=True)
        print(f"BM_{name}_ForwardBackward{SUFFIX}  {fb:.3f}", flush=True)


if __name__ == "__main__":
    main()
