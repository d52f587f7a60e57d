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

With ``--frames``, the same comparison for a sequence encoder: the demo
data's acoustic frames (128 features, 3 to 20 frames, 30% of the cells
missing) through a bidirectional GRU and attention pooling, its lexical
vectors (768) through an MLP. Both start from the DataFrame: the loop makes
one tensor per row (a zero frame where the cell is missing), and per epoch
shuffles, sorts random pools of 16 batches by length, pads each batch with
``pad_sequence`` and builds its mask, as ``bench_sequence.py`` does.

Accuracy (``--accuracy``): F1-micro over GroupKFold(5) by speaker on
``make_emotion_dataset(random_state=0)``, the neural fusion
(``make_neural_fusion``, its defaults) with the frame modalities averaged
(``encoder="mean"``) against a GRU over them (``encoder="gru"``), same folds,
one seed, with the fit time of the five folds.

Run: python benchmarks/bench_multimodal.py [--epochs 20] [--repeats 3]
[--fusions gated concat low_rank] [--shapes 0 1] [--frames]
[--accuracy [--modalities visual,acoustic,lexical] [--encoders mean,gru]]
"""

from __future__ import annotations

import argparse
import time
import warnings
from functools import partial

import numpy as np
import pandas as pd
import sklearn
import torch
import torch.nn.functional as F
from _common import machine, padded_batches, print_ratios, time_interleaved
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from sklearn_mmer import (
    TorchMultimodalClassifier,
    make_emotion_dataset,
    make_neural_fusion,
    request_groups,
)
from sklearn_mmer.neural_network._fusion_layers import MultimodalModule
from sklearn_mmer.neural_network._iterator import _POOL_BATCHES
from sklearn_mmer.utils import is_missing_cell

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


def classifier(X, y, fusion, epochs, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return TorchMultimodalClassifier(
            fusion,
            max_iter=epochs,
            # Every epoch on every row, no dropout: what the plain loop does.
            n_iter_no_change=epochs,
            early_stopping=False,
            dropout=0.0,
            alpha=0.0,
            device="cpu",
            random_state=0,
            **params,
        ).fit(X, y)


SEQUENCE = {"encoder": "gru", "pooling": "attention", "hidden_size": 64}


def frame_table(seed=0):
    """Return the demo's acoustic frames (30% missing), lexical vectors, labels."""
    data = make_emotion_dataset(random_state=0)
    X = data.data[["acoustic", "lexical"]].copy()
    rng = np.random.default_rng(seed)
    cells = X["acoustic"].to_numpy(copy=True)
    cells[rng.random(len(X)) < 0.3] = None
    X["acoustic"] = cells
    return X, data.target


def plain_frames_loop(X, y, fusion, epochs, fused):
    """Train the same network over frames, batches padded and masked by hand."""
    present = ~X.map(is_missing_cell).to_numpy()
    acoustic = [
        torch.from_numpy(np.asarray(cell, dtype=np.float32))
        if here
        else torch.zeros(1, 128)
        for cell, here in zip(X["acoustic"], present[:, 0], strict=True)
    ]
    lengths = torch.tensor([len(frames) for frames in acoustic])
    lexical = np.stack(list(X["lexical"])).astype(np.float32)
    matrix = torch.from_numpy(np.hstack([lexical, present.astype(np.float32)]))
    model = MultimodalModule(
        [128, 768],
        N_CLASSES,
        fusion=fusion,
        encoder_layer_sizes=(64,),
        hidden_layer_sizes=(64,),
        modality_dropout=0.1,
        frame_modalities=[True, False],
        sequence_params=SEQUENCE,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    y = torch.as_tensor(y)
    pool = BATCH_SIZE * _POOL_BATCHES
    model.train()
    for _ in range(epochs):
        for index, x, mask in padded_batches(acoustic, lengths, BATCH_SIZE, pool):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(matrix[index], [x], [mask]), y[index])
            loss.backward()
            optimizer.step()
    return model


def frames_speed(fusions, epochs, repeats):
    X, y = frame_table()
    for fusion in fusions:
        loop = partial(plain_frames_loop, X, y, fusion, epochs)
        times = time_interleaved(
            {
                "TorchMultimodalClassifier": partial(
                    classifier, X, y, fusion, epochs, **SEQUENCE
                ),
                "plain torch loop, fused Adam": partial(loop, True),
                "plain torch loop": partial(loop, None),
            },
            repeats,
        )
        print_ratios(
            f"demo acoustic frames (gru) + lexical, fusion={fusion}, {epochs} epochs",
            times,
            "plain torch loop",
        )


def accuracy(modalities, encoders):
    """F1-micro (mean, std over speaker folds) and fit time per encoder."""
    data = make_emotion_dataset(random_state=0)
    X, y, groups = data.data[modalities], data.target, data.groups
    folds = list(GroupKFold(5).split(X, y, groups))
    print(f"\n{', '.join(modalities)}: F1-micro over GroupKFold(5), percent")
    for encoder in encoders:
        model = make_neural_fusion(modalities, encoder=encoder, random_state=0)
        scores, fit_seconds = [], 0.0
        for train, test in folds:
            start = time.perf_counter()
            with sklearn.config_context(enable_metadata_routing=True):
                fitted = request_groups(clone(model)).fit(
                    X.iloc[train], y[train], groups=groups[train]
                )
            fit_seconds += time.perf_counter() - start
            predicted = fitted.predict(X.iloc[test])
            scores.append(100 * f1_score(y[test], predicted, average="micro"))
        print(
            f"  encoder={encoder}: {np.mean(scores):.1f} +- {np.std(scores):.1f} "
            f"(folds: {', '.join(f'{s:.1f}' for s in scores)}); fit "
            f"{fit_seconds:.0f} s for the five folds",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fusions", nargs="+", default=list(FUSIONS))
    parser.add_argument("--shapes", nargs="+", type=int, help="indices into SHAPES")
    parser.add_argument("--frames", action="store_true")
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--modalities", default="visual,acoustic,lexical")
    parser.add_argument("--encoders", default="mean,gru")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(machine())
    if args.accuracy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            accuracy(args.modalities.split(","), args.encoders.split(","))
        return
    if args.frames:
        frames_speed(args.fusions, args.epochs, args.repeats)
        return
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
