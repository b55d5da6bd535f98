#!/usr/bin/python3
"""PyTorch side of benchmarks/ops/loss_benchmark.cc: the same cases (float32, 2 threads).

Run:  /usr/bin/python3 benchmarks/ops/torch_loss.py
      MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 /usr/bin/python3 benchmarks/ops/torch_loss.py
Prints `case_name  torch_ms` lines (best of several repeats). Attention is written as
softmax(q k^T * scale) v: torch 1.13 has no F.scaled_dot_product_attention.

--device=cuda runs the cases on the GPU (names <case>_CUDA, as loss_benchmark's GPU cases; inputs
made on the CPU and moved; torch.cuda.synchronize() after every call; float32 without TF32, as
nb360's default). --min-time=S sets the run length the call count is sized for (default 0.3 s).
"""
import math
import os
import sys
import timeit

import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import use_device  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)
DEVICE = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--device=")), "cpu")
MIN_TIME = float(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--min-time=")), "0.3"))
SUFFIX = "_CUDA" if DEVICE == "cuda" else ""




def best_ms(fn, min_time=MIN_TIME, repeat=7):
    if DEVICE != "cpu":
        call = fn

        def fn():
            call()
            torch.cuda.synchronize()
    fn()
    number = 1
    while timeit.timeit(fn, number=number) < min_time / 10:
        number *= 2
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


def cross_entropy(n, c):
    logits = torch.randn(n, c).to(DEVICE)
    target = torch.randint(0, c, (n,)).to(DEVICE)
    lg = logits.clone().requires_grad_(True)

    def fwd():
        F.cross_entropy(logits, target)

    def fwd_bwd():
        F.cross_entropy(lg, target).backward()
        lg.grad = None

    return fwd, fwd_bwd


def bce(n, c):
    logits = torch.randn(n, c).to(DEVICE)
    target = (torch.rand(n, c) < 0.3).float().to(DEVICE)
    lg = logits.clone().requires_grad_(True)

    def fwd():
        F.binary_cross_entropy_with_logits(logits, target)

    def fwd_bwd():
        F.binary_cross_entropy_with_logits(lg, target).backward()
        lg.grad = None

    return fwd, fwd_bwd


def attention(b=8, h=8, l=256, d=64):
    q, k, v = (torch.randn(b, h, l, d).to(DEVICE) for _ in range(3))
    g = torch.randn(b, h, l, d).to(DEVICE)
    qg, kg, vg = (t.clone().requires_grad_(True) for t in (q, k, v))
    scale = 1.0 / math.sqrt(d)

    def attn(q, k, v):
        return torch.softmax(q @ k.transpose(-1, -2) * scale, dim=-1) @ v

    def fwd():
        with torch.no_grad():
            attn(q, k, v)

    def fwd_bwd():
        attn(qg, kg, vg).backward(g)
        for t in (qg, kg, vg):
            t.grad = None

    return fwd, fwd_bwd


use_device(DEVICE)
CASES = [
    ("BM_CrossEntropy_Cifar100_128x100", cross_entropy(128, 100)),
    ("BM_CrossEntropy_NinaPro_64x18", cross_entropy(64, 18)),
    ("BM_BceWithLogits_DeepSea_256x36", bce(256, 36)),
    ("BM_BceWithLogits_Fsd50k_64x200", bce(64, 200)),
    ("BM_Attention_8x8x256x64", attention()),
]

for name, (fwd, fwd_bwd) in CASES:
    print(f"{name}_Forward{SUFFIX}  {best_ms(fwd):.4f}", flush=True)
    print(f"{name}_ForwardBackward{SUFFIX}  {best_ms(fwd_bwd):.4f}", flush=True)
