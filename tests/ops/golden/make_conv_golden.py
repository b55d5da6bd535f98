#!/usr/bin/python3
"""Writes the PyTorch golden data for tests/ops/conv_golden_test.cc.

Run with Debian's python (it has torch): /usr/bin/python3 tests/ops/golden/make_conv_golden.py

For every case, inputs and the upstream gradient come from an integer formula that C++ reproduces
exactly (Pattern below), so only PyTorch's results are stored: the forward output and the gradients
of input, weight and bias (torch float64, stored as float32 little-endian). Files:
  data/conv_golden.txt  one line per case: name, op, shapes, params, and where each result lives
  data/conv_golden.f32  the results, concatenated
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def pattern(shape, seed):
    """((i * 7919 + seed * 104729) mod 2003) / 1001.5 - 1 for element i (row-major), float64."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    v = ((i * 7919 + seed * 104729) % 2003).astype(np.float64) / 1001.5 - 1.0
    return torch.from_numpy(v.reshape(shape))


def conv2d_case(name, x, o, k, s=(1, 1), p=(0, 0), d=(1, 1), g=1, bias=True):
    return dict(name=name, op="conv2d", x=x, w=(o, x[1] // g) + tuple(k), s=s, p=p, d=d, g=g, op_pad=(0, 0),
                bias=bias, o=o)


def conv1d_case(name, x, o, k, s=1, p=0, d=1, g=1, bias=True):
    return dict(name=name, op="conv1d", x=x, w=(o, x[1] // g, k), s=(s,), p=(p,), d=(d,), g=g, op_pad=(0,),
                bias=bias, o=o)


def transpose_case(name, x, o, k, s=(1, 1), p=(0, 0), op_pad=(0, 0), d=(1, 1), g=1, bias=True):
    return dict(name=name, op="conv_transpose2d", x=x, w=(x[1], o // g) + tuple(k), s=s, p=p, d=d, g=g,
                op_pad=op_pad, bias=bias, o=o)


def cases():
    out = []
    x = (2, 4, 6, 5)
    groups = [("dense", 1, 5), ("grouped", 2, 6), ("depthwise", 4, 4)]
    # 3x3: every stride / padding / dilation, groups and bias rotating.
    i = 0
    for s in (1, 2):
        for p in (0, 1, 2):
            for d in (1, 2):
                gname, g, o = groups[i % 3]
                bias = (i // 3) % 2 == 0
                out.append(conv2d_case(f"conv2d_{gname}_k3x3_s{s}_p{p}_d{d}", x, o, (3, 3), (s, s), (p, p), (d, d), g,
                                       bias))
                i += 1
    # Every groups choice with and without bias at the common stride 1, padding 1.
    for gname, g, o in groups:
        for bias in (False, True):
            out.append(conv2d_case(f"conv2d_{gname}_k3x3_same_{'bias' if bias else 'nobias'}", x, o, (3, 3),
                                   (1, 1), (1, 1), (1, 1), g, bias))
    # Non-square kernels and mixed attributes.
    out += [
        conv2d_case("conv2d_k1x3_s1_p1", x, 5, (1, 3), (1, 1), (1, 1)),
        conv2d_case("conv2d_k1x3_s2_p0_d2_grouped", x, 6, (1, 3), (2, 2), (0, 0), (2, 2), 2, False),
        conv2d_case("conv2d_k3x1_s2_p2_depthwise", x, 4, (3, 1), (2, 2), (2, 2), (1, 1), 4),
        conv2d_case("conv2d_k3x1_s1_p1_d2", x, 5, (3, 1), (1, 1), (1, 1), (2, 2), 1, False),
        conv2d_case("conv2d_k5x5_s1_p2", x, 5, (5, 5), (1, 1), (2, 2)),
        conv2d_case("conv2d_k5x5_s2_p2_d2_grouped", x, 6, (5, 5), (2, 2), (2, 2), (2, 2), 2, False),
        conv2d_case("conv2d_k5x5_p4_d2_depthwise", x, 4, (5, 5), (1, 1), (4, 4), (2, 2), 4),
        conv2d_case("conv2d_mixed_k3x5", (2, 4, 7, 8), 6, (3, 5), (2, 1), (1, 2), (1, 2), 2),
        conv2d_case("conv2d_stem_c3", (2, 3, 6, 6), 4, (3, 3), (1, 1), (1, 1)),
        conv2d_case("conv2d_blocked_c16", (1, 16, 4, 4), 16, (3, 3), (1, 1), (1, 1)),
        conv2d_case("conv2d_depthwise_c16_k5_d2", (1, 16, 5, 5), 16, (5, 5), (1, 1), (4, 4), (2, 2), 16, False),
    ]
    # Conv1d.
    xl = (2, 4, 16)
    out += [
        conv1d_case("conv1d_k3", xl, 5, 3),
        conv1d_case("conv1d_k3_s2_p1", xl, 5, 3, 2, 1, bias=False),
        conv1d_case("conv1d_k3_p2_d2", xl, 5, 3, 1, 2, 2),
        conv1d_case("conv1d_k3_grouped", xl, 6, 3, 1, 1, 1, 2),
        conv1d_case("conv1d_k3_depthwise_s2_d2", xl, 4, 3, 2, 1, 2, 4, bias=False),
        conv1d_case("conv1d_ecg_k8_p4", xl, 6, 8, 1, 4),
        conv1d_case("conv1d_ecg_k8_p3_s2_grouped", xl, 6, 8, 2, 3, 1, 2),
        conv1d_case("conv1d_ecg_k8_blocked", (1, 16, 12), 16, 8, 1, 4),
    ]
    # ConvTranspose2d.
    xt = (2, 4, 4, 3)
    out += [
        transpose_case("conv_transpose2d_s2", xt, 3, (3, 3), (2, 2)),
        transpose_case("conv_transpose2d_s2_p1_op1", xt, 3, (3, 3), (2, 2), (1, 1), (1, 1), bias=False),
        transpose_case("conv_transpose2d_s2_p1_op1_grouped", xt, 6, (3, 3), (2, 2), (1, 1), (1, 1), g=2),
        transpose_case("conv_transpose2d_s2_depthwise", xt, 4, (3, 3), (2, 2), (1, 1), (0, 0), g=4, bias=False),
        transpose_case("conv_transpose2d_k4_s2_p1", xt, 3, (4, 4), (2, 2), (1, 1)),
        transpose_case("conv_transpose2d_k2x3_s21_d2_op10", xt, 3, (2, 3), (2, 1), (0, 1), (1, 0), (2, 2)),
    ]
    return out


def compute(c, seed):
    x = pattern(c["x"], seed).requires_grad_(True)
    w = (0.5 * pattern(c["w"], seed + 1)).detach().requires_grad_(True)
    b = pattern((c["o"],), seed + 2).requires_grad_(True) if c["bias"] else None
    kw = dict(stride=c["s"], padding=c["p"], dilation=c["d"], groups=c["g"])
    if c["op"] == "conv2d":
        y = torch.nn.functional.conv2d(x, w, b, **kw)
    elif c["op"] == "conv1d":
        y = torch.nn.functional.conv1d(x, w, b, **kw)
    else:
        y = torch.nn.functional.conv_transpose2d(x, w, b, output_padding=c["op_pad"], **kw)
    gy = pattern(tuple(y.shape), seed + 3)
    y.backward(gy)
    results = [("out", y.detach()), ("gx", x.grad), ("gw", w.grad)]
    if b is not None:
        results.append(("gb", b.grad))
    return results


def main():
    torch.set_default_dtype(torch.float64)
    data_dir = os.path.join(HERE, "data")
    os.makedirs(data_dir, exist_ok=True)
    lines = ["# name op x=shape w=shape stride pad dilation groups output_pad bias seed, then result=offset:shape"]
    blobs = []
    offset = 0
    for index, c in enumerate(cases()):
        seed = 11 + 7 * index
        fields = [c["name"], c["op"], "x=" + ",".join(map(str, c["x"])), "w=" + ",".join(map(str, c["w"])),
                  "stride=" + ",".join(map(str, c["s"])), "pad=" + ",".join(map(str, c["p"])),
                  "dilation=" + ",".join(map(str, c["d"])), f"groups={c['g']}",
                  "output_pad=" + ",".join(map(str, c["op_pad"])), f"bias={int(c['bias'])}", f"seed={seed}"]
        for key, t in compute(c, seed):
            arr = t.numpy().astype("<f4").ravel()
            fields.append(f"{key}={offset}:" + ",".join(map(str, t.shape)))
            blobs.append(arr)
            offset += arr.size
        lines.append(" ".join(fields))
    with open(os.path.join(data_dir, "conv_golden.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    np.concatenate(blobs).tofile(os.path.join(data_dir, "conv_golden.f32"))
    print(f"{len(lines) - 1} cases, {offset} floats ({4 * offset} bytes)")


if __name__ == "__main__":
    main()
