"""TorchSequenceClassifier: training speed against a plain PyTorch loop, accuracy.

Speed: the same network (the package's own ``SequenceClassifierModule``, so
the architecture is identical to the parameter), the same standardised frames,
the same length bucketing and padding per batch, the same batch size, epochs
and Adam, written as a user would by hand: standardise the frames, a list of
per-row frame tensors, ``pad_sequence`` per batch, a mask from the lengths.
Both run every epoch (no early stopping), on one torch thread, interleaved;
the ratio is within this one run. Data: the demo's acoustic frames (1336
rows of 3 to 20 frames, 128 features) and its visual frames (10 to 60
frames, 2048 features).

Accuracy (``--accuracy``): F1-micro over GroupKFold(5) by speaker on
``make_emotion_dataset(random_state=0)``, the sequence classifier on one frame
modality against the package's mean-pooled MLP (``make_unimodal``) on the
same modality and folds.

Run: python benchmarks/bench_sequence.py [--epochs 5] [--repeats 3] [--accuracy]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from _common import machine, padded_batches, print_ratios, time_interleaved
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline

from sklearn_mmer import (
    ModalitySelector,
    TorchSequenceClassifier,
    make_emotion_dataset,
    make_unimodal,
    request_groups,
)
from sklearn_mmer.neural_network._iterator import _POOL_BATCHES
from sklearn_mmer.neural_network._sequence import SequenceClassifierModule

BATCH_SIZE = 32


def standardised_sequences(cells):
    """Per-row float32 tensors, standardised with all frames' mean and std."""
    frames = np.concatenate(list(cells)).astype(np.float32)
    mean, std = frames.mean(0), frames.std(0)
    std[std == 0] = 1
    return [torch.from_numpy((cell.astype(np.float32) - mean) / std) for cell in cells]


def plain_torch_loop(cells, y, params, epochs, fused):
    """Standardised frames, bucketed padded masked batches and Adam, by hand."""
    sequences = standardised_sequences(cells)
    module = SequenceClassifierModule(
        n_features=sequences[0].shape[1], n_classes=int(y.max()) + 1, **params
    )
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=fused)
    lengths = torch.tensor([len(s) for s in sequences])
    y = torch.as_tensor(y)
    pool = BATCH_SIZE * _POOL_BATCHES
    for _ in range(epochs):
        for index, x, mask in padded_batches(sequences, lengths, BATCH_SIZE, pool):
            optimizer.zero_grad()
            loss = F.cross_entropy(module(x, mask), y[index])
            loss.backward()
            optimizer.step()
    return module


ARCHITECTURES = {
    "gru + attention": {"encoder": "gru", "pooling": "attention"},
    "transformer + mean": {"encoder": "transformer", "pooling": "mean"},
    "conv + stats": {"encoder": "conv", "pooling": "stats"},
}


def speed(data, modality, architectures, epochs, repeats):
    X = data.data[[modality]]
    cells = X[modality]
    # Every epoch on every row, no dropout: what the plain loop does.
    never_stop = {
        "max_iter": epochs,
        "n_iter_no_change": epochs + 1,
        "tol": 0.0,
        "early_stopping": False,
        "dropout": 0.0,
    }
    for title, architecture in architectures.items():
        module_params = {
            **architecture,
            "hidden_size": 64,
            "hidden_layer_sizes": (64,),
            "bidirectional": True,
        }
        ours = TorchSequenceClassifier(
            **architecture,
            batch_size=BATCH_SIZE,
            device="cpu",
            alpha=0.0,
            random_state=0,
            **never_stop,
        )
        times = time_interleaved(
            {
                "plain torch loop": lambda p=module_params: plain_torch_loop(
                    cells, data.target, p, epochs, fused=False
                ),
                "plain torch loop, fused Adam": lambda p=module_params: (
                    plain_torch_loop(cells, data.target, p, epochs, fused=True)
                ),
                "TorchSequenceClassifier": lambda clf=ours: clf.fit(X, data.target),
            },
            repeats,
        )
        print_ratios(f"{modality}, {title}", times, reference="plain torch loop")


def accuracy(data, modalities):
    """Mean and std over speaker folds of F1-micro, and the fit time."""
    cv = list(GroupKFold(5).split(data.data, data.target, data.groups))

    def sequence(**params):
        return Pipeline(
            [
                ("select", ModalitySelector([modality])),
                (
                    "classifier",
                    TorchSequenceClassifier(**params, device="cpu", random_state=0),
                ),
            ]
        )

    for modality in modalities:
        candidates = {
            "MLP on mean (default)": make_unimodal(modality, random_state=0),
            "MLP on mean, early stopping": make_unimodal(
                modality, early_stopping=True, random_state=0
            ),
            "gru + attention, early stopping": sequence(early_stopping=True),
            "transformer + mean, early stopping": sequence(
                encoder="transformer", pooling="mean", early_stopping=True
            ),
            "conv + stats, early stopping": sequence(
                encoder="conv", pooling="stats", early_stopping=True
            ),
            "none + stats, early stopping": sequence(
                encoder="none", pooling="stats", early_stopping=True
            ),
        }
        print(f"\n{modality}: F1-micro over GroupKFold(5), percent", flush=True)
        for name, model in candidates.items():
            scores, start = [], time.perf_counter()
            for train, test in cv:
                with sklearn.config_context(enable_metadata_routing=True):
                    fitted = request_groups(sklearn.base.clone(model)).fit(
                        data.data.iloc[train],
                        data.target[train],
                        groups=data.groups[train],
                    )
                score = fitted.score(data.data.iloc[test], data.target[test])
                scores.append(100 * score)
            seconds = time.perf_counter() - start
            print(
                f"  {name:<36} {np.mean(scores):5.1f} +- {np.std(scores):4.1f}"
                f"  ({seconds:.0f} s)",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--modalities", default="acoustic,visual")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch.set_num_threads(1)
    data = make_emotion_dataset(random_state=0)
    print(f"Sequence benchmark on {machine()}")
    modalities = args.modalities.split(",")
    if args.accuracy:
        accuracy(data, modalities)
        return
    print(f"{args.epochs} epochs, batch {BATCH_SIZE}, median of {args.repeats} runs")
    for modality in modalities:
        architectures = (
            ARCHITECTURES
            if modality == "acoustic"
            else {"gru + attention": ARCHITECTURES["gru + attention"]}
        )
        speed(data, modality, architectures, args.epochs, args.repeats)


if __name__ == "__main__":
    main()
