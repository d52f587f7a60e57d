"""Training speed: TorchMLPClassifier, sklearn's MLPClassifier, a plain loop.

Same architecture, epochs and batch size for all three.

torch runs on one thread throughout, as TorchMLPClassifier itself chooses for
batches this small: with two, OpenMP threads that spin while waiting slow every
torch candidate several-fold on a shared two-core machine, and keep spinning
into the next candidate's run. sklearn runs twice: with its BLAS defaults, as a
user gets it, and limited to one BLAS thread, core for core with the others.

Two shapes: wide inputs (the IEMOCAP early-fusion matrix, 1070 x 2944, hidden
256-128) and narrow inputs (600 x 150, hidden 128-64). Every candidate runs
all epochs (no early stopping). Times are medians of interleaved runs;
ratios are within this one run.

Run: python benchmarks/bench_training.py [--epochs 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
from _common import machine, print_ratios, time_interleaved
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklearn_mmer import TorchMLPClassifier

SHAPES = {
    "wide (1070 x 2944, hidden 256-128)": (1070, 2944, (256, 128)),
    "narrow (600 x 150, hidden 128-64)": (600, 150, (128, 64)),
}
BATCH_SIZE = 32
N_CLASSES = 4


def make_data(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(N_CLASSES, size=n_samples)
    centres = rng.normal(size=(N_CLASSES, n_features))
    X = (centres[y] + 3 * rng.normal(size=(n_samples, n_features))).astype(np.float32)
    return X, y


def plain_torch_loop(X, y, hidden, epochs, fused):
    """Train the way a user writes it by hand: index tensors, Adam."""
    layers, width = [], X.shape[1]
    for size in hidden:
        layers += [torch.nn.Linear(width, size), torch.nn.ReLU()]
        width = size
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, N_CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X_t[index]), y_t[index])
            loss.backward()
            optimizer.step()
    return model


def candidates(X, y, hidden, epochs):
    never_stop = {"max_iter": epochs, "n_iter_no_change": epochs + 1, "tol": 0.0}
    sklearn_mlp = MLPClassifier(
        hidden, batch_size=BATCH_SIZE, random_state=0, **never_stop
    )
    ours = TorchMLPClassifier(
        hidden, batch_size=BATCH_SIZE, device="cpu", random_state=0, **never_stop
    )

    def sklearn_one_thread():
        with threadpool_limits(1):
            sklearn_mlp.fit(X, y)

    return {
        "sklearn MLPClassifier": lambda: sklearn_mlp.fit(X, y),
        "sklearn MLPClassifier, 1 BLAS thread": sklearn_one_thread,
        "plain torch loop": lambda: plain_torch_loop(X, y, hidden, epochs, fused=False),
        "plain torch loop, fused Adam": lambda: plain_torch_loop(
            X, y, hidden, epochs, fused=True
        ),
        "TorchMLPClassifier": lambda: ours.fit(X, y),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch.set_num_threads(1)
    print(f"Training benchmark on {machine()}")
    print(f"{args.epochs} epochs, batch {BATCH_SIZE}, median of {args.repeats} runs")
    for title, (n_samples, n_features, hidden) in SHAPES.items():
        X, y = make_data(n_samples, n_features)
        times = time_interleaved(candidates(X, y, hidden, args.epochs), args.repeats)
        print_ratios(title, times, reference="sklearn MLPClassifier")
        ours = times["TorchMLPClassifier"]
        for other in list(times)[1:-1]:
            print(f"  TorchMLPClassifier / {other}: {ours / times[other]:.2f}x")


if __name__ == "__main__":
    main()
