"""The comparison on CUDA against the CPU, whenever a GPU is available.

Runs the five-configuration comparison (5 speaker-grouped folds) twice, with
``device="cuda"`` and ``device="cpu"``, and times one wide training fit on
each; prints the card's name and the CUDA/CPU ratios. Without a GPU it says so
and exits.

Run: python benchmarks/bench_gpu.py [--epochs 50] [--samples 1336]
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from _common import machine
from bench_training import make_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold

from sklearn_mmer import (
    TorchMLPClassifier,
    evaluate_configurations,
    make_configurations,
    make_emotion_dataset,
)


def time_comparison(data, device, epochs):
    configurations = make_configurations(
        list(data.data.columns),
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        tol=0.0,
        device=device,
        random_state=0,
    )
    start = time.perf_counter()
    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=GroupKFold(5)
    )
    return time.perf_counter() - start, result.summary["f1_micro_mean"].to_dict()


def time_wide_fit(device, epochs):
    X, y = make_data(1070, 2944)
    clf = TorchMLPClassifier(
        (256, 128),
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        tol=0.0,
        device=device,
        random_state=0,
    )
    clf.fit(X[:64], y[:64])  # CUDA context and kernels, outside the clock
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--samples", type=int, default=1336)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print(
            f"No CUDA device visible to torch {torch.__version__}; nothing to compare."
        )
        return
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"GPU benchmark on {machine()}")
    wide = {device: time_wide_fit(device, args.epochs) for device in ("cuda", "cpu")}
    print(
        f"\nwide fit (1070 x 2944, hidden 256-128, {args.epochs} epochs): "
        f"cuda {wide['cuda']:.2f} s, cpu {wide['cpu']:.2f} s, "
        f"cuda/cpu {wide['cuda'] / wide['cpu']:.2f}x"
    )
    data = make_emotion_dataset(args.samples, random_state=0)
    runs = {
        device: time_comparison(data, device, args.epochs) for device in ("cuda", "cpu")
    }
    print(
        f"\nwhole comparison ({args.samples} utterances, 5 x 5 fits, "
        f"{args.epochs} epochs)"
    )
    for device, (seconds, f1) in runs.items():
        scores = ", ".join(f"{name} {100 * value:.2f}" for name, value in f1.items())
        print(f"  {device:5} {seconds:8.1f} s   F1-micro: {scores}")
    print(
        f"  cuda/cpu: {runs['cuda'][0] / runs['cpu'][0]:.2f}x "
        f"on {torch.cuda.get_device_name(0)}"
    )


if __name__ == "__main__":
    main()
