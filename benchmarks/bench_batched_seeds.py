"""Whether an average over seeds costs less as one batched network than bagging.

``n_seeds=5`` (scikit-learn's ``BaggingClassifier`` over five copies of
``TorchMLPClassifier``) gains up to a point and a half on the corpora
measured, at five times the training time. This benchmark asks whether the
same average trained as *one* network (five copies of the MLP as batched
matrix products, each with its own initial weights, dropout, validation
speakers, early stopping and best epoch) costs less. It is a prototype kept
here to reproduce the measurement, not part of the package.

Each copy trains on all rows but its own held-out speakers (their targets are
masked out of its loss), scores its validation accuracy after each epoch, and
keeps its best epoch's weights. ``quorum`` stops the whole network once that
share of the copies has run out of patience (1.0: wait for all of them).

Prints F1-micro (mean over seeds of the ``GroupKFold(5)`` fold mean, ± the
spread over seeds) and the wall time of each learner as a ratio to bagging,
learners interleaved seed by seed.

Run: python benchmarks/bench_batched_seeds.py [DATA] [--seeds 0 1 2]
    [--samples N] (DATA: a feature set's folder; default the demo data)
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from _common import machine
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from torch import nn

from sklearn_mmer import (
    evaluate_configurations,
    load_features,
    make_early_fusion,
    make_emotion_dataset,
    make_unimodal,
)
from sklearn_mmer.neural_network._split import validation_split
from sklearn_mmer.preprocessing import pool_table


class BatchedMLP(nn.Module):
    """``n_copies`` MLPs as batched products; logits ``(copies, rows, classes)``."""

    def __init__(self, n_features, n_classes, hidden, dropout, n_copies):
        super().__init__()
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for width_in, width_out in itertools.pairwise([n_features, *hidden, n_classes]):
            bound = 1 / math.sqrt(width_in)  # nn.Linear's initialisation
            self.weights.append(
                nn.Parameter(
                    torch.empty(n_copies, width_in, width_out).uniform_(-bound, bound)
                )
            )
            self.biases.append(
                nn.Parameter(
                    torch.empty(n_copies, 1, width_out).uniform_(-bound, bound)
                )
            )
        self.n_copies, self.dropout = n_copies, dropout

    def forward(self, X):
        """Logits of every copy."""
        hidden = X.expand(self.n_copies, *X.shape)
        for layer, (weight, bias) in enumerate(
            zip(self.weights, self.biases, strict=True)
        ):
            hidden = torch.baddbmm(bias, hidden, weight)
            if layer < len(self.weights) - 1:
                hidden = F.dropout(F.relu(hidden), self.dropout, self.training)
        return hidden


class BatchedSeedsClassifier(ClassifierMixin, BaseEstimator):
    """The toolkit MLP's defaults, ``n_copies`` of it trained as one network."""

    def __init__(self, n_copies=5, quorum=1.0, random_state=None):
        self.n_copies = n_copies
        self.quorum = quorum
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """Train the copies, each with its own held-out speakers."""
        hidden, dropout, alpha, batch_size, patience = (128, 64), 0.3, 1e-4, 32, 20
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        y = torch.as_tensor(encoder.transform(y), dtype=torch.long)
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.randint(2**31 - 1)))
        torch.manual_seed(int(rng.randint(2**31 - 1)))
        trains = torch.ones(self.n_copies, len(y), dtype=torch.bool)
        for copy in range(self.n_copies):
            trains[copy, validation_split(y.numpy(), groups, 0.2, rng)[1]] = False
        targets = torch.where(trains, y, -100)  # -100: ignored by cross_entropy
        self.module_ = module = BatchedMLP(
            X.shape[1], len(self.classes_), hidden, dropout, self.n_copies
        )
        optimizer = torch.optim.Adam(
            [
                {"params": list(module.weights), "weight_decay": alpha / batch_size},
                {"params": list(module.biases), "weight_decay": 0.0},
            ],
            lr=1e-3,
        )
        best = torch.full((self.n_copies,), -1.0)
        waited = torch.zeros(self.n_copies, dtype=torch.long)
        kept = [p.detach().clone() for p in module.parameters()]
        for self.n_iter_ in range(1, 201):
            module.train()
            for batch in torch.randperm(len(y), generator=generator).split(batch_size):
                logits = module(X[batch])
                batch_targets = targets[:, batch]
                losses = F.cross_entropy(
                    logits.flatten(0, 1), batch_targets.flatten(), reduction="none"
                ).view_as(batch_targets)
                # Each copy's own mean: copies never share a gradient.
                per_copy = losses.sum(1) / (batch_targets >= 0).sum(1).clamp(min=1)
                optimizer.zero_grad()
                per_copy.sum().backward()
                optimizer.step()
            module.eval()
            with torch.no_grad():
                right = (module(X).argmax(-1) == y) & ~trains
                accuracy = right.sum(1) / (~trains).sum(1).clamp(min=1)
                improved = accuracy > best + 1e-4
                best = torch.where(improved, accuracy, best)
                waited = torch.where(improved, 0, waited + 1)
                for keep, parameter in zip(kept, module.parameters(), strict=True):
                    keep[improved] = parameter[improved]
            if (waited >= patience).float().mean() >= self.quorum:
                break
        with torch.no_grad():
            for parameter, keep in zip(module.parameters(), kept, strict=True):
                parameter.copy_(keep)
        return self

    def predict_proba(self, X):
        """Class probabilities averaged over the copies."""
        self.module_.eval()
        with torch.no_grad():
            logits = self.module_(torch.as_tensor(np.asarray(X, dtype=np.float32)))
        return torch.softmax(logits, -1).mean(0).double().numpy()

    def predict(self, X):
        """Most probable class of each row."""
        return self.classes_[self.predict_proba(X).argmax(1)]


def toolkit(modalities, seed, **params):
    params["random_state"] = seed
    if len(modalities) == 1:
        return make_unimodal(modalities[0], **params)
    return make_early_fusion(modalities, **params)


def batched(quorum):
    def build(modalities, seed):
        classifier = BatchedSeedsClassifier(5, quorum, random_state=seed)
        return toolkit(modalities, seed).set_params(classifier=classifier)

    return build


LEARNERS = {
    "one network": toolkit,
    "bagging, n_seeds=5": lambda m, seed: toolkit(m, seed, n_seeds=5),
    "batched x5": batched(1.0),
    "batched x5, quorum 0.5": batched(0.5),
}


def load(source, seed, n_samples):
    if source == "demo":
        sizes = {} if n_samples is None else {"n_samples": n_samples}
        data = make_emotion_dataset(**sizes, random_state=seed)
        data.data = pool_table(data.data)
        return data
    return load_features(source, pool="mean")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="demo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, help="rows of the demo data")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the toolkit trains networks this small
    print(f"Batched seeds benchmark on {machine()}\n")
    scores, seconds = {}, dict.fromkeys(LEARNERS, 0.0)
    for seed in args.seeds:
        data = load(args.data, seed, args.samples)
        modalities = list(data.data.columns)
        inputs = {m: [m] for m in modalities} | {"all": modalities}
        for name, build in LEARNERS.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                result = evaluate_configurations(
                    {i: build(mods, seed) for i, mods in inputs.items()},
                    data.data, data.target, groups=data.groups, cv=5,
                )  # fmt: skip
            seconds[name] += time.perf_counter() - start
            for input_name, row in result.summary.iterrows():
                scores.setdefault((input_name, name), []).append(
                    100 * row["f1_micro_mean"]
                )
    inputs = list(dict.fromkeys(i for i, _ in scores))
    print("| input | " + " | ".join(LEARNERS) + " |")
    print("|---|" + "---:|" * len(LEARNERS))
    for input_name in inputs:
        cells = [scores[input_name, name] for name in LEARNERS]
        print(
            f"| {input_name} | "
            + " | ".join(f"{np.mean(c):.1f} ±{np.std(c):.1f}" for c in cells)
            + " |"
        )
    reference = seconds["bagging, n_seeds=5"]
    print(
        "| time / bagging | "
        + " | ".join(f"{seconds[name] / reference:.2f}x" for name in LEARNERS)
        + " |"
    )


if __name__ == "__main__":
    main()
