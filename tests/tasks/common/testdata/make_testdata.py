#!/usr/bin/python3
"""Writes the golden files for tests/tasks/common (gzip, tar, pickle, .npy). Run by hand with Debian's
/usr/bin/python3 (NumPy); CI never runs Python. The tests check the exact values written here."""
import gzip
import io
import os
import pickle
import tarfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def make_gzip():
    b = io.BytesIO()
    with gzip.GzipFile(filename="hello.txt", mode="wb", fileobj=b, mtime=0) as g:
        g.write(b"hello gzip\n" * 100)
    put("hello.txt.gz", b.getvalue())
    put("multi.gz", gzip.compress(b"first ", mtime=0) + gzip.compress(b"second", mtime=0))


def tar_bytes(fmt, members):
    """members: (name, data-or-None for a directory, or ('symlink', target))."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            elif isinstance(data, tuple):
                info.type = tarfile.SYMTYPE
                info.linkname = data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return b.getvalue()


def make_tar():
    deep = "npy_train/f435w/10420/" + "d" * 90 + "/1_img.npy"  # > 100 bytes, splits into prefix/name
    put("ustar.tar", tar_bytes(tarfile.USTAR_FORMAT, [
        ("npy_train", None),
        ("npy_train/sky.npy", b"sky levels"),
        (deep, bytes(range(256)) * 3),
        ("empty.txt", b""),
    ]))
    long = "long/" + "n" * 150 + ".bin"  # no '/' split fits: GNU 'L' entry
    put("gnu.tar", tar_bytes(tarfile.GNU_FORMAT, [
        (long, b"long name data"),
        ("link", ("symlink", "long")),
        ("after.txt", b"after the link\n"),
    ]))
    put("pax.tar", tar_bytes(tarfile.PAX_FORMAT, [
        ("caf\u00e9/" + "p" * 120 + ".txt", b"pax path"),
        ("plain.txt", b"x" * 513),
    ]))
    # cifar-100-python.tar.gz in miniature: a gzipped tar holding a pickle.
    t = tar_bytes(tarfile.GNU_FORMAT, [
        ("cifar-100-python", None),
        ("cifar-100-python/meta", pickle.dumps({"fine_label_names": ["apple", "bee"]}, protocol=2)),
    ])
    put("mini.tar.gz", gzip.compress(t, mtime=0))


def main():
    make_gzip()
    make_tar()


if __name__ == "__main__":
    main()
