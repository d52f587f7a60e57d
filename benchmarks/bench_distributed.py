"""The whole comparison locally (n_jobs=1, n_jobs=2) and on a Dask cluster.

Five configurations over five speaker-grouped folds of the demo data, run
three ways in one process, on the same machine, one after the other:
joblib with ``n_jobs=1`` and ``n_jobs=2`` (loky processes), and a
``LocalCluster`` of ``--workers`` single-threaded worker processes through
the Dask path (``joblib.parallel_config(backend="dask")``). The cluster is
started before timing (as a cluster on a lab network is already up), but its
workers' first fits (imports, torch's one-off costs) are in the timed run, as
they are in a real one. The Dask overhead per fit is the extra wall time of
the cluster run over the joblib run with as many jobs as workers, divided by
the number of fits. Every way must give the same predictions; the script
checks it.

With ``--gpus``, the networks train on CUDA and the cluster has one worker
per visible GPU; on a machine with one card that is the layout the user guide
documents (a cluster of several cards starts each worker with its own
``CUDA_VISIBLE_DEVICES``, which a LocalCluster cannot).

Run: python benchmarks/bench_distributed.py [--epochs 20] [--samples 1336]
"""

from __future__ import annotations

import argparse
import time
import warnings

import joblib
import pandas as pd
import torch
from _common import machine

from sklearn_mmer import (
    evaluate_configurations,
    make_configurations,
    make_emotion_dataset,
)
from sklearn_mmer.preprocessing import pool_table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=1336)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gpus", action="store_true")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    data = make_emotion_dataset(args.samples, random_state=0)
    data.data = pool_table(data.data)
    device = "cuda" if args.gpus else "cpu"
    configurations = make_configurations(
        list(data.data.columns), max_iter=args.epochs, device=device, random_state=0
    )
    n_fits = len(configurations) * args.folds

    def compare(n_jobs):
        return evaluate_configurations(
            configurations,
            data.data,
            data.target,
            groups=data.groups,
            cv=args.folds,
            n_jobs=n_jobs,
        )

    print(machine())
    print(
        f"{len(configurations)} configurations x {args.folds} folds "
        f"({n_fits} fits; late fusion is assembled from the unimodal fits), "
        f"{args.samples} utterances, {args.epochs} epochs, device {device}"
    )
    times, results = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n_jobs in (1, args.workers):
            start = time.perf_counter()
            results[f"joblib n_jobs={n_jobs}"] = compare(n_jobs)
            times[f"joblib n_jobs={n_jobs}"] = time.perf_counter() - start
        n_workers = torch.cuda.device_count() if args.gpus else args.workers
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        with Client(cluster), joblib.parallel_config(backend="dask"):
            name = f"Dask LocalCluster, {n_workers} workers"
            start = time.perf_counter()
            results[name] = compare(None)
            times[name] = time.perf_counter() - start
        cluster.close()

    reference = results["joblib n_jobs=1"].predictions
    for name, result in results.items():
        pd.testing.assert_frame_equal(result.predictions, reference, obj=name)
    print("Same predictions every way: yes")
    base = times["joblib n_jobs=1"]
    width = max(map(len, times))
    for name, seconds in times.items():
        print(
            f"  {name:<{width}}  {seconds:8.2f} s  {base / seconds:5.2f}x the "
            f"speed of n_jobs=1  ({seconds / n_fits:.3f} s per fit)"
        )
    dask_name = next(name for name in times if name.startswith("Dask"))
    same_width = times[f"joblib n_jobs={args.workers}"]
    overhead = (times[dask_name] - same_width) / n_fits
    print(
        f"Dask overhead per fit against joblib n_jobs={args.workers}: "
        f"{overhead * 1000:+.0f} ms"
    )


if __name__ == "__main__":
    main()
