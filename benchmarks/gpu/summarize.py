"""benchmarks/gpu/summarize.py REPORT_DIR: the tables of benchmarks/gpu/check.sh's summary.

Reads what check.sh left in REPORT_DIR:
  gpu_name.txt                  the card's name (nvidia-smi --query-gpu=name)
  <step>_ours.json / .log       Google Benchmark JSON (--benchmark_out) and console output of our
                                binaries (the console is the fallback when a crash cut the JSON short)
  <step>_torch.log              the PyTorch twin's "case  ms" lines
for the steps wrn_step, gaea_step (one gaea_step_ours_<n> run per case) and ops_<family> (conv, fft,
loss, norm, pool), and prints, in Markdown-like rows:
  * train steps: nb360 ms | PyTorch ms | ratio (nb360 / PyTorch, lower is better);
  * every op case: the same, plus what nb360 and PyTorch achieve against the card's peak: FLOP/s
    (the FLOPS counter) against the FP32 non-tensor peak (both sides run float32 without TF32) and
    bytes/s (the bytes/s counter: every tensor the call reads or writes, once) against HBM bandwidth;
    PyTorch's rates are the same work per call over PyTorch's time;
  * the cases that ended with an error (their message) and the cases only one side has.
Times are the best (minimum) over repetitions. Peaks: H100 SXM, H100 PCIe and H200 datasheet figures,
picked from the card's name; NB360_PEAK_BYTES / NB360_PEAK_FLOPS (per second) override them or set
them for any other card.
"""
import glob
import json
import os
import re
import sys

# name: (HBM bytes/s, FP32 non-tensor FLOP/s, TF32 tensor-core FLOP/s dense, BF16 tensor-core dense)
PEAKS = {
    "H100 SXM": (3.35e12, 66.9e12, 494.7e12, 989.4e12),
    "H100 PCIe": (2.0e12, 51.2e12, 378e12, 756e12),
    "H200": (4.8e12, 66.9e12, 494.7e12, 989.4e12),
}
# Which FLOP/s peak a case's math is measured against (by its name's suffix).
TENSOR_PEAK = {"_TF32": 2, "_BF16": 3}
UNIT_S = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
SI = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
OP_FAMILIES = ["conv", "fft", "loss", "norm", "pool"]
CARD = [None]  # the detected card (a PEAKS key), set by card_peaks
CUDA_CASE = re.compile(r"_CUDA(_[A-Za-z0-9]+)?$")  # X_CUDA, and variants such as X_CUDA_TF32


def card_peaks(name):
    """(label, bytes/s, FLOP/s) for the card, or (reason, None, None)."""
    upper = name.upper()
    card = None
    if "H200" in upper:
        card = "H200"
    elif "H100" in upper and "PCIE" in upper:
        card = "H100 PCIe"
    elif "H100" in upper and ("SXM" in upper or "HBM3" in upper):  # "NVIDIA H100 80GB HBM3" is the SXM5 card
        card = "H100 SXM"
    CARD[0] = card
    bw = flops = None
    label = f"no datasheet figures for {name!r}"
    if card:
        bw, flops = PEAKS[card][:2]
        label = card
    if os.environ.get("NB360_PEAK_BYTES"):
        bw = float(os.environ["NB360_PEAK_BYTES"])
        label = f"{label}, bytes/s from NB360_PEAK_BYTES"
    if os.environ.get("NB360_PEAK_FLOPS"):
        flops = float(os.environ["NB360_PEAK_FLOPS"])
        label = f"{label}, FLOP/s from NB360_PEAK_FLOPS"
    return label, bw, flops


def case_key(name):
    """BM_X_CUDA/real_time, BM_X/Fwd_CUDA/min_time:0.500/real_time -> X_CUDA, X/Fwd_CUDA."""
    parts = [p for p in name.split("/")
             if p != "real_time" and not re.match(r"(min_time|repeats|iterations|threads):", p)]
    key = "/".join(parts)
    return key[3:] if key.startswith("BM_") else key


def read_json(path):
    """{key: {"s": seconds, "counters": {...}}} (best repetition) and {key: error}, or None if unreadable."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    best, errors = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        key = case_key(b.get("run_name") or b["name"])
        if b.get("error_occurred"):
            errors[key] = b.get("error_message", "error")
            continue
        s = b["real_time"] * UNIT_S[b.get("time_unit", "ns")]
        counters = {k: v for k, v in b.items() if k in ("FLOPS", "bytes/s", "bytes_per_second")}
        if key not in best or s < best[key]["s"]:
            best[key] = {"s": s, "counters": counters}
    return best, errors


CONSOLE_ROW = re.compile(r"^(BM_\S+)\s+([\d.]+) (ns|us|ms|s)\s+([\d.]+) (ns|us|ms|s)\s+\d+(.*)$")
CONSOLE_ERROR = re.compile(r"^(BM_\S+)\s+ERROR OCCURRED: '(.*)'")
COUNTER = re.compile(r"(FLOPS|bytes/s|bytes_per_second)=([\d.]+)([kMGTP]?)(?:i?B)?/s")


def read_console(path):
    """The same from console output (rows of aggregates such as _mean/_min are skipped)."""
    best, errors = {}, {}
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return best, errors
    for line in lines:
        m = CONSOLE_ERROR.match(line)
        if m:
            errors[case_key(m.group(1))] = m.group(2)
            continue
        m = CONSOLE_ROW.match(line)
        if not m or re.search(r"_(mean|median|stddev|cv|min)$", m.group(1)):
            continue
        key = case_key(m.group(1))
        s = float(m.group(2)) * UNIT_S[m.group(3)]
        # bytes_per_second (SetBytesProcessed) prints with 1024-based prefixes, user counters 1000-based.
        counters = {c: float(v) * (1024.0 ** ("kMGTP".index(p) + 1) if p and c == "bytes_per_second" else SI[p])
                    for c, v, p in COUNTER.findall(m.group(6))}
        if key not in best or s < best[key]["s"]:
            best[key] = {"s": s, "counters": counters}
    return best, errors


NOTES = []


def read_ours(rep, stem):
    """Merges every <stem>*.json (console fallback per file: <same name>.log)."""
    best, errors = {}, {}
    logs = sorted(glob.glob(f"{rep}/{stem}.log") + glob.glob(f"{rep}/{stem}_*.log"))
    for log in logs:
        text = open(log, errors="replace").read()
        got = read_json(log[:-4] + ".json")
        if "Failed to match any benchmarks" in text:
            NOTES.append(f"{os.path.basename(log)}: no _CUDA case registered (the binary found no usable GPU)")
        elif got is None:
            NOTES.append(f"{os.path.basename(log)}: no JSON (crash or timeout?), rows read from the console output")
        if got is None:
            got = read_console(log)
        for k, v in got[0].items():
            if k not in best or v["s"] < best[k]["s"]:
                best[k] = v
        errors.update(got[1])
    return best, errors


def read_torch(rep, stem):
    """{key: seconds} from "case  ms [anything]" lines."""
    out = {}
    try:
        lines = open(f"{rep}/{stem}.log", errors="replace").read().splitlines()
    except OSError:
        return out
    for line in lines:
        m = re.match(r"^(\S+_CUDA(?:_[A-Za-z0-9]+)?)\s+([\d.]+)(\s|$)", line.strip())
        if m:
            out[case_key(m.group(1))] = float(m.group(2)) * 1e-3
    last = [line for line in lines if line.strip()][-1:]
    if not out:
        NOTES.append(f"{stem}.log: no timings" + (f"; last line: {last[0].strip()}" if last else ""))
    return out


def fmt_ms(s):
    return "n/a" if s is None else f"{s * 1e3:.3f}"


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def fraction(rate, peak, unit, scale):
    if rate is None:
        return "n/a"
    text = f"{rate / scale:.4g} {unit}"
    return f"{text} ({100 * rate / peak:.3g}%)" if peak else text


def step_table(title, ours, torch, strip=""):
    rows = [f"## {title}", "case | nb360 ms | PyTorch ms | ratio nb360/PyTorch"]
    ours = {k[len(strip):] if k.startswith(strip) else k: v for k, v in ours.items()}
    for key in list(ours) + [k for k in torch if k not in ours]:
        if not CUDA_CASE.search(key):
            continue
        o = ours.get(key, {}).get("s")
        t = torch.get(key)
        rows.append(f"{key} | {fmt_ms(o)} | {fmt_ms(t)} | {ratio(o, t)}")
    return rows


def target_rows(ours, torch, strip="TrainStep_"):
    """Issue 5's WRN-16-4 targets: ours strict float32 <= 1.0x PyTorch eager float32 (TF32 off), and
    our best fast variant (TF32 / bf16 autocast / CUDA graph / all) <= 0.7x PyTorch eager float32."""
    ours = {k[len(strip):] if k.startswith(strip) else k: v for k, v in ours.items()}
    base = "WRN16_4_Cifar100_B128_CUDA"
    t = torch.get(base)
    rows = ["## issue 5 targets (WRN-16-4, CIFAR-100 shape, batch 128) against PyTorch eager float32"]
    o = ours.get(base, {}).get("s")
    rows.append(f"float32: nb360 {fmt_ms(o)} ms / PyTorch {fmt_ms(t)} ms = {ratio(o, t)} (target <= 1.0x)")
    fast = {k: v["s"] for k, v in ours.items() if k.startswith(base + "_") and v.get("s")}
    if fast:
        k = min(fast, key=fast.get)
        rows.append(f"fast paths: best nb360 variant {k} {fmt_ms(fast[k])} ms / PyTorch {fmt_ms(t)} ms = "
                    f"{ratio(fast[k], t)} (target <= 0.7x)")
    else:
        rows.append("fast paths: no nb360 variant timed")
    return rows


def op_table(family, ours, torch, bw, flops):
    rows = [f"## ops: {family}",
            "case | nb360 ms | PyTorch ms | ratio nb360/PyTorch | nb360 FLOP/s (% of the peak for its math) | PyTorch FLOP/s (%)"
            " | nb360 bytes/s (% of HBM peak) | PyTorch bytes/s (%)"]
    for key in list(ours) + [k for k in torch if k not in ours]:
        if not CUDA_CASE.search(key):
            continue
        o = ours.get(key)
        t = torch.get(key)
        cells = [key, fmt_ms(o["s"] if o else None), fmt_ms(t), ratio(o["s"] if o else None, t)]
        case_flops = flops
        for suffix, column in TENSOR_PEAK.items():  # tensor-core cases against the tensor-core peak
            if key.endswith(suffix) and CARD[0]:
                case_flops = PEAKS[CARD[0]][column]
        for counter, peak, unit, scale in (("FLOPS", case_flops, "TFLOP/s", 1e12), ("bytes/s", bw, "GB/s", 1e9)):
            rate = o["counters"].get(counter) if o else None
            if rate is None and counter == "bytes/s" and o:
                rate = o["counters"].get("bytes_per_second")
            work = rate * o["s"] if rate is not None else None  # per call
            cells.append(fraction(rate, peak, unit, scale))
            cells.append(fraction(work / t if work is not None and t else None, peak, unit, scale))
        rows.append(" | ".join(cells))
    return rows


def main():
    rep = sys.argv[1]
    try:
        name = open(f"{rep}/gpu_name.txt").read().strip().splitlines()[0]
    except (OSError, IndexError):
        name = "unknown card"
    label, bw, flops = card_peaks(name)
    out = [f"card: {name}; peaks used: {label}: HBM "
           + (f"{bw / 1e12:.2f} TB/s" if bw else "unknown") + ", FP32 non-tensor "
           + (f"{flops / 1e12:.1f} TFLOP/s" if flops else "unknown")
           + " for the float32 op cases (TF32 off on both sides); the _TF32 / _BF16 conv cases against the"
           " dense tensor-core peaks (TF32 494.7 / BF16 989.4 TFLOP/s on H100 SXM and H200, 378 / 756 on"
           " H100 PCIe)"]
    errors = {}
    missing = []
    for stem, title, strip in (("wrn_step", "train steps: WRN / ResNet1D", "TrainStep_"),
                               ("gaea_step", "search step: GAEA PC-DARTS", "")):
        ours, err = read_ours(rep, f"{stem}_ours")
        errors.update(err)
        torch = read_torch(rep, f"{stem}_torch")
        out += step_table(title, ours, torch, strip)
        if stem == "wrn_step":
            out += target_rows(ours, torch, strip)
    for family in OP_FAMILIES:
        ours, err = read_ours(rep, f"ops_{family}_ours")
        errors.update(err)
        torch = read_torch(rep, f"ops_{family}_torch")
        out += op_table(family, ours, torch, bw, flops)
        missing += [f"{k} (nb360 only)" for k in ours if k not in torch and CUDA_CASE.search(k)]
        missing += [f"{k} (PyTorch only)" for k in torch if k not in ours and k not in err]
    if errors:
        out.append("## cases that ended with an error")
        out += [f"{k}: {v}" for k, v in sorted(errors.items())]
    if missing:
        out.append("## op cases timed on one side only")
        out += missing
    if NOTES:
        out.append("## notes")
        out += NOTES
    print("\n".join(out))


if __name__ == "__main__":
    main()
