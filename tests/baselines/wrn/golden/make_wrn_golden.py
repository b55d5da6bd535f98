"""Writes the PyTorch goldens for tests/baselines/wrn/wrn_parity_test.cc (run with Debian's
/usr/bin/python3, torch 1.13): python3 make_wrn_golden.py  -> data/*.npz.

The models are written here from /work/shared/spec/baselines.md §1 and §2 (module attribute names as
the original PyTorch code, so state-dict keys match ours). Small configurations keep the files small:
2-D models are WRN-10-1 (one block per group: group 1 identity, groups 2 and 3 projections),
ResNet1D uses mid_channels 8. The 2-D models share one body: the audio, NinaPro-shaped and dense
models take the point model's tensors wherever names and shapes agree, and their files hold only
what differs. Each case file holds: "state.<key>" (the state dict before the run, float32 / int64),
"x" (input), "gy" (a random output gradient), "y_train" (train-mode output), "gx" (input
gradient), "grad.<param>" (a few parameter gradients), "bn.<key>" (a running statistic after the
train-mode forward) and "y_eval" (eval-mode output after that).
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.proj = cin != cout
        if self.proj:
            self.convShortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        h = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return (self.convShortcut(a) if self.proj else x) + h


class Group(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[Block(cin if i == 0 else cout, cout, stride if i == 0 else 1)
                                     for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class Wrn(nn.Module):
    def __init__(self, depth, widen, cin, classes, head):
        super().__init__()
        n = (depth - 4) // 6
        c = [16, 16 * widen, 32 * widen, 64 * widen]
        down = 1 if head == "dense" else 2
        self.head = head
        self.conv1 = nn.Conv2d(cin, 16, 3, 1, 1, bias=False)
        if head == "dense":
            self.in_layer = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), self.conv1)
        self.block1 = Group(n, c[0], c[1], 1)
        self.block2 = Group(n, c[1], c[2], down)
        self.block3 = Group(n, c[2], c[3], down)
        self.bn1 = nn.BatchNorm2d(c[3])
        self.fc = nn.Linear(c[3], classes)
        if head == "dense":
            self.out_conv = nn.Conv2d(c[3], classes, 3, 1, 1)

    def forward(self, x):
        h = F.relu(self.bn1(self.block3(self.block2(self.block1(self.conv1(x))))))
        if self.head == "dense":
            return self.fc(h.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        hh, ww = h.shape[2], h.shape[3]
        if self.head == "audio" or hh == 6:
            h = F.adaptive_avg_pool2d(h, 1)
        elif (hh, ww) in ((2, 8), (4, 13)):
            h = F.avg_pool2d(h, (hh, ww))
        else:
            h = F.avg_pool2d(h, 8)
        return self.fc(h.flatten(1))


class SameConv1d(nn.Conv1d):
    def forward(self, x):
        k = self.kernel_size[0]
        if (k - 1) % 2:
            x = F.pad(x, [0, 1])
        return F.conv1d(x, self.weight, self.bias, padding=(k - 1) // 2)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.layers = nn.Sequential(SameConv1d(cin, cout, k), nn.BatchNorm1d(cout), nn.ReLU())

    def forward(self, x):
        return self.layers(x)


class ResBlock1d(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        ch = [cin, cout, cout, cout]
        self.layers = nn.Sequential(*[ConvBlock(ch[i], ch[i + 1], k) for i, k in enumerate((8, 5, 3))])
        self.match = cin != cout
        if self.match:
            self.residual = nn.Sequential(SameConv1d(cin, cout, 1), nn.BatchNorm1d(cout))

    def forward(self, x):
        h = self.layers(x)
        return h + self.residual(x) if self.match else h


class ResNet1D(nn.Module):
    def __init__(self, cin, classes, mid):
        super().__init__()
        self.layers = nn.Sequential(ResBlock1d(cin, mid), ResBlock1d(mid, 2 * mid), ResBlock1d(2 * mid, 2 * mid))
        self.final = nn.Linear(2 * mid, classes)

    def forward(self, x):
        return self.final(self.layers(x).mean(dim=-1))


def randomize(model):
    """Non-trivial BN affine parameters and running statistics, so eval mode is exercised."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(3)


def run_case(name, model, x, grads, bn_keys, base=None):
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = {}
    for k, v in state.items():
        if base is not None and k in base and base[k].shape == v.shape:
            continue
        out["state." + k] = v.numpy()
    x = x.clone().requires_grad_(True)
    model.train()
    y = model(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    params = dict(model.named_parameters())
    out.update(x=x.detach().numpy(), gy=gy.numpy(), y_train=y.detach().numpy(), gx=x.grad.numpy())
    for g in grads:
        out["grad." + g] = params[g].grad.numpy()
    sd = model.state_dict()
    for k in bn_keys:
        out["bn." + k] = sd[k].numpy()
    model.eval()
    with torch.no_grad():
        out["y_eval"] = model(x.detach()).numpy()
    np.savez_compressed(os.path.join(DATA, name + ".npz"), **out)
    return state


def main():
    os.makedirs(DATA, exist_ok=True)
    wrn_grads = ["conv1.weight", "block1.layer.0.conv2.weight", "block2.layer.0.convShortcut.weight",
                 "block3.layer.0.bn1.weight", "bn1.bias", "fc.weight", "fc.bias"]
    bn_keys = ["block2.layer.0.bn1.running_mean", "block3.layer.0.bn2.running_var"]

    point = Wrn(10, 1, 3, 10, "point")
    randomize(point)
    base = run_case("wrn_point", point, torch.randn(2, 3, 32, 32), wrn_grads, bn_keys)

    def with_base(model):
        own = model.state_dict()
        model.load_state_dict({k: (base[k] if k in base and base[k].shape == v.shape else v)
                               for k, v in own.items()})
        return model

    audio = Wrn(10, 1, 1, 6, "audio")
    randomize(audio)
    run_case("wrn_audio", with_base(audio), torch.randn(2, 1, 24, 26), wrn_grads, bn_keys, base)
    ninapro = Wrn(10, 1, 1, 6, "point")
    randomize(ninapro)
    run_case("wrn_ninapro", with_base(ninapro), torch.randn(2, 1, 16, 52), wrn_grads, bn_keys, base)
    dense = Wrn(10, 1, 3, 1, "dense")
    randomize(dense)
    run_case("wrn_dense", with_base(dense), torch.randn(2, 3, 12, 12), wrn_grads, bn_keys, base)

    # (A conv bias before a train-mode BN has gradient 0 up to rounding: not compared.)
    r1_grads = ["layers.0.layers.0.layers.0.weight", "layers.2.layers.2.layers.1.bias",
                "layers.1.residual.0.weight", "layers.2.layers.2.layers.1.weight", "final.weight",
                "final.bias"]
    r1_bn = ["layers.0.layers.1.layers.1.running_mean", "layers.1.residual.1.running_var"]
    for name, cin, classes, length in (("resnet1d_c1", 1, 4, 50), ("resnet1d_c4", 4, 3, 40)):
        m = ResNet1D(cin, classes, 8)
        randomize(m)
        run_case(name, m, torch.randn(2, cin, length), r1_grads, r1_bn)


if __name__ == "__main__":
    main()
