"""Shared bits of the PyTorch benchmark scripts (benchmarks/*/torch_*.py): command-line flags, the
--device check and the timing loop. Imported after the script puts benchmarks/ on sys.path."""
import sys
import time

import torch


def flag(name, default):
    """The value of --name=VALUE on the command line, else default."""
    return next((a.split("=", 1)[1] for a in sys.argv if a.startswith(f"--{name}=")), default)


def use_device(device):
    """Checks --device; on the GPU, float32 without TF32 (nb360's default)."""
    if device not in ("cpu", "cuda"):
        sys.exit(f"{sys.argv[0]}: --device must be cpu or cuda, got {device!r}")
    if device == "cuda":
        if not torch.cuda.is_available():
            sys.exit(f"{sys.argv[0]}: --device=cuda, but this PyTorch ({torch.__version__}, CUDA "
                     f"{torch.version.cuda}) sees no usable CUDA device")
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False


def time_ms(fn, device, min_time, repeat, clock=time.perf_counter):
    """Best over `repeat` runs of the mean time per call in ms, each run lasting at least min_time
    seconds of `clock`, after two warm-up calls; on the GPU every call ends with a synchronisation."""
    def call():
        fn()
        if device != "cpu":
            torch.cuda.synchronize()
    call()
    call()
    best = float("inf")
    for _ in range(repeat):
        calls, start = 0, clock()
        while True:
            call()
            calls += 1
            elapsed = clock() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / calls)
    return best * 1e3
