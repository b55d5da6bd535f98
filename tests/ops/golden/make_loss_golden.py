#!/usr/bin/python3
"""Golden data for tests/ops/loss_golden_test.cc: PyTorch cross-entropy, BCE-with-logits, attention and
nn.MultiheadAttention(batch_first=True), forward and gradients.

Run with Debian's interpreter (it has torch 1.13):  /usr/bin/python3 tests/ops/golden/make_loss_golden.py
Writes tests/ops/golden/data/loss_<case>.npz. Every archive holds the float64 inputs, a float64 cotangent
`g` for the output (the backward seeds d(out) = g), and torch's output and gradients computed twice: in
float64 (`*_f64`) and in float32 from the same inputs rounded to float32 (`*_f32`).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def run_both(fn, inputs, diff):
    """fn(dict of tensors) -> output; returns {name_f64/f32: array} for out and grads of `diff` inputs."""
    result = {}
    g = None
    for dtype, tag in ((torch.float64, "f64"), (torch.float32, "f32")):
        t = {}
        for k, v in inputs.items():
            if v.dtype.kind == "f":
                t[k] = torch.tensor(v, dtype=dtype, requires_grad=k in diff)
            else:
                t[k] = torch.tensor(v)
        out = fn(t, dtype)
        if g is None:
            g = np.random.default_rng(99).standard_normal(tuple(out.shape))
        out.backward(torch.tensor(g, dtype=dtype))
        result["out_" + tag] = out.detach().double().numpy()
        for k in diff:
            result["grad_%s_%s" % (k, tag)] = t[k].grad.double().numpy()
    result["g"] = np.asarray(g, dtype=np.float64)
    return result


def save(name, inputs, result):
    path = os.path.join(OUT, "loss_%s.npz" % name)
    arrays = dict(inputs)
    arrays.update(result)
    np.savez(path, **arrays)
    print(path, os.path.getsize(path), "bytes")


def cross_entropy_cases(rng):
    specs = [
        # name, logits shape, ignore_index, reduction, label_smoothing
        ("ce_2d_weight_ignore_mean", (8, 5), -100, "mean", 0.0),
        ("ce_2d_weight_ignore_smoothing_sum", (7, 6), -100, "sum", 0.15),
        ("ce_4d_weight_ignore_none", (2, 4, 3, 3), 255, "none", 0.0),
        ("ce_4d_weight_ignore_smoothing_mean", (2, 3, 2, 4), 255, "mean", 0.1),
    ]
    for name, shape, ignore, red, ls in specs:
        c = shape[1]
        tshape = (shape[0],) + shape[2:]
        target = rng.integers(0, c, size=tshape).astype(np.int64)
        flat = target.reshape(-1)
        flat[[1, 4]] = ignore
        inputs = {
            "logits": rng.standard_normal(shape) * 2.0,
            "target": target,
            "weight": rng.uniform(0.2, 2.0, size=(c,)),
        }

        def fn(t, dtype, ignore=ignore, red=red, ls=ls):
            return F.cross_entropy(t["logits"], t["target"], weight=t["weight"], ignore_index=ignore,
                                   reduction=red, label_smoothing=ls)

        save(name, inputs, run_both(fn, inputs, ["logits"]))


def bce_cases(rng):
    for name, red in (("bce_weight_pos_weight_mean", "mean"), ("bce_weight_pos_weight_none", "none")):
        logits = rng.standard_normal((6, 7)) * 5.0
        logits[0, :3] = [60.0, -60.0, 35.0]
        logits[1, :2] = [-45.0, 90.0]
        target = rng.uniform(0.0, 1.0, size=(6, 7))
        target[0, :3] = [1.0, 0.0, 0.0]
        target[1, :2] = [1.0, 1.0]
        inputs = {
            "logits": logits,
            "target": target,
            "weight": rng.uniform(0.2, 2.0, size=(6, 1)),
            "pos_weight": rng.uniform(0.3, 3.0, size=(7,)),
        }

        def fn(t, dtype, red=red):
            return F.binary_cross_entropy_with_logits(t["logits"], t["target"], weight=t["weight"],
                                                      pos_weight=t["pos_weight"], reduction=red)

        save(name, inputs, run_both(fn, inputs, ["logits", "target"]))


def attention(q, k, v, mask, scale):
    scores = q @ k.transpose(-1, -2) * scale
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))  # ours: True = keep
        else:
            scores = scores + mask
    return torch.softmax(scores, dim=-1) @ v


def attention_cases(rng):
    b, h, lq, lk, d, dv = 2, 3, 4, 6, 8, 5
    base = {
        "q": rng.standard_normal((b, h, lq, d)),
        "k": rng.standard_normal((b, h, lk, d)),
        "v": rng.standard_normal((b, h, lk, dv)),
    }
    keep = rng.uniform(size=(lq, lk)) < 0.6
    keep[:, 0] = True
    for name, mask in (("attention_unmasked", None), ("attention_float_mask", rng.standard_normal((b, 1, lq, lk))),
                       ("attention_bool_mask", keep)):
        inputs = dict(base)
        if mask is not None:
            inputs["mask"] = mask

        def fn(t, dtype):
            return attention(t["q"], t["k"], t["v"], t.get("mask"), 1.0 / np.sqrt(d))

        save(name, inputs, run_both(fn, inputs, ["q", "k", "v"]))


def multi_head_cases(rng):
    e, heads = 8, 2
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(e, heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.normal_(0.0, 0.2)
        mha.out_proj.bias.normal_(0.0, 0.2)
    params = {
        "in_w": mha.in_proj_weight.detach().double().numpy(),
        "in_b": mha.in_proj_bias.detach().double().numpy(),
        "out_w": mha.out_proj.weight.detach().double().numpy(),
        "out_b": mha.out_proj.bias.detach().double().numpy(),
    }
    pnames = list(params)

    def module(t, dtype):
        # The module's parameters become the differentiated inputs (run_both reads t[name].grad).
        m = torch.nn.MultiheadAttention(e, heads, batch_first=True).to(dtype)
        for name, owner, attr in (("in_w", m, "in_proj_weight"), ("in_b", m, "in_proj_bias"),
                                  ("out_w", m.out_proj, "weight"), ("out_b", m.out_proj, "bias")):
            p = torch.nn.Parameter(t[name].detach().clone())
            setattr(owner, attr, p)
            t[name] = p
        return m

    # Cross-attention, Lq != Lk, float mask (Lq, Lk).
    inputs = dict(params)
    inputs.update(query=rng.standard_normal((2, 3, e)), key=rng.standard_normal((2, 5, e)),
                  value=rng.standard_normal((2, 5, e)), mask=rng.standard_normal((3, 5)))

    def cross(t, dtype):
        m = module(t, dtype)
        out, _ = m(t["query"], t["key"], t["value"], attn_mask=t["mask"], need_weights=False)
        return out

    save("mha_cross_float_mask", inputs, run_both(cross, inputs, ["query", "key", "value"] + pnames))

    # Self-attention with a bool mask (ours: True = keep; torch: True = masked out).
    keep = rng.uniform(size=(4, 4)) < 0.6
    np.fill_diagonal(keep, True)
    inputs = dict(params)
    inputs.update(x=rng.standard_normal((3, 4, e)), mask=keep)

    def self_attn(t, dtype):
        m = module(t, dtype)
        out, _ = m(t["x"], t["x"], t["x"], attn_mask=~t["mask"], need_weights=False)
        return out

    save("mha_self_bool_mask", inputs, run_both(self_attn, inputs, ["x"] + pnames))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(1234)
    cross_entropy_cases(rng)
    bce_cases(rng)
    attention_cases(rng)
    multi_head_cases(rng)


if __name__ == "__main__":
    main()
