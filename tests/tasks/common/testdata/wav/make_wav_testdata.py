#!/usr/bin/python3
"""Writes the WAV fixtures for tests/tasks/common/wav_test.cc with writers other than ours (Debian's
/usr/bin/python3: the stdlib `wave` module and scipy.io.wavfile). Committed; CI never runs this.

Sample n of channel c is the integer v(n, c) = (n * 37 + c * 1000) % 200 - 100 scaled per format:
  pcm16_stereo.wav  wave module, 16-bit, 2 channels, 8000 Hz, 50 frames: v * 300
  float32.wav       scipy, IEEE float32, mono, 22050 Hz, 40 frames: v / 128
  uint8.wav         scipy, 8-bit unsigned, mono, 11025 Hz, 30 frames: v + 128
  int32.wav         scipy, 32-bit PCM, 2 channels, 16000 Hz, 20 frames: v * 20000000
"""
import os
import wave

import numpy as np
import scipy.io.wavfile

HERE = os.path.dirname(os.path.abspath(__file__))


def v(frames, channels):
    n = np.arange(frames)[:, None]
    c = np.arange(channels)[None, :]
    return (n * 37 + c * 1000) % 200 - 100


with wave.open(os.path.join(HERE, "pcm16_stereo.wav"), "wb") as w:
    w.setnchannels(2)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes((v(50, 2) * 300).astype("<i2").tobytes())
scipy.io.wavfile.write(os.path.join(HERE, "float32.wav"), 22050, (v(40, 1)[:, 0] / 128).astype(np.float32))
scipy.io.wavfile.write(os.path.join(HERE, "uint8.wav"), 11025, (v(30, 1)[:, 0] + 128).astype(np.uint8))
scipy.io.wavfile.write(os.path.join(HERE, "int32.wav"), 16000, (v(20, 2) * 20000000).astype(np.int32))
