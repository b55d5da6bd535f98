#!/usr/bin/python3
"""Writes the golden files for tests/tasks/common/metric_math_test.cc and metrics_test.cc.

Run with Debian's /usr/bin/python3 (scikit-learn 1.2.1, NumPy, SciPy):
    /usr/bin/python3 tests/tasks/golden/make_metric_golden.py
Output: tests/tasks/golden/data/metric_*.npy (all small). CI never runs this script; the .npy files are
committed. Reference values come from scikit-learn where the original NAS-Bench-360 code used it (AP,
ROC-AUC, classification_report F1) and from NumPy re-statements of the tasks spec text elsewhere
(PSICOV MAE8 family §6.8, Cosmic counts §7.5, ECG vote §8.5, Darcy batch means §5.5).

Logits are drawn on a 0.25 grid so that ranking metrics see many exact ties and the result does not
depend on the last ulp of a float32 sigmoid (distinct grid values stay distinct after the sigmoid).
"""
import collections
import os

import numpy as np
from sklearn.metrics import average_precision_score, classification_report, roc_auc_score

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
rng = np.random.default_rng(20240601)


def save(name, array):
    np.save(os.path.join(OUT, "metric_" + name + ".npy"), array)


def sigmoid32(x):
    x = np.asarray(x, dtype=np.float32)
    return (np.float32(1) / (np.float32(1) + np.exp(-x))).astype(np.float32)


def auc_or_nan(labels, scores):
    if labels.min() == labels.max():
        return np.nan
    return roc_auc_score(labels, scores)


def grid_logits(shape, half_range=12):
    return (rng.integers(-half_range, half_range + 1, size=shape) * 0.25).astype(np.float32)


def per_class_f1(truth, pred, num_classes):
    report = classification_report(truth, pred, labels=list(range(num_classes)), output_dict=True,
                                   zero_division=0)
    return np.array([report[str(c)]["f1-score"] for c in range(num_classes)], dtype=np.float64)


# --- AP / ROC-AUC on single labels -----------------------------------------------------------------
def binary_cases():
    scores, labels, offsets, ap, auc = [], [], [0], [], []
    cases = []
    for i in range(40):
        n = int(rng.integers(1, 80))
        if i % 3 == 0:
            s = rng.integers(0, 5, size=n) / 4.0          # heavy ties
        elif i % 3 == 1:
            s = rng.random(n)                            # no ties
        else:
            s = np.round(rng.normal(size=n), 1)          # some ties
        l = (rng.random(n) < rng.uniform(0.1, 0.9)).astype(np.int64)
        cases.append((s, l))
    cases.append((np.array([0.3, 0.3, 0.3]), np.array([0, 0, 0])))        # no positives
    cases.append((np.array([0.1, 0.2, 0.3]), np.array([1, 1, 1])))        # no negatives
    cases.append((np.array([0.5]), np.array([1])))                         # single positive
    cases.append((np.array([0.4, 0.4, 0.4, 0.4]), np.array([1, 0, 1, 0])))  # one threshold
    cases.append((np.array([0.9, 0.8, 0.1, 0.7]), np.array([0, 0, 0, 0])))
    for s, l in cases:
        scores.append(np.asarray(s, dtype=np.float64))
        labels.append(np.asarray(l, dtype=np.int64))
        offsets.append(offsets[-1] + len(s))
        ap.append(average_precision_score(l, s))
        auc.append(auc_or_nan(l, s))
    save("bin_scores", np.concatenate(scores))
    save("bin_labels", np.concatenate(labels))
    save("bin_offsets", np.array(offsets, dtype=np.int64))
    save("bin_ap", np.array(ap, dtype=np.float64))
    save("bin_auc", np.array(auc, dtype=np.float64))


# --- classification_report F1 ----------------------------------------------------------------------
def f1_cases():
    num_classes = 5
    preds, truths, offsets, f1 = [], [], [0], []
    for i in range(12):
        n = int(rng.integers(1, 60))
        high = num_classes if i % 4 else 3  # some cases leave classes out entirely
        t = rng.integers(0, high, size=n)
        p = np.where(rng.random(n) < 0.5, t, rng.integers(0, num_classes, size=n))
        preds.append(p.astype(np.int64))
        truths.append(t.astype(np.int64))
        offsets.append(offsets[-1] + n)
        f1.append(per_class_f1(t, p, num_classes))
    save("f1_pred", np.concatenate(preds))
    save("f1_truth", np.concatenate(truths))
    save("f1_offsets", np.array(offsets, dtype=np.int64))
    save("f1_expected", np.stack(f1))


# --- Classification (top-1 / top-5 with ties resolved by index) -------------------------------------
def classification_case():
    n, k = 57, 9
    logits = grid_logits((n, k), 4)
    labels = rng.integers(0, k, size=n).astype(np.int64)
    order = np.argsort(-logits.astype(np.float64), axis=1, kind="stable")
    top1 = np.mean(order[:, 0] == labels) * 100.0
    assert np.array_equal(order[:, 0], np.argmax(logits, axis=1))
    top5 = np.mean([labels[i] in order[i, :5] for i in range(n)]) * 100.0
    save("cls_logits", logits)
    save("cls_labels", labels)
    save("cls_expected", np.array([top1, top5], dtype=np.float64))


# --- ECG record vote ---------------------------------------------------------------------------------
def ecg_case():
    records = 40
    pids, labels, window_order = [], [], []
    for r in rng.permutation(records):
        count = int(rng.integers(1, 7))
        label = int(rng.integers(0, 4))
        pids += [int(r) + 1000] * count
        labels += [label] * count
    pids = np.array(pids, dtype=np.int64)
    labels = np.array(labels, dtype=np.int64)
    n = len(pids)
    logits = grid_logits((n, 4), 4)
    # Bias windows toward their record label so F1 is far from 0.
    logits[np.arange(n), labels] += np.float32(0.75) * (rng.random(n) < 0.6)
    window_pred = np.argmax(logits, axis=1)
    final_pred, final_truth = [], []
    for pid in np.unique(pids):
        final_pred.append(collections.Counter(window_pred[pids == pid]).most_common(1)[0][0])
        final_truth.append(collections.Counter(labels[pids == pid]).most_common(1)[0][0])
    f1 = per_class_f1(final_truth, final_pred, 4)
    f1_window = per_class_f1(labels, window_pred, 4)
    save("ecg_logits", logits.astype(np.float32))
    save("ecg_pids", pids)
    save("ecg_labels", labels)
    save("ecg_expected", np.concatenate([[f1.mean(), f1_window.mean()], f1]))


# --- FSD50K clips ------------------------------------------------------------------------------------
def fsd_case():
    clips, k = 30, 6
    clip_labels = (rng.random((clips, k)) < 0.3).astype(np.float32)
    clip_labels[:, 4] = 0  # no positive clip: AP 0 (sklearn 1.2), AUC undefined
    clip_labels[:, 5] = 1  # no negative clip: AUC undefined
    ids = rng.permutation(clips) * 7 + 3
    chunk_ids, chunk_labels = [], []
    for c in range(clips):
        count = int(rng.integers(1, 5))
        chunk_ids += [ids[c]] * count
        chunk_labels += [clip_labels[c]] * count
    chunk_ids = np.array(chunk_ids, dtype=np.int64)
    chunk_labels = np.stack(chunk_labels).astype(np.float32)
    logits = grid_logits((len(chunk_ids), k), 8)
    # Reference: mean of chunk logits per clip, float32 sigmoid, per-class AP / AUC over clips.
    uniq = np.unique(chunk_ids)
    scores = np.stack([sigmoid32(logits[chunk_ids == u].astype(np.float64).mean(0).astype(np.float32))
                       for u in uniq])
    truth = np.stack([chunk_labels[chunk_ids == u][0] for u in uniq]).astype(np.int32)
    ap = [average_precision_score(truth[:, j], scores[:, j]) for j in range(k)]
    auc = [auc_or_nan(truth[:, j], scores[:, j]) for j in range(k)]
    macro = average_precision_score(truth, scores, average="macro")
    assert abs(macro - np.mean(ap)) < 1e-15
    save("fsd_logits", logits)
    save("fsd_clip_ids", chunk_ids)
    save("fsd_labels", chunk_labels)
    save("fsd_expected", np.array([np.mean(ap), np.nanmean(auc)], dtype=np.float64))


# --- DeepSEA multi-label AUROC ------------------------------------------------------------------------
def deepsea_case():
    n, k = 70, 5
    labels = (rng.random((n, k)) < 0.35).astype(np.float32)
    logits = grid_logits((n, k), 6)
    logits += np.float32(0.5) * labels  # some signal
    scores = sigmoid32(logits)
    auc = [auc_or_nan(labels[:, j].astype(np.int32), scores[:, j]) for j in range(k)]
    ap = [average_precision_score(labels[:, j].astype(np.int32), scores[:, j]) for j in range(k)]
    save("deepsea_logits", logits.astype(np.float32))
    save("deepsea_labels", labels)
    save("deepsea_expected", np.array([np.mean(auc), np.mean(ap)], dtype=np.float64))


# --- Cosmic counts -----------------------------------------------------------------------------------
def cosmic_case():
    n, h, w = 5, 8, 8
    logits = grid_logits((n, 1, h, w), 8)  # includes exact 0.5 and 0.0 values
    mask = (rng.random((n, 1, h, w)) < 0.3).astype(np.float32)
    ignore = (rng.random((n, 1, h, w)) < 0.15).astype(np.float32)
    pred = (logits > 0.5).astype(np.float64)
    tp = np.sum(pred * mask)
    tn = np.sum((1 - pred) * (1 - mask))
    fp = np.sum(pred * (1 - mask))
    fn = np.sum((1 - pred) * mask)
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    auroc = roc_auc_score(mask.ravel().astype(np.int32), pred.ravel())
    assert abs(auroc - (tpr + 1 - fpr) / 2) < 1e-12
    # deepCR evaluate.roc at threshold 0.5: probability > 0.5, both maps times (1 - ignore).
    pm = (sigmoid32(logits) > 0.5).astype(np.float64) * (1 - ignore)
    mm = mask * (1 - ignore)
    tp_m = np.sum(pm * mm)
    fn_m = np.sum((1 - pm) * mm)
    fp_m = np.sum(pm * (1 - mm))
    tn_m = np.sum((1 - pm) * (1 - mm))
    save("cosmic_logits", logits)
    save("cosmic_mask", mask)
    save("cosmic_ignore", ignore)
    save("cosmic_expected",
         np.array([tp, tn, fp, fn, tpr, fpr, 1 - auroc, tp_m, tn_m, fp_m, fn_m], dtype=np.float64))


# --- PSICOV MAE8 family, written from the spec text (§6.8) -------------------------------------------
def psicov_reference(pred_canvas, truth_canvas, length):
    """pred_canvas, truth_canvas: (n, n) float32 raw canvases. Returns [mae8, mlr8, mae12, mlr12]."""
    n = pred_canvas.shape[0]
    p = pred_canvas.astype(np.float32).copy()
    # Step 2: for j <= k, P[j,k] = (P[k,j] + P[j,k]) / 2; the lower triangle is never written, so the
    # update can be done at once from the untouched lower triangle.
    upper = np.triu_indices(n)
    p[upper] = (p.T[upper] + p[upper]) / np.float32(2)
    # Step 3: clamp.
    p[p < np.float32(0.01)] = np.float32(0.01)
    # Step 4: shift up-left by 5.
    p[: n - 10, : n - 10] = p[5: n - 5, 5: n - 5].copy()
    y = truth_canvas.astype(np.float64).copy()
    y[: n - 10, : n - 10] = y[5: n - 5, 5: n - 5].copy()
    out = []
    for sep, dmax in ((24, 8.0), (12, 8.0), (24, 12.0), (12, 12.0)):
        errs = []
        for a in range(length):
            for b in range(length):
                if b - a < sep or y[a, b] > dmax:
                    continue
                pavg = np.float64(np.float32(p[b, a] + p[a, b])) / 2.0
                errs.append(abs(y[a, b] - pavg))
        out.append(np.mean(errs) if errs else np.nan)
    return out


def psicov_case():
    n = 40
    lengths = np.array([30, 20, 25, 12, 30], dtype=np.int64)
    preds, truths, expected = [], [], []
    for L in lengths:
        pred = rng.uniform(-1.0, 20.0, size=(n, n)).astype(np.float32)
        d = rng.uniform(2.0, 16.0, size=(L, L))
        d = np.round((d + d.T) / 2, 2)
        np.fill_diagonal(d, 0.0)
        truth = np.full((n, n), 100.0, dtype=np.float32)
        truth[5: 5 + L, 5: 5 + L] = d
        preds.append(pred)
        truths.append(truth)
        expected.append(psicov_reference(pred, truth, int(L)))
    expected = np.array(expected, dtype=np.float64)
    save("psicov_pred", np.stack(preds)[:, None])
    save("psicov_truth", np.stack(truths)[:, None])
    save("psicov_lengths", lengths)
    save("psicov_expected", expected)  # per protein: mae8, mlr8, mae12, mlr12
    save("psicov_expected_mean", np.nanmean(expected, axis=0))


# --- Darcy Flow relative L2 with per-batch means -------------------------------------------------------
def darcy_case():
    train_y = rng.uniform(0.0, 1.0, size=(20, 6, 6)).astype(np.float32)
    mean = train_y.astype(np.float64).mean(0).astype(np.float32)
    std = train_y.astype(np.float64).std(0, ddof=1).astype(np.float32)
    scale = std + np.float32(1e-5)
    test_y = rng.uniform(0.1, 1.0, size=(13, 6, 6)).astype(np.float32)
    encoded_pred = rng.normal(size=(13, 1, 6, 6)).astype(np.float32)
    decoded = encoded_pred[:, 0] * scale + mean
    rel = np.array([np.linalg.norm((decoded[i] - test_y[i]).astype(np.float64).ravel()) /
                    np.linalg.norm(test_y[i].astype(np.float64).ravel()) for i in range(13)])
    batch_means = [rel[s: s + 4].sum() / len(rel[s: s + 4]) for s in range(0, 13, 4)]
    save("darcy_train_y", train_y)
    save("darcy_mean", mean)
    save("darcy_std", std)
    save("darcy_test_y", test_y)
    save("darcy_pred", encoded_pred)
    save("darcy_expected", np.array([np.mean(batch_means), rel.mean()], dtype=np.float64))


def main():
    os.makedirs(OUT, exist_ok=True)
    binary_cases()
    f1_cases()
    classification_case()
    ecg_case()
    fsd_case()
    deepsea_case()
    cosmic_case()
    psicov_case()
    darcy_case()


if __name__ == "__main__":
    main()
