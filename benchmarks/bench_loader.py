"""Benchmark load_features on an IEMOCAP-sized archive: time and peak memory.

Run with ``python benchmarks/bench_loader.py`` (add ``--help`` for options).
It writes a demo feature set of IEMOCAP's size (1336 utterances, visual
``(10..60, 2048)`` float32 frames, about 380 MB zipped) to a temporary
folder, then measures, in one run so the figures compare:

* time: ``load_features`` against a bare loop of ``zipfile.read`` +
  ``np.load`` over the same members (the least any loader has to do),
  repeats interleaved, best of each reported (the noise on a shared machine
  only ever adds time);
* peak memory: each variant runs in a fresh subprocess that imports
  ``sklearn_mmer``, resets the kernel's high-water mark of its resident set
  (``/proc/self/clear_refs``; Linux only), loads, and reports its peak
  resident set size (``VmHWM``) minus its size before loading (``VmRSS``):
  the peak above the interpreter with the package imported. Peak RSS is
  what a laptop feels: it counts every allocation (NumPy, zipfile, pandas,
  allocator slack), which ``tracemalloc`` would not all see, and costs
  nothing while the code runs. ``getrusage``'s ``ru_maxrss`` cannot be
  reset, and importing torch peaks above where the interpreter settles, so
  it would hide the loader. The archive's page cache is not part of RSS.

Targets (issue 3): ``load_features`` at most 1.2x the bare loop's time;
with ``pool="mean"``, at most 300 MB above the baseline.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from _common import machine

# Child processes run one of these and print [RSS before, peak RSS] in bytes.
_CHILD = {
    "baseline (imports only)": "None",
    "bare loop": "bare_loop(path)",
    "load_features": "load_features(path)",
    'load_features(pool="mean")': 'load_features(path, pool="mean")',
}
_CHILD_PRELUDE = """
import io, json, sys, zipfile
import numpy as np
import sklearn_mmer
from sklearn_mmer import load_features
path = sys.argv[1]

def bare_loop(path):
    with zipfile.ZipFile(path) as zf:
        return [np.load(io.BytesIO(zf.read(n))) for n in zf.namelist()
                if n.endswith(".npy")]

def status(field):
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024

# Importing torch peaks higher than where RSS settles, so the peak since
# start-up would hide the loader: reset the high-water mark after the imports.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
kept = {statement}
print(json.dumps([before, status("VmHWM")]))
"""


def bare_loop(path):
    """Read every ``.npy`` member: the least work any loader has to do."""
    with zipfile.ZipFile(path) as zf:
        return [
            np.load(io.BytesIO(zf.read(name)))
            for name in zf.namelist()
            if name.endswith(".npy")
        ]


def make_archive(folder, n_samples, seed):
    from sklearn_mmer import make_emotion_dataset, write_feature_set

    demo = make_emotion_dataset(n_samples, random_state=seed)
    return write_feature_set(demo, Path(folder) / "features.zip")


def time_variants(path, repeats):
    from sklearn_mmer import load_features

    variants = {
        "bare loop": lambda: bare_loop(path),
        "load_features": lambda: load_features(path),
        'load_features(pool="mean")': lambda: load_features(path, pool="mean"),
    }
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            start = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - start)
            del result
    return times


def peak_memory(path, statement):
    code = _CHILD_PRELUDE.format(statement=statement)
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1336)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help="100 utterances, 1 round: does it run?"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.repeats = 100, 1

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        path = make_archive(folder, args.n_samples, args.seed)
        size = path.stat().st_size
        with zipfile.ZipFile(path) as zf:
            n_files = sum(name.endswith(".npy") for name in zf.namelist())
        print(
            f"archive: {n_files} .npy files, {size / 1e6:.0f} MB "
            f"(written in {time.perf_counter() - start:.0f} s)"
        )
        times = time_variants(path, args.repeats)
        memory = {name: peak_memory(path, stmt) for name, stmt in _CHILD.items()}

    best = {name: min(values) for name, values in times.items()}
    before, _ = memory.pop("baseline (imports only)")
    print(f"\nmachine: {machine()}")
    print(f"RSS of the interpreter with sklearn_mmer imported: {before / 1e6:.0f} MB")
    header = f"{'variant':<28}{'best s':>8}{'median s':>10}{'x bare':>8}{'peak MB':>9}"
    print(header)
    print("-" * len(header))
    for name, values in times.items():
        start, peak = memory[name]
        print(
            f"{name:<28}{best[name]:>8.2f}{np.median(values):>10.2f}"
            f"{best[name] / best['bare loop']:>8.2f}{(peak - start) / 1e6:>9.0f}"
        )
    print(
        f"\nbest and median of {args.repeats} interleaved runs; 'x bare' = best "
        "time / best time of the bare loop; 'peak MB' = peak RSS while loading, "
        "above the RSS just before (a fresh process per variant)."
    )


if __name__ == "__main__":
    main()
