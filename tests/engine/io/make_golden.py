#!/usr/bin/python3
"""Golden files for tests/engine/io, and a check that NumPy reads what nb360 writes.

Run with Debian's Python, which has NumPy (CI never runs this; the outputs are committed):

  /usr/bin/python3 tests/engine/io/make_golden.py            # rewrites tests/engine/io/testdata/
  /usr/bin/python3 tests/engine/io/make_golden.py --verify DIR

--verify reads the interop_* files that the C++ tests leave in their TEST_TMPDIR, e.g.
  bazel build //tests/engine/io/... && mkdir -p /tmp/nb360_io
  for t in npy_test npz_test safetensors_test; do
    (cd bazel-bin/tests/engine/io/$t.runfiles/nb360 && TEST_TMPDIR=/tmp/nb360_io ../../$t)
  done
  /usr/bin/python3 tests/engine/io/make_golden.py --verify /tmp/nb360_io
and checks them with np.load and an independent safetensors reader written here from the spec.
The values must match the ones hard-coded in the C++ tests (golden_values.h).
"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "testdata")


def golden_arrays():
    """The arrays every golden file holds; tests/engine/io/golden_values.h spells the same values."""
    return {
        "f4": np.array([[0.0, 1.5, -2.25], [1e-30, 3.4028235e38, -0.0]], dtype="<f4"),
        "f8": np.array([0.1, -1e300, 5e-324, np.pi, np.inf], dtype="<f8"),
        "i8": np.array([[-(2**63), 2**63 - 1], [0, -1], [123456789012345, 7]], dtype="<i8"),
        "i4": np.arange(-3, 3, dtype="<i4").reshape(2, 3),
        "u1": np.array([0, 1, 127, 128, 255], dtype="|u1"),
        "b1": np.array([[True, False], [False, True]], dtype="|b1"),
    }


# ---------------------------------------------------------------- safetensors, written from the spec

ST_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "|u1", "BOOL": "|b1"}
ST_NAMES = {np.dtype(v): k for k, v in ST_DTYPES.items()}


def safetensors_bytes(tensors, metadata):
    """Sorted by name, data contiguous in that order, compact header padded with spaces to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        blob = a.tobytes()
        header[name] = {"dtype": ST_NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def load_safetensors(path):
    """An independent reader following the reference loader's checks."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert 8 + n <= len(data), "header runs past the end"
    assert (8 + n) % 8 == 0, "data buffer is not 8-byte aligned"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    assert data[8:9] == b"{"
    metadata = header.pop("__metadata__", {})
    buf = data[8 + n:]
    spans = sorted((info["data_offsets"], name) for name, info in header.items())
    expected = 0
    for (begin, end), name in spans:
        assert begin == expected, f"{name}: gap or overlap"
        expected = end
    assert expected == len(buf), "data buffer size mismatch"
    names = list(header)
    assert names == sorted(names), "tensors are not sorted by name"
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        a = np.frombuffer(buf[begin:end], dtype=ST_DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = a
    return out, metadata


# ---------------------------------------------------------------- a ZIP64 .npz built by hand

def npy_bytes(a, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def zip64_npz_bytes(arrays):
    """Stored members whose central entries carry sizes and offsets in ZIP64 extra fields."""
    out = bytearray()
    central = bytearray()
    for name, a in arrays.items():
        data = npy_bytes(a)
        fname = (name + ".npy").encode()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(fname), len(local_extra)) + fname + local_extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(fname), len(extra), 0, 0, 0, 0o100644 << 16, 0xFFFFFFFF)
        central += fname + extra
    cd_offset = len(out)
    out += central
    z = len(out)
    n = len(arrays)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


class Unseekable:
    """A write-only stream: zipfile then writes data descriptors (flag bit 3)."""

    def __init__(self):
        self.buf = bytearray()

    def write(self, b):
        self.buf += b
        return len(b)

    def flush(self):
        pass

    def read(self, n=-1):  # np.savez only checks that it exists
        raise OSError("write-only")


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 20 * 1024, f"{name} is {len(data)} bytes"
    print(f"wrote {path} ({len(data)} bytes)")


def make():
    os.makedirs(OUT, exist_ok=True)
    arrays = golden_arrays()
    for name, a in arrays.items():
        write(f"{name}.npy", npy_bytes(a))
    write("scalar_f8.npy", npy_bytes(np.array(2.5, dtype="<f8")))
    write("empty_f4.npy", npy_bytes(np.zeros((0, 3), dtype="<f4")))
    write("fortran_i4.npy", npy_bytes(np.asfortranarray(np.arange(24, dtype="<i4").reshape(2, 3, 4))))
    write("v2_f4.npy", npy_bytes(arrays["f4"], version=(2, 0)))
    write("v3_f4.npy", npy_bytes(arrays["f4"], version=(3, 0)))
    write("big_endian_f4.npy", npy_bytes(np.arange(3, dtype=">f4")))
    write("f2.npy", npy_bytes(np.ones(2, dtype="<f2")))

    # np.savez and np.savez_compressed, plus a compressible member that really deflates.
    big = (np.arange(2000, dtype="<i4") % 7).reshape(40, 50)
    f = io.BytesIO()
    np.savez(f, **arrays)
    write("savez.npz", f.getvalue())
    f = io.BytesIO()
    np.savez_compressed(f, big=big, **arrays)
    write("savez_compressed.npz", f.getvalue())
    with zipfile.ZipFile(io.BytesIO(f.getvalue())) as z:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
        assert z.getinfo("big.npy").compress_size < z.getinfo("big.npy").file_size // 10
    u = Unseekable()
    np.savez_compressed(u, f4=arrays["f4"], i8=arrays["i8"])
    with zipfile.ZipFile(io.BytesIO(bytes(u.buf))) as z:
        assert all(i.flag_bits & 0x08 for i in z.infolist()), "expected data descriptors"
    write("data_descriptor.npz", bytes(u.buf))
    z64 = zip64_npz_bytes({"f4": arrays["f4"], "u1": arrays["u1"]})
    loaded = np.load(io.BytesIO(z64))
    assert np.array_equal(loaded["f4"], arrays["f4"]) and np.array_equal(loaded["u1"], arrays["u1"])
    write("zip64.npz", z64)

    # safetensors, laid out as nb360 writes it (the C++ test compares bytes).
    st = {"b.bias": arrays["f4"][0], "a.weight": arrays["f8"][:4].reshape(2, 2), "c.idx": arrays["i8"][0],
          "d.i32": arrays["i4"], "e.u8": arrays["u1"][:4], "f.mask": arrays["b1"][0]}
    meta = {"format": "pt", "step": "42", "note": "quote \" backslash \\ newline \n tab \t é"}
    blob = safetensors_bytes(st, meta)
    write("golden.safetensors", blob)
    path = os.path.join(OUT, "golden.safetensors")
    back, back_meta = load_safetensors(path)
    assert back_meta == meta and all(np.array_equal(back[k], v) for k, v in st.items())


def verify(directory):
    arrays = golden_arrays()

    def same(name, got, want):
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
        assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
        assert np.array_equal(got, want), f"{name}: values differ\n{got}\n{want}"
        print(f"ok {name}")

    for name, want in arrays.items():
        same(f"interop_{name}.npy", np.load(os.path.join(directory, f"interop_{name}.npy")), want)
    same("interop_transposed.npy", np.load(os.path.join(directory, "interop_transposed.npy")), arrays["i4"].T)
    for fname in ("interop.npz", "interop_zip64.npz"):
        path = os.path.join(directory, fname)
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None, f"{fname}: bad CRC"
        with np.load(path) as npz:
            assert sorted(npz.files) == sorted(arrays), npz.files
            for name, want in arrays.items():
                same(f"{fname}[{name}]", npz[name], want)
    got, meta = load_safetensors(os.path.join(directory, "interop.safetensors"))
    assert meta == {"framework": "nb360", "step": "7"}, meta
    for name, want in arrays.items():
        same(f"interop.safetensors[{name}]", got[name], want)
    print("all interop files verified")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify(sys.argv[2])
    elif len(sys.argv) == 1:
        make()
    else:
        sys.exit(__doc__)
