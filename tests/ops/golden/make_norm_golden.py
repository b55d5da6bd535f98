#!/usr/bin/python3
"""Writes PyTorch golden data for batch norm, layer norm and interpolate (tests/ops/norm_golden_test.cc).

Run with Debian's python (it has torch 1.13):  /usr/bin/python3 tests/ops/golden/make_norm_golden.py

Output, in tests/ops/golden/data/norm/:
  manifest.txt   one line per case: "<name> <op>", op in batch_norm, layer_norm, interpolate.
  <name>.npz     float32 arrays (np.savez):
    meta         the case's attributes:
                   batch_norm:  [training, momentum, eps, affine, stats]
                   layer_norm:  [eps, affine, number of normalised trailing dims]
                   interpolate: [mode (0 nearest, 1 bilinear), align_corners, out_h, out_w]
    x            the input; w, b (affine), rm, rv (running statistics, before the call) where used
    r            the output weights: gradients are d sum(y * r) / d(input)
    y            the output; gx, gw, gb its gradients (gw, gb when affine)
    rm_out, rv_out   batch norm with running statistics: their values after the call
Inputs are drawn in float32 (exact in both files and tests); outputs are computed in float64.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "norm")
GEN = torch.Generator().manual_seed(360)


def randn(*shape, scale=1.0, offset=0.0):
    return (torch.randn(*shape, generator=GEN, dtype=torch.float32) * scale + offset).float()


def rand(*shape, lo=0.0, hi=1.0):
    return (torch.rand(*shape, generator=GEN, dtype=torch.float32) * (hi - lo) + lo).float()


def save(manifest, name, op, meta, arrays):
    out = {"meta": np.asarray(meta, dtype=np.float32)}
    for k, v in arrays.items():
        out[k] = v.detach().to(torch.float32).numpy()
    np.savez(os.path.join(OUT, name + ".npz"), **out)
    manifest.append(f"{name} {op}")


def leaf(t):
    return t.to(torch.float64).clone().requires_grad_(True)


def batch_norm(manifest, name, shape, training, affine, stats, momentum=0.1, eps=1e-5):
    c = shape[1]
    x32 = randn(*shape, scale=1.5, offset=2.0)
    arrays = {"x": x32}
    x = leaf(x32)
    w = b = rm = rv = None
    if affine:
        arrays["w"], arrays["b"] = rand(c, lo=0.5, hi=1.5), randn(c)
        w, b = leaf(arrays["w"]), leaf(arrays["b"])
    if stats:
        arrays["rm"], arrays["rv"] = randn(c), rand(c, lo=0.5, hi=2.0)
        rm, rv = arrays["rm"].to(torch.float64).clone(), arrays["rv"].to(torch.float64).clone()
    y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=eps)
    r = randn(*y.shape)
    y.backward(r.to(torch.float64))
    arrays.update(r=r, y=y, gx=x.grad)
    if affine:
        arrays.update(gw=w.grad, gb=b.grad)
    if stats:
        arrays.update(rm_out=rm, rv_out=rv)
    save(manifest, name, "batch_norm", [training, momentum, eps, affine, stats], arrays)


def layer_norm(manifest, name, shape, ndims, affine, eps=1e-5):
    normalized = shape[-ndims:]
    x32 = randn(*shape, scale=2.0, offset=-1.0)
    arrays = {"x": x32}
    x = leaf(x32)
    w = b = None
    if affine:
        arrays["w"], arrays["b"] = rand(*normalized, lo=0.5, hi=1.5), randn(*normalized)
        w, b = leaf(arrays["w"]), leaf(arrays["b"])
    y = F.layer_norm(x, normalized, w, b, eps)
    r = randn(*y.shape)
    y.backward(r.to(torch.float64))
    arrays.update(r=r, y=y, gx=x.grad)
    if affine:
        arrays.update(gw=w.grad, gb=b.grad)
    save(manifest, name, "layer_norm", [eps, affine, ndims], arrays)


def interpolate(manifest, name, shape, out_h, out_w, mode, align):
    x32 = randn(*shape)
    x = leaf(x32)
    kwargs = {"align_corners": align} if mode == "bilinear" else {}
    y = F.interpolate(x, size=(out_h, out_w), mode=mode, **kwargs)
    r = randn(*y.shape)
    y.backward(r.to(torch.float64))
    save(manifest, name, "interpolate", [mode == "bilinear", align, out_h, out_w],
         {"x": x32, "r": r, "y": y, "gx": x.grad})


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    batch_norm(manifest, "bn2d_train_affine_stats", (4, 3, 5, 6), True, True, True)
    batch_norm(manifest, "bn2d_train_plain_stats_m03", (3, 4, 3, 7), True, False, True, momentum=0.3)
    batch_norm(manifest, "bn2d_train_affine_nostats", (2, 3, 4, 4), True, True, False)
    batch_norm(manifest, "bn1d_ncl_train_affine_stats", (5, 4, 7), True, True, True)
    batch_norm(manifest, "bn1d_nc_train_affine_stats", (8, 5), True, True, True, eps=1e-3)
    batch_norm(manifest, "bn2d_eval_affine_stats", (4, 3, 5, 6), False, True, True)
    batch_norm(manifest, "bn1d_ncl_eval_plain_stats", (3, 4, 6), False, False, True)
    layer_norm(manifest, "ln_last_affine", (3, 4, 10), 1, True)
    layer_norm(manifest, "ln_last_plain", (6, 9), 1, False)
    layer_norm(manifest, "ln_two_affine", (2, 3, 4, 5), 2, True)
    layer_norm(manifest, "ln_two_plain", (2, 3, 4, 5), 2, False)
    interpolate(manifest, "nearest_up", (2, 3, 5, 7), 8, 11, "nearest", False)
    interpolate(manifest, "nearest_down", (2, 3, 9, 10), 4, 3, "nearest", False)
    interpolate(manifest, "nearest_double", (1, 2, 6, 5), 12, 10, "nearest", False)
    interpolate(manifest, "nearest_float_rounding", (1, 2, 14, 14), 20, 20, "nearest", False)
    interpolate(manifest, "bilinear_up", (2, 3, 5, 7), 8, 11, "bilinear", False)
    interpolate(manifest, "bilinear_down", (2, 3, 9, 10), 4, 3, "bilinear", False)
    interpolate(manifest, "bilinear_align_up", (2, 3, 5, 7), 8, 11, "bilinear", True)
    interpolate(manifest, "bilinear_align_down", (2, 3, 9, 10), 4, 3, "bilinear", True)
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
