#!/usr/bin/python3
"""Writes tiny satellite_{train,test}.npy files in the real format for tests/tasks/satellite: each is
np.save of a dict {'data': float64 (N, 46), 'label': int64 (N,) in 1..24} (a 0-d object array).
Run by hand with Debian's /usr/bin/python3 (NumPy); CI never runs Python.

Row i: data[i, t] = i + (t * (i + 1)) % 7 + 0.25 t; label = i % 24 + 1. Row 3 of train is constant (5.0).
Also writes expected_train_norm.npy: the original loader's z-normalised float32 rows (population std),
with row 3 set to 0 (numpy gives NaN there; nb360 documents 0). Directories: good (20 train / 5 test rows),
bad_label (a 0 label), nan (a NaN value), bad_shape (45 steps), no_dict (a plain array file)."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(n):
    i = np.arange(n)[:, None].astype(np.float64)
    t = np.arange(46)[None, :].astype(np.float64)
    return i + (t * (i + 1)) % 7 + 0.25 * t


def write(subdir, train, test):
    os.makedirs(os.path.join(HERE, subdir), exist_ok=True)
    np.save(os.path.join(HERE, subdir, "satellite_train.npy"), train, allow_pickle=True)
    np.save(os.path.join(HERE, subdir, "satellite_test.npy"), test, allow_pickle=True)


def split(n):
    d = {"data": rows(n), "label": (np.arange(n) % 24 + 1).astype(np.int64)}
    return d


def main():
    train, test = split(20), split(5)
    train["data"][3, :] = 5.0
    write("good", train, test)
    with np.errstate(invalid="ignore"):
        norm = (train["data"] - train["data"].mean(axis=1, keepdims=True)) / train["data"].std(axis=1, keepdims=True)
    norm[3, :] = 0.0
    np.save(os.path.join(HERE, "expected_train_norm.npy"), norm.astype(np.float32))
    bad = split(20)
    bad["label"][4] = 0
    write("bad_label", bad, split(5))
    nan = split(20)
    nan["data"][2, 10] = np.nan
    write("nan", split(20), nan)
    write("bad_shape", {"data": rows(20)[:, :45], "label": split(20)["label"]}, split(5))
    os.makedirs(os.path.join(HERE, "no_dict"), exist_ok=True)
    np.save(os.path.join(HERE, "no_dict", "satellite_train.npy"), rows(20))
    np.save(os.path.join(HERE, "no_dict", "satellite_test.npy"), split(5), allow_pickle=True)


if __name__ == "__main__":
    main()
