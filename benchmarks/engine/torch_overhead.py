"""PyTorch side of benchmarks/engine/overhead_benchmark.cc: same tiny-tensor cases, microseconds per iteration."""
import timeit

import torch

torch.set_num_threads(2)


def best_us(fn, number=20000, repeat=5):
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


a = torch.ones(16)
b = torch.ones(16)
ag = torch.ones(16, requires_grad=True)
bg = torch.ones(16, requires_grad=True)
g = torch.ones(16)


def add_fb():
    (ag + bg).backward(g)


def mul_sum():
    (ag * b).sum().backward()


print(f"BM_Add16_Forward {best_us(lambda: a + b):.3f} us")
print(f"BM_Add16_ForwardBackward {best_us(add_fb):.3f} us")
print(f"BM_Mul16_SumBackward {best_us(mul_sum):.3f} us")
print(f"BM_EmptyTensor {best_us(lambda: torch.empty(16)):.3f} us")
