"""PyTorch side of benchmarks/ops/fft_benchmark.cc: the same cases, float32, 2 threads
(OMP_NUM_THREADS overrides).

Run with Debian's /usr/bin/python3 (torch 1.13); prints "case_name  torch_ms" lines. For the best
PyTorch figure also run it as MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 /usr/bin/python3 ...

--device=cuda runs the cases on the GPU (names <case>_CUDA, as fft_benchmark's GPU cases; inputs
made on the CPU and moved; torch.cuda.synchronize() after every call; float32 without TF32, as
nb360's default).
"""
import os
import sys
import timeit

import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import use_device  # noqa: E402

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
torch.manual_seed(0)
B, C, G, M = 20, 32, 94, 12
DEVICE = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--device=")), "cpu")
SUFFIX = "_CUDA" if DEVICE == "cuda" else ""




class SpectralConv2d(torch.nn.Module):
    """The FNO Fourier layer (baselines.md 5.5)."""

    def __init__(self, cin, cout, m1, m2):
        super().__init__()
        self.cout, self.m1, self.m2 = cout, m1, m2
        scale = 1.0 / (cin * cout)
        self.weights1 = torch.nn.Parameter(scale * torch.rand(cin, cout, m1, m2, dtype=torch.cfloat))
        self.weights2 = torch.nn.Parameter(scale * torch.rand(cin, cout, m1, m2, dtype=torch.cfloat))

    def forward(self, x):
        b, h, w = x.shape[0], x.shape[-2], x.shape[-1]
        m1, m2 = self.m1, self.m2
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, self.cout, h, w // 2 + 1, dtype=torch.cfloat, device=x.device)
        out_ft[:, :, :m1, :m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m1, :m2], self.weights1)
        out_ft[:, :, -m1:, :m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m1:, :m2], self.weights2)
        return torch.fft.irfft2(out_ft, s=(h, w))


def best_ms(fn, number=10, repeat=7):
    if DEVICE != "cpu":
        call = fn

        def fn():
            call()
            torch.cuda.synchronize()
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


use_device(DEVICE)
x = torch.randn(B, C, G, G).to(DEVICE)
X = torch.randn(B, C, G, G // 2 + 1, dtype=torch.cfloat).to(DEVICE)
layer = SpectralConv2d(C, C, M, M).to(DEVICE)
xg = torch.randn(B, C, G, G).to(DEVICE).requires_grad_(True)
g = torch.randn(B, C, G, G).to(DEVICE)


def spectral_fb():
    for p in (xg, layer.weights1, layer.weights2):
        p.grad = None
    layer(xg).backward(g)


def spectral_fwd():
    with torch.no_grad():
        layer(x)


cases = [
    ("BM_Rfft2_Fno", lambda: torch.fft.rfft2(x)),
    ("BM_Irfft2_Fno", lambda: torch.fft.irfft2(X, s=(G, G))),
    ("BM_SpectralConv2d_Fno_Forward", spectral_fwd),
    ("BM_SpectralConv2d_Fno_ForwardBackward", spectral_fb),
]
for name, fn in cases:
    print(f"{name}{SUFFIX}  {best_ms(fn):.3f}", flush=True)
