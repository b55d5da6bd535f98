#!/usr/bin/python3
"""Writes the .mat test files for tests/tasks/common/mat_test.cc (run with Debian's /usr/bin/python3:
scipy 1.10, h5py 3.7, numpy). The files are committed; CI never runs this.

  v5_plain.mat, v5_compressed.mat  scipy.io.savemat (uncompressed / zlib), the same variables
  v5_complex.mat                   a real variable 're' and a complex one 'cplx' (compressed)
  v5_bigendian.mat                 a big-endian MAT v5 file assembled by hand (scipy writes native order)
  v73.mat                          a MAT v7.3-style file: h5py with a 512-byte userblock holding the MATLAB
                                   header, datasets stored transposed (column-major) with MATLAB_class

Every numeric variable follows a formula that mat_test.cc recomputes (k = row-major flat index).
"""
import os
import struct

import h5py
import numpy as np
import scipy.io
import scipy.sparse

HERE = os.path.dirname(os.path.abspath(__file__))


def k(shape):
    return np.arange(int(np.prod(shape))).reshape(shape)


def numeric_vars():
    return {
        "d2": k((3, 4)) * 1.5 - 2.0,                               # double 3x4
        "s3": (k((2, 3, 4)) / 7.0).astype(np.float32),             # single 2x3x4
        "d4": np.sin(k((2, 3, 2, 2)).astype(np.float64)),          # double 2x3x2x2
        "u8": (k((2, 5)) * 25 % 256).astype(np.uint8),
        "i8": (k((2, 3)) - 3).astype(np.int8),
        "i16": (k((2, 2)) * -1000).astype(np.int16),
        "u16": (k((1, 3)) * 30000).astype(np.uint16),
        "i32": (k((4, 1)) * 100000 - 7).astype(np.int32),
        "u32": (k((1, 2)) + 4000000000).astype(np.uint32),
        "i64": (k((1, 3)) * (1 << 40) - 5).astype(np.int64),
        "u64": (k((1, 2)) + (1 << 62)).astype(np.uint64),
        "flag": (k((2, 3)) % 3 == 0),                              # logical 2x3
        "row": np.arange(5, dtype=np.float64) + 0.25,              # 1-D -> 1x5
        "scalar": np.float64(3.5),                                 # -> 1x1
        "empty": np.zeros((0, 3)),                                 # double 0x3
        "longer_variable_name_x": k((2, 2)).astype(np.float64),   # name longer than 4 bytes
    }


def write_v5():
    data = numeric_vars()
    data["text"] = "hello"                                         # char: skipped
    data["cellv"] = np.array([1, "a"], dtype=object)               # cell: skipped
    data["st"] = {"f": 1.0}                                        # struct: skipped
    data["sp"] = scipy.sparse.csc_matrix(np.eye(3))                # sparse: skipped
    for name, compress in (("v5_plain.mat", False), ("v5_compressed.mat", True)):
        scipy.io.savemat(os.path.join(HERE, name), data, do_compression=compress, oned_as="row")
        back = scipy.io.loadmat(os.path.join(HERE, name))
        assert back["s3"].shape == (2, 3, 4) and back["row"].shape == (1, 5)
    scipy.io.savemat(os.path.join(HERE, "v5_complex.mat"), {"re": np.ones((2, 2)), "cplx": np.array([[1 + 2j]])},
                     do_compression=True)


def be_element(mi_type, payload):
    out = struct.pack(">II", mi_type, len(payload)) + payload
    return out + b"\0" * ((-len(out)) % 8)


def be_matrix(name, cls, dims, mi_type, payload):
    flags = be_element(6, struct.pack(">II", cls, 0))
    dim = be_element(5, struct.pack(">%di" % len(dims), *dims))
    nm = be_element(1, name.encode())
    body = flags + dim + nm + be_element(mi_type, payload)
    return struct.pack(">II", 14, len(body)) + body


def write_bigendian():
    header = b"MATLAB 5.0 MAT-file, big-endian test file".ljust(116, b" ") + b"\0" * 8
    header += struct.pack(">H", 0x0100) + b"MI"
    a = k((2, 3)) * 0.5 + 1.0                                      # double 2x3, column-major bytes
    body = be_matrix("a", 6, [2, 3], 9, a.astype(">f8").tobytes(order="F"))
    b = (k((3, 2)) - 2).astype(np.int16)                           # int16 3x2 stored as miINT16
    body += be_matrix("b", 10, [3, 2], 3, b.astype(">i2").tobytes(order="F"))
    with open(os.path.join(HERE, "v5_bigendian.mat"), "wb") as f:
        f.write(header + body)
    back = scipy.io.loadmat(os.path.join(HERE, "v5_bigendian.mat"))
    assert np.array_equal(back["a"], a) and np.array_equal(back["b"], b)


def write_v73():
    path = os.path.join(HERE, "v73.mat")
    v = numeric_vars()
    with h5py.File(path, "w", userblock_size=512) as f:
        def put(name, arr, cls, **kw):
            ds = f.create_dataset(name, data=np.asarray(arr).T, **kw)  # MATLAB column-major layout
            ds.attrs["MATLAB_class"] = np.bytes_(cls)
            return ds
        put("d2", v["d2"], "double")
        put("s3", v["s3"], "single")
        put("d4", v["d4"], "double", chunks=(1, 2, 3, 1), compression="gzip")
        put("u8", v["u8"], "uint8")
        put("i16", v["i16"], "int16")
        put("u64", v["u64"], "uint64")
        put("flag", v["flag"].astype(np.uint8), "logical")
        put("row", v["row"].reshape(1, 5), "double")
        put("text", np.frombuffer("hi".encode("utf-16-le"), np.uint16).reshape(1, 2), "char")
        e = f.create_dataset("empty", data=np.array([0, 3], dtype=np.uint64))
        e.attrs["MATLAB_class"] = np.bytes_("double")
        e.attrs["MATLAB_empty"] = np.uint8(1)
        g = f.create_group("st")
        g.attrs["MATLAB_class"] = np.bytes_("struct")
        g.create_dataset("f", data=np.ones((1, 1)))
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .".ljust(116, b" ")
    header += b"\0" * 8 + struct.pack("<H", 0x0200) + b"IM"
    with open(path, "r+b") as f:
        f.write(header)
    with h5py.File(path, "r") as f:  # what the original code does: read, then reverse all axes
        assert np.array_equal(np.transpose(f["s3"][()]), v["s3"])


if __name__ == "__main__":
    write_v5()
    write_bigendian()
    write_v73()
