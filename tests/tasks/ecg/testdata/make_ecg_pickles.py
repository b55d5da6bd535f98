"""Writes tiny challenge2017.pkl files in the real layout for tests/tasks/ecg/ecg_prepare_test.cc.

Run by hand with Debian's /usr/bin/python3 (NumPy); CI never runs Python. The real file is
pickle.dump({'data': np.array(list of int16 arrays), 'label': REFERENCE-v3.csv column .values}):
an object array of variable-length int16 arrays and an object array of str labels.
  ok_p4/challenge2017.pkl      12 records, pickle protocol 4 (Python >= 3.8 default)
  ok_p2/challenge2017.pkl      the same records, protocol 2
  bad_label/challenge2017.pkl  label 'X' at index 3
  nan/challenge2017.pkl        float64 records with a NaN in record 2
  no_label/challenge2017.pkl   dict without 'label'
"""
import os
import pickle

import numpy as np

rng = np.random.RandomState(1)
labels = ['N', 'A', 'O', '~'] * 3
data = [rng.randint(-2000, 2000, size=1100 + 50 * i).astype(np.int16) for i in range(12)]


def obj_array(items):
    a = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        a[i] = x
    return a


def write(folder, obj, protocol):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "challenge2017.pkl"), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


write("ok_p4", {'data': obj_array(data), 'label': obj_array(labels)}, 4)
write("ok_p2", {'data': obj_array(data), 'label': obj_array(labels)}, 2)
bad = list(labels)
bad[3] = 'X'
write("bad_label", {'data': obj_array(data), 'label': obj_array(bad)}, 4)
nan = [x.astype(np.float64) for x in data]
nan[2][7] = np.nan
write("nan", {'data': obj_array(nan), 'label': obj_array(labels)}, 4)
write("no_label", {'data': obj_array(data)}, 4)
# The reference values the C++ test checks: lengths, first samples, labels.
print([len(x) for x in data][:3], data[0][:3].tolist(), data[11][-1])
