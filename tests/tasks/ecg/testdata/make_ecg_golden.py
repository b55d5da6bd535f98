"""Writes sklearn_split_golden.npz: scikit-learn train_test_split(shuffle, random_state=0) indices.

Run by hand with Debian's /usr/bin/python3 (scikit-learn 1.2, NumPy); CI never runs Python.
Keys: "<n>_<pct>_train" / "<n>_<pct>_test" = train_test_split(arange(n), test_size=pct/100,
random_state=0) outputs (int32), for the ECG sizes (8528 at 20 % and 10 %, 1706 at 50 %) and small n;
"perm_<n>" = numpy.random.RandomState(0).permutation(n).
"""
import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

out = {}
cases = [(8528, 20), (8528, 10), (1706, 50), (2, 50), (5, 20), (10, 20), (17, 10), (100, 50), (1000, 20),
         (70000, 10)]
for n, pct in cases:
    tr, te = train_test_split(np.arange(n), test_size=pct / 100.0, random_state=0)
    out[f"{n}_{pct}_train"] = tr.astype(np.int32)
    out[f"{n}_{pct}_test"] = te.astype(np.int32)
for n in [1, 2, 3, 7, 300]:
    out[f"perm_{n}"] = np.random.RandomState(0).permutation(n).astype(np.int32)
np.savez_compressed("sklearn_split_golden.npz", **out)
print("sklearn", sklearn.__version__, "numpy", np.__version__, "keys", len(out))
