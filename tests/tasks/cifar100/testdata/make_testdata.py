#!/usr/bin/python3
"""Writes tiny cifar-100-python.tar.gz archives in the real format for tests/tasks/cifar100: a gzip'd
tar holding Python-2-style protocol-2 pickles (str keys and payloads as SHORT_BINSTRING/BINSTRING, the
image array via numpy's _reconstruct) named cifar-100-python/{meta,train,test}.
Run by hand with Debian's /usr/bin/python3 (NumPy); CI never runs Python.

Image i of a batch: data[i, k] = (7 * i + k) % 256 (k over the 3072 R, G, B plane bytes);
fine label = (11 * i + offset) % 100 (offset 0 for train, 5 for test)."""
import gzip
import io
import os
import pickle
import tarfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class Python2StylePickler(pickle._Pickler):
    """Pickles bytes/str as Python 2's str opcodes, as cPickle did for the CIFAR batches."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_as_py2_str(self, obj):
        raw = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + len(raw).to_bytes(4, "little") + raw)
        self.memoize(obj)

    dispatch[bytes] = save_as_py2_str
    dispatch[str] = save_as_py2_str


def py2_pickle(obj):
    out = io.BytesIO()
    Python2StylePickler(out, protocol=2).dump(obj)
    return out.getvalue()


def batch(n, offset, label_override=None, width=3072):
    data = ((7 * np.arange(n)[:, None] + np.arange(width)[None, :]) % 256).astype(np.uint8)
    labels = [(11 * i + offset) % 100 for i in range(n)]
    if label_override is not None:
        labels[label_override[0]] = label_override[1]
    return {b"filenames": [b"img_%d.png" % i for i in range(n)], b"batch_label": b"batch",
            b"fine_labels": labels, b"coarse_labels": [l // 5 for l in labels], b"data": data}


def write_archive(subdir, train, test):
    os.makedirs(os.path.join(HERE, subdir), exist_ok=True)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, obj in [("meta", {b"fine_label_names": [b"c%d" % i for i in range(100)]}),
                          ("train", train), ("test", test)]:
            payload = py2_pickle(obj)
            info = tarfile.TarInfo("cifar-100-python/" + name)
            info.size = len(payload)
            info.mtime = 0
            t.addfile(info, io.BytesIO(payload))
    with open(os.path.join(HERE, subdir, "cifar-100-python.tar.gz"), "wb") as f:
        f.write(gzip.compress(tar_bytes.getvalue(), mtime=0))


def main():
    write_archive("good", batch(10, 0), batch(4, 5))
    write_archive("bad_label", batch(10, 0, label_override=(6, 100)), batch(4, 5))
    write_archive("bad_shape", batch(10, 0), batch(4, 5, width=3000))


if __name__ == "__main__":
    main()
