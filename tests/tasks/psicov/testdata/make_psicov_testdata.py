#!/usr/bin/python3
"""Writes tiny PSICOV raw files in the real protein.zip layout for tests/tasks/psicov.

Run with Debian's /usr/bin/python3 (NumPy) from this directory:  /usr/bin/python3 make_psicov_testdata.py
Layout written under raw/: deepcov.lst, psicov.lst, {deepcov,psicov}/features/<id>.pkl (dict of numpy
arrays) and {deepcov,psicov}/distance/<id>-cb.npy (object array (L, seq, map)); broken/ holds damaged
variants. Values follow closed formulas that the C++ test recomputes:
  ss[k, r] = 0.1 k + 0.01 r;  pssm[r, k] = 0.001 (22 r + k);  sa[r] = 0.5 + 0.01 r;  entropy[r] = 1 + 0.02 r
  ccmpred[p, q] = 0.01 (p - q);  freecon[p, q] = 0.001 (p + q);  potential[p, q] = -0.0005 p q
  distance[p, q] = 0.5 + 0.4 |p - q|  (+ 0.25 on (0, 2) so the map is not purely Toeplitz)
"""
import os
import pickle
import shutil

import numpy as np

SEQ = "ACDEFGHIKLMNPQRSTVWY" * 3
PROTEINS = {"deepcov": [("d1", 8, 2, np.float64), ("d2", 30, 4, np.float32), ("d3", 12, 3, np.float64)],
            "psicov": [("p1", 30, 2, np.float64), ("p2", 10, 4, np.float64)]}


def features(n, dtype):
    r = np.arange(n)
    p, q = np.meshgrid(r, r, indexing="ij")
    return {
        "seq": SEQ[:n],
        "ss": np.stack([0.1 * k + 0.01 * r for k in range(3)]).astype(dtype),
        "pssm": (0.001 * (22 * r[:, None] + np.arange(22)[None, :])).astype(dtype),
        "sa": (0.5 + 0.01 * r).astype(dtype),
        "entropy": (1 + 0.02 * r).astype(dtype),
        "ccmpred": (0.01 * (p - q)).astype(dtype),
        "freecon": (0.001 * (p + q)).astype(dtype),
        "potential": (-0.0005 * p * q).astype(dtype),
    }


def distance(n):
    r = np.arange(n)
    d = 0.5 + 0.4 * np.abs(r[:, None] - r[None, :])
    d[0, 2] += 0.25
    return d


def save_triple(path, n, seq, dmap):
    np.save(path, np.array([n, seq, dmap], dtype=object), allow_pickle=True)


def main():
    for root in ("raw", "broken"):
        shutil.rmtree(root, ignore_errors=True)
    for group, items in PROTEINS.items():
        os.makedirs(f"raw/{group}/features")
        os.makedirs(f"raw/{group}/distance")
        with open(f"raw/{group}.lst", "w") as f:
            for pid, n, proto, dtype in items:
                f.write(f"{pid} extra-column\n")
                with open(f"raw/{group}/features/{pid}.pkl", "wb") as g:
                    pickle.dump(features(n, dtype), g, protocol=proto)
                save_triple(f"raw/{group}/distance/{pid}-cb.npy", n, SEQ[:n], distance(n))
    os.makedirs("broken")
    good = open("raw/deepcov/features/d1.pkl", "rb").read()
    open("broken/truncated.pkl", "wb").write(good[: len(good) // 2])
    f = features(8, np.float64)
    f["pssm"] = f["pssm"][:, :21]
    pickle.dump(f, open("broken/pssm_shape.pkl", "wb"), protocol=2)
    f = features(8, np.float64)
    f["ccmpred"][3, 4] = 150.0
    pickle.dump(f, open("broken/out_of_range.pkl", "wb"), protocol=2)
    f = features(8, np.float64)
    f["sa"][2] = np.nan
    pickle.dump(f, open("broken/nan_feature.pkl", "wb"), protocol=2)
    d = distance(8)
    d[2, 5] = np.nan
    save_triple("broken/nan_distance.npy", 8, SEQ[:8], d)
    d = distance(8)
    d[1, 6] = 600.0
    save_triple("broken/far_distance.npy", 8, SEQ[:8], d)
    save_triple("broken/wrong_length.npy", 9, SEQ[:9], distance(9))
    np.save("broken/numeric.npy", distance(8))


if __name__ == "__main__":
    main()
