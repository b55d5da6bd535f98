#!/usr/bin/python3
"""Golden data for the fft family: torch.fft.rfft2 / irfft2 and the FNO SpectralConv2d.

Run with Debian's /usr/bin/python3 (torch 1.13) from the repository root:
    /usr/bin/python3 tests/ops/golden/make_fft_golden.py
Writes float64 .npy files into tests/ops/golden/data/ (prefix fft_). Complex tensors are stored as
real tensors with a trailing (re, im) dimension, as the engine stores them. Every case saves its
inputs, a random cotangent r, the output y and the gradients of loss = sum(y * r).
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
torch.manual_seed(360)
torch.set_default_dtype(torch.float64)


def save(name, t):
    np.save(os.path.join(OUT, "fft_%s.npy" % name), t.detach().cpu().numpy().astype(np.float64))


def real_grad_of_complex(p):
    """torch's .grad of a complex leaf for a real loss, as (dL/dRe, dL/dIm) pairs."""
    return torch.view_as_real(p.grad)


def rfft2_case(name, shape):
    x = torch.randn(*shape, requires_grad=True)
    y = torch.view_as_real(torch.fft.rfft2(x))
    r = torch.randn_like(y)
    (y * r).sum().backward()
    for k, v in dict(x=x, r=r, y=y, gx=x.grad).items():
        save("rfft2_%s_%s" % (name, k), v)


def irfft2_case(name, shape, s):
    xr = torch.randn(*shape, 2)
    # Complex leaf, as a user of torch would have it; its grad convention is checked against a
    # real parametrisation below.
    xc = torch.view_as_complex(xr.clone()).requires_grad_(True)
    y = torch.fft.irfft2(xc, s=s)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    xr2 = xr.clone().requires_grad_(True)
    (torch.fft.irfft2(torch.view_as_complex(xr2), s=s) * r).sum().backward()
    assert torch.allclose(real_grad_of_complex(xc), xr2.grad, atol=1e-12), "grad convention"
    for k, v in dict(x=xr, r=r, y=y, gx=real_grad_of_complex(xc)).items():
        save("irfft2_%s_%s" % (name, k), v)


class SpectralConv2d(torch.nn.Module):
    """The FNO Fourier layer as in baselines.md section 5.5 (complex weights, einsum mixing)."""

    def __init__(self, cin, cout, m1, m2):
        super().__init__()
        self.cout, self.m1, self.m2 = cout, m1, m2
        scale = 1.0 / (cin * cout)
        self.weights1 = torch.nn.Parameter(scale * torch.rand(cin, cout, m1, m2, dtype=torch.cdouble))
        self.weights2 = torch.nn.Parameter(scale * torch.rand(cin, cout, m1, m2, dtype=torch.cdouble))

    @staticmethod
    def mul(a, w):
        return torch.einsum("bixy,ioxy->boxy", a, w)

    def forward(self, x):
        b, h, w = x.shape[0], x.shape[-2], x.shape[-1]
        m1, m2 = self.m1, self.m2
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, self.cout, h, w // 2 + 1, dtype=torch.cdouble)
        out_ft[:, :, :m1, :m2] = self.mul(x_ft[:, :, :m1, :m2], self.weights1)
        out_ft[:, :, -m1:, :m2] = self.mul(x_ft[:, :, -m1:, :m2], self.weights2)
        return torch.fft.irfft2(out_ft, s=(h, w))


def spectral_case(name, n, cin, cout, h, w, m1, m2):
    layer = SpectralConv2d(cin, cout, m1, m2)
    x = torch.randn(n, cin, h, w, requires_grad=True)
    y = layer(x)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    # The same gradients through real (re, im) parameters: checks torch's complex-grad convention.
    w1 = torch.view_as_real(layer.weights1.detach()).clone().requires_grad_(True)
    w2 = torch.view_as_real(layer.weights2.detach()).clone().requires_grad_(True)
    layer2 = SpectralConv2d(cin, cout, m1, m2)
    x_ft = torch.fft.rfft2(x.detach())
    out_ft = torch.zeros(n, cout, h, w // 2 + 1, dtype=torch.cdouble)
    out_ft[:, :, :m1, :m2] = layer2.mul(x_ft[:, :, :m1, :m2], torch.view_as_complex(w1))
    out_ft[:, :, -m1:, :m2] = layer2.mul(x_ft[:, :, -m1:, :m2], torch.view_as_complex(w2))
    (torch.fft.irfft2(out_ft, s=(h, w)) * r).sum().backward()
    assert torch.allclose(real_grad_of_complex(layer.weights1), w1.grad, atol=1e-12)
    assert torch.allclose(real_grad_of_complex(layer.weights2), w2.grad, atol=1e-12)
    tensors = dict(x=x, w1=torch.view_as_real(layer.weights1), w2=torch.view_as_real(layer.weights2),
                   r=r, y=y, gx=x.grad, gw1=real_grad_of_complex(layer.weights1),
                   gw2=real_grad_of_complex(layer.weights2))
    for k, v in tensors.items():
        save("spectral_%s_%s" % (name, k), v)


def main():
    os.makedirs(OUT, exist_ok=True)
    rfft2_case("8x8", (8, 8))
    rfft2_case("6x5_batched", (2, 3, 6, 5))
    irfft2_case("8x8", (8, 5), (8, 8))
    irfft2_case("7x9_batched", (2, 3, 7, 5), (7, 9))
    irfft2_case("pad_to_7x8", (5, 4), (7, 8))
    irfft2_case("crop_to_4x6", (2, 6, 6), (4, 6))
    spectral_case("fno_20x20_m5", 2, 4, 4, 20, 20, 5, 5)
    spectral_case("odd_9x11_m3x4", 1, 2, 3, 9, 11, 3, 4)


if __name__ == "__main__":
    main()
