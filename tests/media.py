"""Recordings, videos and tables that the feature-extraction tests write."""

from __future__ import annotations

import numpy as np


def tones(seconds, sample_rate, freqs=(220.0, 660.0, 1500.0), amplitude=0.3):
    """A sum of sines, the same continuous signal at any sample rate."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    # A slow amplitude swell so frames differ from one another.
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 1.3 * t)
    signal = sum(np.sin(2 * np.pi * f * t + k) for k, f in enumerate(freqs))
    return (amplitude / len(freqs) * envelope * signal).astype(np.float32)


def write_wav(path, signal, sample_rate, subtype="PCM_16"):
    import soundfile

    soundfile.write(path, signal, sample_rate, subtype=subtype)
    return path


def truncate(path):
    """Cut a file in half, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def face_frame(size=160, background=40):
    """An RGB frame with a drawn face: skin oval, brows, eyes, nose, mouth."""
    import cv2

    frame = np.full((size, size, 3), background, np.uint8)
    c, s = size // 2, size
    cv2.ellipse(
        frame, (c, c), (int(s * 0.3), int(s * 0.4)), 0, 0, 360, (220, 190, 170), -1
    )
    for side in (-1, 1):
        x = c + side * int(s * 0.12)
        cv2.ellipse(
            frame,
            (x, c - int(s * 0.08)),
            (int(s * 0.06), int(s * 0.03)),
            0,
            0,
            360,
            (30, 30, 30),
            -1,
        )
        brow_y = c - int(s * 0.16)
        cv2.line(
            frame,
            (x - int(s * 0.07), brow_y),
            (x + int(s * 0.07), brow_y),
            (30, 30, 30),
            max(2, s // 60),
        )
    cv2.ellipse(
        frame,
        (c, c + int(s * 0.05)),
        (int(s * 0.03), int(s * 0.07)),
        0,
        0,
        360,
        (170, 140, 120),
        -1,
    )
    cv2.ellipse(
        frame,
        (c, c + int(s * 0.2)),
        (int(s * 0.1), int(s * 0.035)),
        0,
        0,
        360,
        (120, 50, 50),
        -1,
    )
    return frame


def blank_frame(size=160, level=90):
    """An RGB frame with no face: a flat grey with a square."""
    frame = np.full((size, size, 3), level, np.uint8)
    frame[20:60, 20:60] = 200
    return frame


def write_video(path, frames, fps):
    """Write RGB frames as an MJPG AVI that OpenCV reads back."""
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height)
    )
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path
