#!/usr/bin/python3
"""Writes the seed corpora under tests/fuzz/corpus/ (run by hand with Debian's /usr/bin/python3,
which has NumPy; CI never runs Python). Seeds are small valid files of each format."""
import gzip
import io
import os
import pickle
import tarfile
import zipfile

import numpy as np

# Pickle seeds are copies of tests/tasks/common/testdata/{composite_p0,composite_p2,composite_p4,
# composite_p5,arrays_p2,arrays_p5,ecg_mini,cifar_py2}.pkl (made by make_testdata.py there); the
# npy_value seeds are copies of that folder's .npy files.
HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a, **kw):
    b = io.BytesIO()
    np.save(b, a, **kw)
    return b.getvalue()


def npz_bytes(compressed, **arrays):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrays)
    return b.getvalue()


def main():
    # npy: every supported dtype, Fortran order, 0-d, empty.
    put("npy_fuzz", "f4.npy", npy_bytes(np.arange(6, dtype=np.float32).reshape(2, 3)))
    put("npy_fuzz", "f8_fortran.npy", npy_bytes(np.asfortranarray(np.arange(6.0).reshape(2, 3))))
    put("npy_fuzz", "i8.npy", npy_bytes(np.array([1, -2, 3], dtype=np.int64)))
    put("npy_fuzz", "i4.npy", npy_bytes(np.array([[7]], dtype=np.int32)))
    put("npy_fuzz", "u1.npy", npy_bytes(np.array([0, 255], dtype=np.uint8)))
    put("npy_fuzz", "b1.npy", npy_bytes(np.array([True, False])))
    put("npy_fuzz", "scalar.npy", npy_bytes(np.float64(2.5)))
    put("npy_fuzz", "empty.npy", npy_bytes(np.zeros((0, 4), dtype=np.float32)))

    # npz / zip: stored and deflated.
    arrays = dict(x=np.arange(4, dtype=np.float32), y=np.array([[1, 2]], dtype=np.int64))
    put("npz_fuzz", "stored.npz", npz_bytes(False, **arrays))
    put("npz_fuzz", "deflated.npz", npz_bytes(True, **arrays))
    put("zip_fuzz", "stored.zip", npz_bytes(False, **arrays))
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", "hello hello hello hello")
        z.writestr("dir/b.bin", bytes(range(40)))
    put("zip_fuzz", "deflated.zip", b.getvalue())

    # gzip: plain, with a file name, two members.
    put("gzip_fuzz", "plain.gz", gzip.compress(b"hello hello hello " * 20, mtime=0))
    b = io.BytesIO()
    with gzip.GzipFile(filename="x.bin", mode="wb", fileobj=b, mtime=0) as g:
        g.write(bytes(range(256)))
    put("gzip_fuzz", "named.gz", b.getvalue())
    put("gzip_fuzz", "two.gz", gzip.compress(b"one", mtime=0) + gzip.compress(b"two", mtime=0))

    # tar: ustar with a directory, GNU long name, pax path. Trimmed after the end block (tarfile
    # pads to 10 KB) to keep the seeds short.
    def tar(fmt, members):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
            for name, data in members:
                info = tarfile.TarInfo(name)
                if data is None:
                    info.type = tarfile.DIRTYPE
                    t.addfile(info)
                else:
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
        raw = b.getvalue()
        end = len(raw.rstrip(b"\0"))
        return raw[: (end + 511) // 512 * 512 + 1024]
    put("tar_fuzz", "ustar.tar", tar(tarfile.USTAR_FORMAT, [("d", None), ("d/a.npy", b"abc" * 200)]))
    put("tar_fuzz", "gnu.tar", tar(tarfile.GNU_FORMAT, [("n" * 130, b"long")]))
    put("tar_fuzz", "pax.tar", tar(tarfile.PAX_FORMAT, [("p" * 120 + "/x", b"pax"), ("s", b"")]))


if __name__ == "__main__":
    main()
