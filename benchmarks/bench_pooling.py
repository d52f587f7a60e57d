"""Pooling speed: TemporalMeanPool against a per-row Python loop.

10,000 ragged sequences (1 to 40 frames) per setting, pooled to their means by
``np.stack([cell.mean(axis=0) for cell in column])``, the loop a user writes,
and by TemporalMeanPool (stacked chunks, one sparse segment reduction each).
TemporalMeanPool also validates every cell; the loop does not. Then the same
for TemporalStatsPool(("mean", "std")) against the loop of
``np.concatenate([cell.mean(0), cell.std(0)])``. Times are medians of
interleaved runs.

Run: python benchmarks/bench_pooling.py [--rows 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import machine, print_ratios, time_interleaved

from sklearn_mmer import TemporalMeanPool, TemporalStatsPool

DIMS = (4, 32, 128, 2048)


def ragged_column(n_rows, dim, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 41, size=n_rows)
    frames = rng.normal(size=(lengths.sum(), dim)).astype(np.float32)
    cells = np.empty(n_rows, dtype=object)
    cells[:] = np.split(frames, np.cumsum(lengths)[:-1])
    return pd.DataFrame({"frames": cells})


def per_row_loop(X):
    return np.stack([cell.mean(axis=0) for cell in X["frames"]]).astype(np.float32)


def per_row_stats_loop(X):
    return np.stack(
        [np.concatenate([cell.mean(axis=0), cell.std(axis=0)]) for cell in X["frames"]]
    ).astype(np.float32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Pooling benchmark on {machine()}")
    for dim in DIMS:
        X = ragged_column(args.rows, dim)
        pool = TemporalMeanPool().fit(X)
        np.testing.assert_allclose(
            pool.transform(X), per_row_loop(X), rtol=1e-5, atol=1e-6
        )
        times = time_interleaved(
            {
                "per-row loop": lambda X=X: per_row_loop(X),
                "TemporalMeanPool": lambda X=X, p=pool: p.transform(X),
            },
            args.repeats,
        )
        print_ratios(
            f"{args.rows} sequences of (1..40, {dim}) float32", times, "per-row loop"
        )
        print(f"  speed-up: {times['per-row loop'] / times['TemporalMeanPool']:.1f}x")

        stats_pool = TemporalStatsPool(("mean", "std")).fit(X)
        np.testing.assert_allclose(
            stats_pool.transform(X), per_row_stats_loop(X), rtol=1e-4, atol=1e-5
        )
        times = time_interleaved(
            {
                "per-row mean+std loop": lambda X=X: per_row_stats_loop(X),
                "TemporalStatsPool": lambda X=X, p=stats_pool: p.transform(X),
            },
            args.repeats,
        )
        print_ratios(
            f"mean and std of {args.rows} sequences of (1..40, {dim})",
            times,
            "per-row mean+std loop",
        )
        speed_up = times["per-row mean+std loop"] / times["TemporalStatsPool"]
        print(f"  speed-up: {speed_up:.1f}x")


if __name__ == "__main__":
    main()
