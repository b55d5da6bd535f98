#!/usr/bin/python3
"""Golden log-mel spectrograms for tests/tasks/common/logmel_test.cc (Debian's /usr/bin/python3 with
torch 1.13 and numpy; committed, CI never runs this). Written from the recipe's definitions, not from
torchaudio/librosa (neither is installed):

  STFT      torch.stft(x, n_fft=1920, hop_length=220, win_length=661, periodic Hann window,
            center=True, pad_mode="reflect"), power |X|^2                       (torchaudio Spectrogram)
  mel       fb[k, m] = max(0, min((f_k - c_m) / (c_{m+1} - c_m), (c_{m+2} - f_k) / (c_{m+2} - c_{m+1})))
            with f_k = linspace(0, sr // 2, 961), c = mel_to_hz(linspace(hz_to_mel(0), hz_to_mel(11025), 98)),
            HTK mel = 2595 log10(1 + f / 700), no normalisation; mel = fb^T @ power  (torchaudio MelScale)
  dB        10 log10(max(S, 1e-10)) - 10 log10(max(1e-10, 1.0)), floored at max - 80   (librosa power_to_db)
  feature   + 75, minus the mean over the whole spectrogram                          (AudioParser)
Clips shorter than 1 s are tiled first: np.tile(x, 22050 // len + 1)[:22050] (load_audio).

Inputs are 16-bit mono 22,050 Hz WAVs (the FSD50K chunk format), read back as int16 / 32768.
Outputs: data/logmel_<name>.wav, data/logmel_<name>.npy (float32 (96, T) feature), and
data/logmel_sweep_mel.npy (float64 (96, 101) power mel spectrogram of the sweep).
"""
import os
import wave

import numpy as np
import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SR, N_FFT, WIN, HOP, N_MELS = 22050, 1920, 661, 220, 96


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def filterbank():
    f = np.linspace(0, SR // 2, N_FFT // 2 + 1)
    c = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2), N_MELS + 2))
    fb = np.zeros((len(f), N_MELS))
    for m in range(N_MELS):
        down = (f - c[m]) / (c[m + 1] - c[m])
        up = (c[m + 2] - f) / (c[m + 2] - c[m + 1])
        fb[:, m] = np.maximum(0.0, np.minimum(down, up))
    return fb


def mel_power(x):
    window = torch.hann_window(WIN, periodic=True, dtype=torch.float64)
    spec = torch.stft(torch.from_numpy(x.astype(np.float64)), n_fft=N_FFT, hop_length=HOP, win_length=WIN,
                      window=window, center=True, pad_mode="reflect", return_complex=True)
    power = (spec.abs() ** 2).numpy()  # (961, T)
    return filterbank().T @ power


def feature(x):
    if len(x) < SR:
        x = np.tile(x, SR // len(x) + 1)[:SR]
    s = mel_power(x)
    db = 10.0 * np.log10(np.maximum(s, 1e-10)) - 10.0 * np.log10(max(1e-10, 1.0))
    db = np.maximum(db, db.max() - 80.0)
    db = db + 75.0
    return (db - db.mean()).astype(np.float32)


def write_wav(name, x):
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(os.path.join(HERE, "logmel_%s.wav" % name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(q.tobytes())
    return (q.astype(np.float32) / 32768.0).astype(np.float32)


def signals():
    rng = np.random.RandomState(0)
    t1 = np.arange(SR) / SR
    sweep = 0.5 * np.sin(2 * np.pi * (100 * t1 + (8000 - 100) * t1 ** 2 / 2))
    noise = rng.uniform(-0.3, 0.3, SR)
    t_short = np.arange(int(0.4 * SR)) / SR
    short = 0.4 * np.sin(2 * np.pi * 440 * t_short) + 0.12 * np.sin(2 * np.pi * 1320 * t_short)
    n_long = int(2.3 * SR)
    t_long = np.arange(n_long) / SR
    long = 0.3 * (1 + np.sin(2 * np.pi * 3 * t_long)) * np.sin(2 * np.pi * 2000 * t_long)
    long += rng.normal(0, 0.01, n_long)
    long[SR: SR + SR // 4] = 0.0  # a silent stretch: exercises the top_db floor
    return {"sweep": sweep, "noise": noise, "short": short, "long": long}


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for name, x in signals().items():
        audio = write_wav(name, x)
        out = feature(audio)
        np.save(os.path.join(HERE, "logmel_%s.npy" % name), out)
        print(name, len(audio), out.shape)
        if name == "sweep":
            np.save(os.path.join(HERE, "logmel_sweep_mel.npy"), mel_power(audio))
