"""Training speed: TorchMultimodalClassifier against a plain PyTorch loop.

Both train the same network (``MultimodalModule``: an MLP encoder per
modality, the fusion, an MLP head) with the same batch size, epochs and
Adam; the plain loop is what a user writes by hand (a permutation per
epoch, slices of one tensor, ``loss.backward()``, ``optimizer.step()``), on
the input matrix already built. The classifier's time includes reading the
table (a DataFrame of vector cells, 30% of the visual ones missing) into
that matrix, and skorch's bookkeeping. Every candidate runs all epochs.

Two shapes: MOSI-like (750 rows, three 50-d modalities) and the demo data's
pooled widths (1070 rows: visual 2048, acoustic 128, lexical 768). torch
runs on one thread, as the classifier chooses for batches this small.

Run: python benchmarks/bench_multimodal.py [--epochs 20] [--repeats 3]
[--fusions gated concat low_rank] [--shapes 0 1]
"""

from __future__ import annotations

import argparse
import warnings
from functools import partial

import numpy as np
import pandas as pd
import torch
from _common import machine, print_ratios, time_interleaved
from sklearn.exceptions import ConvergenceWarning

from sklearn_mmer import TorchMultimodalClassifier
from sklearn_mmer.neural_network._fusion_layers import MultimodalModule

SHAPES = {
    "MOSI-like (750 rows, 50-50-50)": (
        750,
        {"visual": 50, "acoustic": 50, "lexical": 50},
    ),
    "demo widths (1070 rows, 2048-128-768)": (
        1070,
        {"visual": 2048, "acoustic": 128, "lexical": 768},
    ),
}
BATCH_SIZE = 32
N_CLASSES = 4
FUSIONS = ("gated", "concat", "low_rank")


def make_table(n_rows, dims, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(N_CLASSES, size=n_rows)
    columns = {}
    for name, dim in dims.items():
        centres = rng.normal(size=(N_CLASSES, dim))
        values = (centres[y] + 3 * rng.normal(size=(n_rows, dim))).astype(np.float32)
        cells = np.empty(n_rows, dtype=object)
        cells[:] = list(values)
        if name == "visual":
            cells[rng.random(n_rows) < 0.3] = None
        columns[name] = cells
    return pd.DataFrame(columns), y


def plain_loop(matrix, y, dims, fusion, epochs, fused):
    """Train the same network by hand on the ready-made input matrix."""
    model = MultimodalModule(
        list(dims.values()),
        N_CLASSES,
        fusion=fusion,
        encoder_layer_sizes=(64,),
        hidden_layer_sizes=(64,),
        modality_dropout=0.1,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    X_t, y_t = torch.from_numpy(matrix), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        X_e, y_e = X_t[order], y_t[order]
        for start in range(0, len(X_e), BATCH_SIZE):
            optimizer.zero_grad()
            logits = model(X_e[start : start + BATCH_SIZE])
            loss = torch.nn.functional.cross_entropy(
                logits, y_e[start : start + BATCH_SIZE]
            )
            loss.backward()
            optimizer.step()
    return model


def classifier(X, y, fusion, epochs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return TorchMultimodalClassifier(
            fusion,
            max_iter=epochs,
            n_iter_no_change=epochs,  # run every epoch, as the loop does
            alpha=0.0,
            device="cpu",
            random_state=0,
        ).fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fusions", nargs="+", default=list(FUSIONS))
    parser.add_argument("--shapes", nargs="+", type=int, help="indices into SHAPES")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(machine())
    shapes = list(SHAPES.items())
    for title, (n_rows, dims) in [shapes[i] for i in args.shapes or range(len(shapes))]:
        X, y = make_table(n_rows, dims)
        matrix = TorchMultimodalClassifier()._validate_inputs(X, reset=True)
        for fusion in args.fusions:
            loop = partial(plain_loop, matrix, y, dims, fusion, args.epochs)
            times = time_interleaved(
                {
                    "TorchMultimodalClassifier": partial(
                        classifier, X, y, fusion, args.epochs
                    ),
                    "plain torch loop, fused Adam": partial(loop, True),
                    "plain torch loop": partial(loop, None),
                },
                args.repeats,
            )
            print_ratios(
                f"{title}, fusion={fusion}, {args.epochs} epochs",
                times,
                "plain torch loop",
            )


if __name__ == "__main__":
    main()
