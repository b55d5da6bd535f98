"""PyTorch side of benchmarks/nas/gaea_search_step_benchmark.cc: one GAEA PC-DARTS search step (a weight
step — forward, loss, backward, gradient clipping at 5, SGD momentum 0.9 / weight decay 3e-4 — then an
architecture step — forward, loss, backward, exponentiated-gradient update of alpha and beta), on the
same supernet, written here from the spec (../shared/spec/nas_darts_densenas.md §A.1-§A.5): C=16, 8 cells,
reductions at cells 2 and 5, K=4 partial channels with channel shuffle, search BN without affine, 8 ops,
softmax on top of the EG simplex values. float32, train mode.

Cases (same names as the C++ benchmark):
  GaeaSearch_Cifar100_B64   2-D, (64, 3, 32, 32), 100 classes, cross-entropy
  GaeaSearch_ECG_B32        1-D, (32, 1, 1000), 4 classes, cross-entropy
Prints "case  torch_ms" (best of 3 runs of the mean step time) and the supernet's weight count (the
spec's check: 322,708 for CIFAR-100, 209,524 for ECG). Run with Debian's /usr/bin/python3; for the best
figure also with MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736. --threads=N (default 2).
--device=cuda runs on the GPU (cases named <case>_CUDA; supernet, architecture tensors and batches on
the device; torch.cuda.synchronize() after every step; float32 without TF32, as nb360's default);
--min-time=S sets each run's length (default 1 s), --repeat=N the number of runs (default 3); an
optional argument keeps only the cases whose name contains it.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import flag, time_ms, use_device  # noqa: E402



THREADS = int(flag("threads", "2"))
DEVICE = flag("device", "cpu")
MIN_TIME = float(flag("min-time", "1.0"))
REPEAT = int(flag("repeat", "3"))
torch.set_num_threads(THREADS)
torch.manual_seed(0)



PRIMITIVES = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5"]
K = 4


class Dims:
    def __init__(self, d):
        self.d = d
        self.conv = nn.Conv2d if d == 2 else nn.Conv1d
        self.bn = nn.BatchNorm2d if d == 2 else nn.BatchNorm1d
        self.maxpool = nn.MaxPool2d if d == 2 else nn.MaxPool1d
        self.avgpool = nn.AvgPool2d if d == 2 else nn.AvgPool1d


def relu_conv_bn(D, cin, cout, k, stride, pad, dil=1, groups=1):
    return [nn.ReLU(), D.conv(cin, cout, k, stride, pad, dilation=dil, groups=groups, bias=False)]


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return x.mul(0.0)
        return x[..., ::self.stride, ::self.stride].mul(0.0) if x.dim() == 4 else x[..., ::self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    def __init__(self, D, cin, cout):
        super().__init__()
        self.d = D.d
        self.relu = nn.ReLU()
        self.c1 = D.conv(cin, cout // 2, 1, 2, 0, bias=False)
        self.c2 = D.conv(cin, cout // 2, 1, 2, 0, bias=False)
        self.bn = D.bn(cout, affine=False)

    def forward(self, x):
        x = self.relu(x)
        shifted = x[:, :, 1:, 1:] if self.d == 2 else x
        if self.d == 2 and (x.shape[2] % 2 or x.shape[3] % 2):
            shifted = F.pad(shifted, (0, x.shape[3] % 2, 0, x.shape[2] % 2))
        return self.bn(torch.cat([self.c1(x), self.c2(shifted)], dim=1))


def make_op(D, name, c, stride):
    if name == "none":
        return Zero(stride)
    if name == "max_pool_3x3":
        return nn.Sequential(D.maxpool(3, stride, 1), D.bn(c, affine=False))
    if name == "avg_pool_3x3":
        return nn.Sequential(D.avgpool(3, stride, 1, count_include_pad=False), D.bn(c, affine=False))
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(D, c, c)
    k = 3 if name.endswith("3x3") else 5
    if name.startswith("sep"):
        p = k // 2
        return nn.Sequential(*relu_conv_bn(D, c, c, k, stride, p, groups=c), D.conv(c, c, 1, bias=False),
                             D.bn(c, affine=False), *relu_conv_bn(D, c, c, k, 1, p, groups=c),
                             D.conv(c, c, 1, bias=False), D.bn(c, affine=False))
    p = k - 1
    return nn.Sequential(*relu_conv_bn(D, c, c, k, stride, p, dil=2, groups=c), D.conv(c, c, 1, bias=False),
                         D.bn(c, affine=False))


def shuffle(x, groups):
    n, c = x.shape[:2]
    return x.view(n, groups, c // groups, *x.shape[2:]).transpose(1, 2).contiguous().view(x.shape)


class MixedOp(nn.Module):
    def __init__(self, D, c, stride):
        super().__init__()
        self.D, self.stride = D, stride
        self.ops = nn.ModuleList([make_op(D, p, c // K, stride) for p in PRIMITIVES])

    def forward(self, x, w):
        c = x.shape[1]
        x1, x2 = x[:, :c // K], x[:, c // K:]
        y1 = sum(wi * op(x1) for wi, op in zip(w, self.ops))
        if y1.shape[2:] == x.shape[2:]:
            y = torch.cat([y1, x2], dim=1)
        else:
            pool = F.max_pool2d(x2, 2, 2) if self.D.d == 2 else F.max_pool1d(x2, 2, 2, ceil_mode=True)
            y = torch.cat([y1, pool], dim=1)
        return shuffle(y, K)


class Cell(nn.Module):
    def __init__(self, D, cpp, cp, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.pre0 = FactorizedReduce(D, cpp, c) if reduction_prev else nn.Sequential(
            *relu_conv_bn(D, cpp, c, 1, 1, 0), D.bn(c, affine=False))
        self.pre1 = nn.Sequential(*relu_conv_bn(D, cp, c, 1, 1, 0), D.bn(c, affine=False))
        self.edges = nn.ModuleList()
        for i in range(4):
            for j in range(i + 2):
                self.edges.append(MixedOp(D, c, 2 if reduction and j < 2 else 1))

    def forward(self, s0, s1, w, beta):
        states = [self.pre0(s0), self.pre1(s1)]
        offset = 0
        for i in range(4):
            b = F.softmax(beta[offset:offset + i + 2], dim=-1)
            states.append(sum(b[j] * self.edges[offset + j](h, w[offset + j]) for j, h in enumerate(states)))
            offset += i + 2
        return torch.cat(states[2:], dim=1)


class Supernet(nn.Module):
    def __init__(self, d, cin, classes, c=16, layers=8):
        super().__init__()
        D = Dims(d)
        self.stem = nn.Sequential(D.conv(cin, 3 * c, 3, padding=1, bias=False), D.bn(3 * c))
        cpp, cp, cc = 3 * c, 3 * c, c
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                cc *= 2
            self.cells.append(Cell(D, cpp, cp, cc, reduction, reduction_prev))
            reduction_prev = reduction
            cpp, cp = cp, 4 * cc
        self.pool = nn.AdaptiveAvgPool2d(1) if d == 2 else nn.AdaptiveAvgPool1d(1)
        self.classifier = nn.Linear(cp, classes)
        self.alpha_normal = torch.ones(14, 8, requires_grad=True)
        self.alpha_reduce = torch.ones(14, 8, requires_grad=True)
        self.beta_normal = torch.ones(14, requires_grad=True)
        self.beta_reduce = torch.ones(14, requires_grad=True)

    def arch(self):
        return [self.alpha_normal, self.alpha_reduce, self.beta_normal, self.beta_reduce]

    def arch_to(self, device):
        """Moves the architecture tensors (plain attributes, which Module.to leaves alone)."""
        for name in ("alpha_normal", "alpha_reduce", "beta_normal", "beta_reduce"):
            setattr(self, name, getattr(self, name).detach().to(device).requires_grad_(True))
        return self

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            a = self.alpha_reduce if cell.reduction else self.alpha_normal
            b = self.beta_reduce if cell.reduction else self.beta_normal
            s0, s1 = s1, cell(s0, s1, F.softmax(a, dim=-1), b)
        return self.classifier(self.pool(s1).flatten(1))


def eg_step(params, lr=0.1):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.mul_(torch.exp(-lr * p.grad))
            p.div_(p.sum(dim=-1, keepdim=True))
            p.grad = None


def cases():
    return [("GaeaSearch_Cifar100_B64", 2, (64, 3, 32, 32), 100),
            ("GaeaSearch_ECG_B32", 1, (32, 1, 1000), 4)]




def main():
    use_device(DEVICE)
    keep = [a for a in sys.argv[1:] if not a.startswith("--")]
    for name, d, shape, classes in cases():
        if keep and keep[0] not in name:
            continue
        net = Supernet(d, shape[1], classes).train()
        if DEVICE != "cpu":
            net.to(DEVICE).arch_to(DEVICE)
        weights = list(net.parameters())
        opt = torch.optim.SGD(weights, lr=0.1, momentum=0.9, weight_decay=3e-4)
        xw, xa = torch.randn(shape).to(DEVICE), torch.randn(shape).to(DEVICE)
        yw = torch.randint(0, classes, (shape[0],)).to(DEVICE)
        ya = torch.randint(0, classes, (shape[0],)).to(DEVICE)

        def freeze(params, frozen):
            for p in params:
                p.requires_grad_(not frozen)

        def step():
            # Weight step with the architecture frozen, then the architecture step with the weights frozen.
            freeze(net.arch(), True)
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(xw), yw).backward()
            torch.nn.utils.clip_grad_norm_(weights, 5.0)
            opt.step()
            freeze(net.arch(), False)
            freeze(weights, True)
            F.cross_entropy(net(xa), ya).backward()
            eg_step(net.arch())
            freeze(weights, False)

        count = sum(p.numel() for p in weights)
        suffix = "" if DEVICE == "cpu" else "_CUDA"
        print(f"{name}{suffix}  {time_ms(step, DEVICE, MIN_TIME, REPEAT):.2f}  (supernet weights {count})", flush=True)


if __name__ == "__main__":
    main()
