#!/usr/bin/python3
"""Writes the golden files for tests/tasks/common (gzip, tar, pickle, .npy). Run by hand with Debian's
/usr/bin/python3 (NumPy); CI never runs Python. The tests check the exact values written here."""
import collections
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


class Py2Pickler(pickle._Pickler):
    """Writes bytes and str the way Python 2 wrote its str type (SHORT_BINSTRING / BINSTRING), so the
    files look like Python 2 pickles (CIFAR-100 batches, PDNet feature files)."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        if isinstance(obj, str):
            obj = obj.encode("latin1")
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + n.to_bytes(4, "little") + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


def py2_dumps(obj):
    b = io.BytesIO()
    Py2Pickler(b, protocol=2).dump(obj)
    return b.getvalue()


def composite():
    shared = [10, 20]
    return {
        "none": None, "true": True, "false": False,
        "k1": 7, "k2": 300, "k4": 70000, "neg": -3, "neg4": -70000,
        "big": 2**40, "bigneg": -2**62, "max": 2**63 - 1,
        "float": 1.5, "negfloat": -0.1,
        "str": "h\u00e9llo \u2603", "long_str": "x" * 300, "empty_str": "",
        "bytes": b"\x00\x01\xff", "long_bytes": bytes(range(256)) * 2, "empty_bytes": b"",
        "list": [1, 2, 3], "empty_list": [],
        "t0": (), "t1": (1,), "t2": (1, "a"), "t3": (1, 2, 3), "t4": (1, 2, 3, 4),
        "nested": {"a": [1, {"b": 2.5}]}, "shared": (shared, shared),
        "set": {5}, "frozenset": frozenset([6]), "bytearray": bytearray(b"ab"),
        "ordered": collections.OrderedDict([("z", 1), ("y", 2)]),
        1: "int key", ("t", 1): "tuple key",
        "array": np.array([[1.5, -2.0], [3.0, 4.25]]),
    }


def arrays():
    obj = np.empty(3, dtype=object)
    obj[0] = np.array([1, 2, 3], dtype=np.int16)
    obj[1] = "two"
    obj[2] = None
    fobj = np.asfortranarray(np.array([[1, "b"], [3, "d"]], dtype=object))
    return {
        "f8": np.array([[0.5, -1.25, 3.0], [1e300, -0.0, 2.0]]),
        "f4": np.array([1.5, -2.5], dtype=np.float32),
        "f2": np.array([1.0, -2.5, 65504.0, 6e-8], dtype=np.float16),
        "u1": np.array([[0, 255], [7, 128]], dtype=np.uint8),
        "i8": np.array([-(2**62), 5], dtype=np.int64),
        "i4": np.array([-5, 2**31 - 1], dtype=np.int32),
        "i2": np.array([-32768, 32767, -1], dtype=np.int16),
        "i1": np.array([-128, 127], dtype=np.int8),
        "u2": np.array([65535, 1], dtype=np.uint16),
        "u4": np.array([4294967295, 0], dtype=np.uint32),
        "b1": np.array([True, False, True]),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
        "bigendian": np.array([1, -2, 258], dtype=">i4"),
        "zero_d": np.array(3.25),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "obj": obj,
        "fobj": fobj,
        "unicode": np.array(["N", "AB", "\u00e9\u2603"]),
        "bytes_arr": np.array([b"ab", b"c"]),
        "scalars": [np.float64(2.5), np.int64(-7), np.float32(0.5), np.bool_(True), np.str_("x"), np.uint8(200)],
    }


def make_pickles():
    for proto in range(6):
        put("composite_p%d.pkl" % proto, pickle.dumps(composite(), protocol=proto))
    for proto in (2, 3, 4, 5):
        put("arrays_p%d.pkl" % proto, pickle.dumps(arrays(), protocol=proto))
    # ECG: challenge2017.pkl in miniature (records of different lengths, string labels).
    data = np.empty(4, dtype=object)
    for i, n in enumerate([5, 3, 6, 2]):
        data[i] = (np.arange(n, dtype=np.int16) * (i + 1) - 2)
    ecg = {"data": data, "label": np.array(["N", "A", "O", "~"])}
    put("ecg_mini.pkl", pickle.dumps(ecg, protocol=4))
    # Spherical CIFAR-100: s2_cifar100.gz in miniature (a gzipped pickle).
    sph = {
        "train": {"images": np.arange(2 * 3 * 4 * 4, dtype=np.uint8).reshape(2, 3, 4, 4),
                  "labels": np.array([3, 99], dtype=np.int64)},
        "test": {"images": np.full((1, 3, 4, 4), 9, dtype=np.uint8), "labels": np.array([0], dtype=np.int64)},
    }
    put("s2_mini.gz", gzip.compress(pickle.dumps(sph, protocol=4), mtime=0))
    # CIFAR-100 batch as Python 2 wrote it: bytes keys, BINSTRING payloads.
    cifar = {b"filenames": [b"a.png", b"b.png"], b"batch_label": b"training batch 1 of 1",
             b"fine_labels": [3, 71], b"coarse_labels": [1, 19],
             b"data": np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)}
    put("cifar_py2.pkl", py2_dumps(cifar))
    # PSICOV/DeepCov feature dict (L = 5), Python 2 style and protocol 4.
    L = 5
    rng = np.random.RandomState(0)
    feats = {"seq": "ACDEF", "ss": rng.rand(3, L), "pssm": rng.rand(L, 22), "sa": rng.rand(L),
             "entropy": rng.rand(L), "ccmpred": rng.rand(L, L), "freecon": rng.rand(L, L),
             "potential": rng.rand(L, L)}
    put("psicov_py2.pkl", py2_dumps(feats))
    put("psicov_p4.pkl", pickle.dumps(feats, protocol=4))
    np.save(os.path.join(HERE, "psicov_features_expected.npy"),
            np.concatenate([feats[k].ravel() for k in ("ss", "pssm", "sa", "entropy", "ccmpred", "freecon", "potential")]))


def make_npy():
    d = lambda name: os.path.join(HERE, name)
    # Satellite: np.save of a dict (a 0-d object array).
    sat = {"data": np.arange(4 * 46, dtype=np.float64).reshape(4, 46) / 8.0,
           "label": np.array([1, 24, 7, 3], dtype=np.int64)}
    np.save(d("sat_mini.npy"), sat, allow_pickle=True)
    # PSICOV distance file: an object array holding (L, sequence, L x L map).
    L = 4
    triple = np.empty(3, dtype=object)
    triple[0] = L
    triple[1] = "MKVL"
    triple[2] = np.arange(L * L, dtype=np.float64).reshape(L, L) * 0.5
    np.save(d("psicov_dist.npy"), triple, allow_pickle=True)
    np.save(d("str_u.npy"), np.array(["N", "AF", "~"]))
    np.save(d("str_s.npy"), np.array([b"x", b"yz"]))
    np.save(d("i2.npy"), np.array([[-3, 32767], [-32768, 0]], dtype=np.int16))
    np.save(d("f2.npy"), np.array([0.5, -1.0, 2048.0], dtype=np.float16))
    np.save(d("u2.npy"), np.array([65535, 2], dtype=np.uint16))
    np.save(d("be_f8.npy"), np.array([1.5, -2.0], dtype=">f8"))
    np.save(d("f4_fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.save(d("i2_fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)))
    np.save(d("scalar_f8.npy"), np.float64(6.5))
    np.save(d("c16.npy"), np.array([1 + 2j]))
    # ECG-style object array of records saved as .npy (not 0-d).
    recs = np.empty(2, dtype=object)
    recs[0] = np.array([1, 2, 3], dtype=np.int16)
    recs[1] = np.array([-4], dtype=np.int16)
    np.save(d("obj_records.npy"), recs, allow_pickle=True)


def main():
    make_gzip()
    make_tar()
    make_pickles()
    make_npy()


if __name__ == "__main__":
    main()
