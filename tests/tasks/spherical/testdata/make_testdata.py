#!/usr/bin/python3
"""Writes tiny s2_cifar100.gz files in the real format for tests/tasks/spherical: gzip'd pickles of
{'train': {'images': (N, 3, 60, 60), 'labels': (N,)}, 'test': {...}}.
Run by hand with Debian's /usr/bin/python3 (NumPy); CI never runs Python.

Image i: x[i, c, r, q] = (3 i + 5 c + r + 2 q) % 256; label = (13 i + offset) % 100 (train offset 0,
test offset 1). Directories: good (uint8, int64 label array, protocol 4), float (float64 images = the
pattern + 0.5, labels a list of ints, protocol 3), bad_label (a label of -1), nan (float64 with a NaN),
bad_shape (32 x 32 test images)."""
import gzip
import os
import pickle

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def split(n, offset, dtype=np.uint8, size=60, as_list=False):
    i, c, r, q = np.meshgrid(np.arange(n), np.arange(3), np.arange(size), np.arange(size), indexing="ij")
    images = ((3 * i + 5 * c + r + 2 * q) % 256).astype(dtype)
    if dtype != np.uint8:
        images = images + 0.5
    labels = (13 * np.arange(n) + offset) % 100
    return {"images": images, "labels": [int(l) for l in labels] if as_list else labels.astype(np.int64)}


def write(subdir, obj, protocol):
    os.makedirs(os.path.join(HERE, subdir), exist_ok=True)
    with open(os.path.join(HERE, subdir, "s2_cifar100.gz"), "wb") as f:
        f.write(gzip.compress(pickle.dumps(obj, protocol=protocol), mtime=0))


def main():
    write("good", {"train": split(10, 0), "test": split(4, 1)}, 4)
    write("float", {"train": split(5, 0, np.float64, as_list=True), "test": split(2, 1, np.float64, as_list=True)}, 3)
    bad = {"train": split(10, 0), "test": split(4, 1)}
    bad["train"]["labels"][7] = -1
    write("bad_label", bad, 4)
    nan = {"train": split(3, 0, np.float64), "test": split(2, 1, np.float64)}
    nan["test"]["images"][1, 2, 3, 4] = np.nan
    write("nan", nan, 4)
    write("bad_shape", {"train": split(10, 0), "test": split(4, 1, size=32)}, 4)


if __name__ == "__main__":
    main()
