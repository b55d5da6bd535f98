#!/usr/bin/python3
"""Writes PyTorch golden data for the pooling ops (tests/ops/pool_golden_test.cc reads it).

Run with Debian's python (it has torch 1.13):  /usr/bin/python3 tests/ops/golden/make_pool_golden.py

Output, in tests/ops/golden/data/pool/:
  manifest.txt   one line per case:  name op n c h w k s p ceil include_pad out_h out_w
                 op is max2d, avg2d, max1d, avg1d (x is (n, c, w) and h is 1), adaptive2d,
                 adaptive1d (x is (n, c, w), output length out_w) or global ((n, c, h, w) -> (n, c));
                 k, s, p, ceil, include_pad are 0 where they do not apply.
  <name>.npy     float32, flat: x, then y = op(x), then gx = d sum(y * r) / dx, where
                 r[i] = cos(0.37 i + 0.1) over y's elements in row-major order.
x is drawn in float32 (so it is exact in both files and tests); y and gx are computed in float64.
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pool")


def r_like(y):
    i = torch.arange(y.numel(), dtype=torch.float64)
    return torch.cos(0.37 * i + 0.1).reshape(y.shape)


def run(op, x, a):
    """Applies case `op` with attributes `a` to float64 x."""
    k, s, p, ceil, incl = a["k"], a["s"], a["p"], bool(a["ceil"]), bool(a["incl"])
    if op == "max2d":
        return F.max_pool2d(x, k, s, p, ceil_mode=ceil)
    if op == "avg2d":
        return F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=incl)
    if op == "max1d":
        return F.max_pool1d(x, k, s, p)
    if op == "avg1d":
        return F.avg_pool1d(x, k, s, p, count_include_pad=incl)
    if op == "adaptive2d":
        return F.adaptive_avg_pool2d(x, (a["oh"], a["ow"]))
    if op == "adaptive1d":
        return F.adaptive_avg_pool1d(x, a["ow"])
    if op == "global":
        return F.adaptive_avg_pool2d(x, 1).flatten(1)
    raise ValueError(op)


def write(manifest, name, op, x32, **a):
    a = {"k": 0, "s": 0, "p": 0, "ceil": 0, "incl": 0, "oh": 0, "ow": 0, **a}
    x = x32.to(torch.float64).requires_grad_(True)
    y = run(op, x, a)
    y.backward(r_like(y))
    flat = torch.cat([x32.flatten().to(torch.float64), y.detach().flatten(), x.grad.flatten()])
    np.save(os.path.join(OUT, name + ".npy"), flat.numpy().astype(np.float32))
    shape = list(x32.shape)
    n, c, h, w = (shape[0], shape[1], 1, shape[2]) if len(shape) == 3 else shape
    manifest.append(f"{name} {op} {n} {c} {h} {w} {a['k']} {a['s']} {a['p']} {a['ceil']} {a['incl']} "
                    f"{a['oh']} {a['ow']}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    torch.manual_seed(360)
    m = []
    # Every attribute combination, 2-d (non-square input) and 1-d.
    for op in ("max2d", "avg2d", "max1d", "avg1d"):
        for k in (2, 3):
            for s in (1, 2):
                for p in (0, 1):
                    for ceil in ((0, 1) if op.endswith("2d") else (0,)):
                        for incl in ((1,) if op.startswith("max") else (1, 0)):
                            shape = (1, 2, 7, 6) if op.endswith("2d") else (2, 2, 11)
                            x = torch.randn(shape, dtype=torch.float32)
                            name = f"{op}_k{k}_s{s}_p{p}" + ("_ceil" if ceil else "") + ("" if incl else "_nopad")
                            write(m, name, op, x, k=k, s=s, p=p, ceil=ceil, incl=incl)
    # Wider planes (two full 8-lane vectors and a remainder), the DARTS windows.
    for op, s, incl in (("max2d", 1, 1), ("avg2d", 1, 0), ("max2d", 2, 1), ("avg2d", 2, 0)):
        x = torch.randn((1, 1, 9, 20), dtype=torch.float32)
        write(m, f"{op}_k3_s{s}_p1_wide" + ("" if incl else "_nopad"), op, x, k=3, s=s, p=1, incl=incl)
    # Ties: the gradient goes to the first maximum in row-major order.
    x = torch.randint(0, 3, (1, 2, 7, 6)).to(torch.float32)
    write(m, "max2d_ties_k3_s1_p1", "max2d", x, k=3, s=1, p=1, incl=1)
    write(m, "max2d_ties_k2_s2_p1_ceil", "max2d", x, k=2, s=2, p=1, ceil=1, incl=1)
    x = torch.randint(0, 2, (2, 2, 11)).to(torch.float32)
    write(m, "max1d_ties_k3_s2_p1", "max1d", x, k=3, s=2, p=1, incl=1)
    # NaN beats numbers, -inf windows route to their first element, -inf at a padded border.
    x = torch.randn((1, 2, 7, 6), dtype=torch.float32)
    x[0, 0, 0:2, 0:2] = -math.inf
    x[0, 0, 3, 3] = math.nan
    x[0, 0, 4, 4] = math.nan
    x[0, 1, 6, 5] = -math.inf
    x[0, 1, 2, 1] = math.nan
    write(m, "max2d_special_k2_s2_p0", "max2d", x, k=2, s=2, p=0, incl=1)
    write(m, "max2d_special_k3_s1_p1", "max2d", x, k=3, s=1, p=1, incl=1)
    # The same in long 1-d rows (the vectorised stride-2/3 paths), NaN and -inf in one channel only.
    x = torch.randn((1, 2, 45), dtype=torch.float32)
    x[0, 0, 0:3] = -math.inf
    x[0, 0, 17] = math.nan
    x[0, 0, 30] = math.nan
    x[0, 0, 31] = math.nan
    for k, s, p in ((2, 2, 0), (3, 3, 0), (3, 2, 1), (2, 2, 1)):
        write(m, f"max1d_special_k{k}_s{s}_p{p}", "max1d", x, k=k, s=s, p=p, incl=1)
    x = torch.randint(0, 2, (1, 2, 45)).to(torch.float32)
    write(m, "max1d_ties_k3_s3_p0_long", "max1d", x, k=3, s=3, p=0, incl=1)
    # Adaptive and global average pooling.
    for h, w, oh, ow in ((7, 5, 3, 2), (6, 4, 3, 2), (5, 7, 2, 3), (3, 4, 5, 6), (8, 8, 1, 1)):
        x = torch.randn((2, 3, h, w), dtype=torch.float32)
        write(m, f"adaptive2d_{h}x{w}_to_{oh}x{ow}", "adaptive2d", x, oh=oh, ow=ow)
    for l, ol in ((7, 3), (5, 2), (8, 4), (3, 5)):
        x = torch.randn((2, 3, l), dtype=torch.float32)
        write(m, f"adaptive1d_{l}_to_{ol}", "adaptive1d", x, oh=1, ow=ol)
    for h, w in ((5, 4), (8, 8)):
        x = torch.randn((2, 3, h, w), dtype=torch.float32)
        write(m, f"global_{h}x{w}", "global", x)
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(m) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(m)} cases, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
