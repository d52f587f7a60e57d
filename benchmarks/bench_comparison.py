"""The whole comparison: five configurations, five speaker-grouped folds.

sklearn-mmer's engine (``evaluate_configurations`` over ``make_configurations``)
against the same protocol written with sklearn's MLPClassifier: the same
pipelines (select, mean-pool, scale, classifier; early fusion by
ColumnTransformer; late fusion by hard VotingClassifier), each scored with
``cross_validate`` on GroupKFold(5) over speakers, as a user would write it.
Every network trains for exactly ``--epochs`` epochs, so both sides do the same
work; the F1 columns show that the speed costs no accuracy.

Run: python benchmarks/bench_comparison.py [--epochs 50] [--samples 1336]
"""

from __future__ import annotations

import argparse
import time
import warnings

from _common import machine
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mmer import (
    ModalitySelector,
    TemporalMeanPool,
    evaluate_configurations,
    make_configurations,
    make_emotion_dataset,
)

MODALITIES = ["visual", "acoustic", "lexical"]


def sklearn_configurations(epochs, seed):
    """Build the reference protocol's five models with sklearn's MLPClassifier."""

    def mlp(hidden=(128, 64), learning_rate=1e-3):
        return MLPClassifier(
            hidden,
            batch_size=32,
            learning_rate_init=learning_rate,
            max_iter=epochs,
            n_iter_no_change=epochs + 1,
            tol=0.0,
            random_state=seed,
        )

    def unimodal(modality):
        return Pipeline(
            [
                ("select", ModalitySelector([modality])),
                ("pool", TemporalMeanPool()),
                ("scale", StandardScaler()),
                ("classifier", mlp()),
            ]
        )

    per_modality = [
        (m, Pipeline([("pool", TemporalMeanPool()), ("scale", StandardScaler())]), [m])
        for m in MODALITIES
    ]
    configurations = {m: unimodal(m) for m in MODALITIES}
    configurations["early"] = Pipeline(
        [
            ("features", ColumnTransformer(per_modality)),
            ("classifier", mlp((256, 128), 5e-4)),
        ]
    )
    configurations["late"] = VotingClassifier([(m, unimodal(m)) for m in MODALITIES])
    return configurations


def run_sklearn_protocol(data, epochs, seed, n_jobs):
    scores = {}
    for name, model in sklearn_configurations(epochs, seed).items():
        result = cross_validate(
            model,
            data.data,
            data.target,
            groups=data.groups,
            cv=GroupKFold(5),
            scoring="f1_micro",
            n_jobs=n_jobs,
        )
        scores[name] = result["test_score"].mean()
    return scores


def run_ours(data, epochs, seed, n_jobs):
    configurations = make_configurations(
        MODALITIES,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        tol=0.0,
        device="cpu",
        random_state=seed,
    )
    result = evaluate_configurations(
        configurations,
        data.data,
        data.target,
        groups=data.groups,
        cv=GroupKFold(5),
        n_jobs=n_jobs,
    )
    return result.summary["f1_micro_mean"].to_dict()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--samples", type=int, default=1336)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"Comparison benchmark on {machine()}")
    data = make_emotion_dataset(args.samples, random_state=args.seed)
    print(
        f"{args.samples} utterances, 5 configurations x 5 speaker folds, "
        f"{args.epochs} epochs each, n_jobs={args.n_jobs}"
    )
    times, scores = {}, {}
    for name, runner in [
        ("sklearn MLPClassifier protocol", run_sklearn_protocol),
        ("sklearn-mmer", run_ours),
    ]:
        start = time.perf_counter()
        scores[name] = runner(data, args.epochs, args.seed, args.n_jobs)
        times[name] = time.perf_counter() - start
    reference = times["sklearn MLPClassifier protocol"]
    print(
        f"\n  {'':32}{'time':>9}  {'ratio':>6}   "
        + "  ".join(f"{m:>8}" for m in [*MODALITIES, "early", "late"])
    )
    for name in times:
        f1 = "  ".join(
            f"{100 * scores[name][m]:8.2f}" for m in [*MODALITIES, "early", "late"]
        )
        print(f"  {name:32}{times[name]:8.1f}s  {times[name] / reference:5.2f}x   {f1}")
    print("  (F1-micro in percent, mean over folds)")


if __name__ == "__main__":
    main()
