"""PyTorch side of benchmarks/baselines/wrn_step_benchmark.cc: the same full training steps (forward,
loss, backward, SGD nesterov momentum 0.9 / weight decay 5e-4, zero_grad), float32, train mode.

Run with Debian's /usr/bin/python3 (torch 1.13); prints "case_name  torch_ms" lines (best of 5 runs of
the mean step time, each run lasting at least 1 s, as the benchmark's _min rows). For the best
PyTorch figure also run it as MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 /usr/bin/python3 ...
and keep the better. --threads=N (default 2); --device=cuda runs on the GPU (synchronised after every
step) in five variants: <case>_CUDA (strict float32: TF32 off for cuDNN and cuBLAS), _CUDA_TF32,
_CUDA_BF16 (torch.autocast bf16), _CUDA_Graph (forward + backward as one CUDA graph, eager SGD step)
and _CUDA_Fast (all three); an optional argument keeps only cases containing it. --min-time=S (1.0)
and --repeat=N (5) set each timing's run length and count (the GPU check uses short runs).
The models come from tests/baselines/wrn/golden/make_wrn_golden.py (written from the spec).
"""
import contextlib
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "baselines", "wrn", "golden"))
from make_wrn_golden import ResNet1D, Wrn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import time_ms  # noqa: E402

THREADS = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--threads=")), "2"))
MIN_TIME = float(next((a.split("=")[1] for a in sys.argv if a.startswith("--min-time=")), "1.0"))
REPEAT = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--repeat=")), "5"))
DEVICE = next((a.split("=")[1] for a in sys.argv if a.startswith("--device=")), "cpu")
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def rel_l2_sum(y, t):
    n = y.shape[0]
    return ((y - t).reshape(n, -1).norm(dim=1) / t.reshape(n, -1).norm(dim=1)).sum()


def cases():
    labels = lambda k: (lambda y: torch.randint(0, k, (y.shape[0],)))  # noqa: E731
    return [
        ("WRN16_4_Cifar100_B128", lambda: Wrn(16, 4, 3, 100, "point"), (128, 3, 32, 32), F.cross_entropy,
         labels(100)),
        ("WRN16_4_DenseDarcy_B8", lambda: Wrn(16, 4, 3, 1, "dense"), (8, 3, 85, 85), rel_l2_sum,
         lambda y: torch.rand_like(y) + 0.5),
        ("ResNet1D_ECG_B256", lambda: ResNet1D(1, 4, 64), (256, 1, 1000), F.cross_entropy, labels(4)),
        ("ResNet1D_DeepSEA_B256", lambda: ResNet1D(4, 36, 64), (256, 4, 1000),
         F.binary_cross_entropy_with_logits, lambda y: (torch.rand_like(y) < 0.1).float()),
    ]




# CUDA variants, as wrn_step_benchmark.cc's: (suffix, tf32, bf16 autocast, CUDA graph of forward+backward).
CUDA_MODES = [("_CUDA", False, False, False), ("_CUDA_TF32", True, False, False), ("_CUDA_BF16", False, True, False),
              ("_CUDA_Graph", False, False, True), ("_CUDA_Fast", True, True, True)]


def run_case(name, make, shape, loss_fn, target_fn, suffix="", tf32=False, bf16=False, graph=False):
    if DEVICE != "cpu":
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    model = make().to(DEVICE).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = (torch.rand(shape) * 2 - 1).to(DEVICE)
    with torch.no_grad():
        target = target_fn(model(x)).to(DEVICE)

    def forward_backward():
        with torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            loss = loss_fn(model(x), target)
        loss.backward()
        return loss

    def step():
        forward_backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    timed = step
    if graph:
        # Warm up on a side stream, then record forward + backward once (grads None at capture, so
        # replays write them afresh); the SGD step stays eager, as in wrn_step_benchmark.cc.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(side)
        opt.zero_grad(set_to_none=True)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            forward_backward()

        def timed():
            g.replay()
            opt.step()

    print(f"{name}{suffix}  {time_ms(timed, DEVICE, MIN_TIME, REPEAT):.2f}", flush=True)


def main():
    keep = [a for a in sys.argv[1:] if not a.startswith("--")]
    for case in cases():
        if keep and keep[0] not in case[0]:
            continue
        if DEVICE == "cpu":
            run_case(*case)
            continue
        for mode in CUDA_MODES:
            run_case(*case, *mode)


if __name__ == "__main__":
    main()
