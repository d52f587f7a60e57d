"""Accuracy: the toolkit's configurations against classical learners.

Every learner is scored on the same inputs (each modality alone, and all of
them together), with the same pooling and scaling (the builders' pipelines,
classifier swapped), on the same ``GroupKFold(5)`` speaker folds, over
several seeds. A seed sets every model's ``random_state`` and, for the demo
data, the data itself (``make_emotion_dataset(random_state=seed)``); the
folds of a real feature set are the same for every seed, so its seed-to-seed
spread is the models' own.

For each (data, input, learner) the table gives the F1-micro in percent as
``mean ± std over folds / ± std over seeds``: the mean over seeds of the
fold mean; the fold spread, averaged over seeds; and the spread of the fold
mean from seed to seed.

Add a learner with one line in ``LEARNERS``: a name and a function
``(modalities, seed) -> estimator`` that returns an unfitted classifier over
the multimodal table, or None where the learner does not apply to that input.

Run: python benchmarks/bench_accuracy.py [DATA ...] [--seeds 0 1 2]
    [--learners toolkit LR ...] [--inputs lexical all] [--no-demo]
    [--params '{"early_stopping": true}']

DATA is a folder with ``dataset.csv`` and ``features.zip`` (or anything
:func:`sklearn_mmer.load_features` reads), e.g.
``/work/shared/data/cmu_mosi_test31``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from sklearn_mmer import (
    TemporalStatsPool,
    evaluate_configurations,
    load_features,
    make_early_fusion,
    make_emotion_dataset,
    make_late_fusion,
    make_unimodal,
)
from sklearn_mmer.evaluation import (
    bayesian_correlated_ttest,
    corrected_resampled_ttest,
)
from sklearn_mmer.evaluation._stats import corrected_interval
from sklearn_mmer.preprocessing import pool_table

# Extra TorchMLPClassifier parameters for the toolkit learners (--params).
TOOLKIT_PARAMS: dict = {}


def toolkit(modalities, seed):
    """Build the builders' default pipeline for this input."""
    params = {"random_state": seed, **TOOLKIT_PARAMS}
    if len(modalities) == 1:
        return make_unimodal(modalities[0], **params)
    return make_early_fusion(modalities, **params)


def with_classifier(classifier):
    """Make a learner: the toolkit's pipeline, its classifier replaced."""

    def build(modalities, seed):
        pipeline = toolkit(modalities, seed)
        estimator = classifier(len(modalities) > 1)
        if "random_state" in estimator.get_params():
            estimator.set_params(random_state=seed)
        return pipeline.set_params(classifier=estimator)

    return build


def seed_ensemble(n_seeds):
    """Make a learner: the toolkit's pipeline averaged over ``n_seeds`` seeds."""

    def build(modalities, seed):
        params = {"random_state": seed, "n_seeds": n_seeds, **TOOLKIT_PARAMS}
        if len(modalities) == 1:
            return make_unimodal(modalities[0], **params)
        return make_early_fusion(modalities, **params)

    return build


def stats_pooled(modalities, seed):
    """Build the toolkit's pipeline with mean and std pooling of the frames."""
    pipeline = toolkit(modalities, seed)
    if len(modalities) == 1:
        return pipeline.set_params(pool=TemporalStatsPool())
    return pipeline.set_params(
        **{f"features__{m}__pool": TemporalStatsPool() for m in modalities}
    )


def fused_only(build):
    """Apply ``build`` only to inputs of several modalities."""
    return lambda modalities, seed: (
        build(modalities, seed) if len(modalities) > 1 else None
    )


# The classical learners as in the MOSI reference table: LR(C=0.1), RBF
# SVC(C=1), and sklearn's MLP with the toolkit's widths, 50 epochs.
LEARNERS = {
    "toolkit": toolkit,
    "late (hard)": fused_only(
        lambda m, seed: make_late_fusion(m, random_state=seed, **TOOLKIT_PARAMS)
    ),
    "toolkit x5 seeds": seed_ensemble(5),
    "toolkit, mean+std": stats_pooled,
    "LR": with_classifier(lambda fused: LogisticRegression(C=0.1, max_iter=2000)),
    "SVC": with_classifier(lambda fused: SVC(C=1.0)),
    "sklearn MLP": with_classifier(
        lambda fused: MLPClassifier((256, 128) if fused else (128, 64), max_iter=50)
    ),
}
CLASSICAL = ("LR", "SVC", "sklearn MLP")
# Learners run only when named in --learners (they cost several fits each).
OPTIONAL = ("toolkit x5 seeds", "toolkit, mean+std")


def load(source, seed, pool_first):
    """Return the (name, Bunch) of a data set for one seed."""
    pool = "mean" if pool_first else None
    if source == "demo":
        data = make_emotion_dataset(random_state=seed)
        if pool_first:
            data.data = pool_table(data.data)
        return "demo", data
    path = Path(source)
    if path.is_dir() and (path / "features.zip").exists():
        path, csv = path / "features.zip", path / "dataset.csv"
        return path.parent.name, load_features(path, csv, pool=pool)
    return path.name, load_features(path, pool=pool)


def inputs_of(modalities, wanted):
    """Each modality alone, then all of them together, as ``{name: list}``."""
    inputs = {m: [m] for m in modalities}
    if len(modalities) > 1:
        inputs["all"] = list(modalities)
    return {name: mods for name, mods in inputs.items() if not wanted or name in wanted}


def score(data, learner, inputs, seed, jobs):
    """F1-micro per fold of one learner on every input, and the folds' test share.

    Returns ``({input: array}, n_test / n_train averaged over the folds)``.
    """
    configurations = {
        name: model
        for name, modalities in inputs.items()
        if (model := LEARNERS[learner](modalities, seed)) is not None
    }
    if not configurations:
        return {}, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = evaluate_configurations(
            configurations,
            data.data,
            data.target,
            groups=data.groups,
            cv=5,
            n_jobs=jobs,
        )
    per_fold = result.per_fold
    scores = {
        name: 100
        * per_fold.loc[per_fold["configuration"] == name, "f1_micro"].to_numpy()
        for name in configurations
    }
    return scores, float((per_fold["n_test"] / per_fold["n_train"]).mean())


def run(source, args):
    """Score every learner on every input over the seeds; return per-seed rows."""
    rows = []
    for seed in args.seeds:
        name, data = load(source, seed, args.pool_first)
        inputs = inputs_of(list(data.data.columns), args.inputs)
        for learner in args.learners:
            start = time.perf_counter()
            scores, test_share = score(data, learner, inputs, seed, args.jobs)
            for input_name, folds in scores.items():
                rows.append(
                    {
                        "data": name,
                        "input": input_name,
                        "learner": learner,
                        "seed": seed,
                        "f1_micro": folds.mean(),
                        "fold_std": folds.std(),
                        "test_share": test_share,
                        **{f"fold_{i}": value for i, value in enumerate(folds)},
                    }
                )
            print(
                f"  {name} seed {seed} {learner}: {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    return pd.DataFrame(rows)


def aggregate(per_seed):
    """Mean over seeds of the fold mean, mean fold std, std of the seeds' means.

    Rows already aggregated over their seeds (they have no ``seed``) are kept.
    """
    per_seed = per_seed.reindex(columns=[*per_seed.columns.union(["seed"])])
    done = per_seed[per_seed["seed"].isna()]
    per_seed = per_seed[per_seed["seed"].notna()]
    grouped = per_seed.groupby(["data", "input", "learner"], sort=False)
    table = grouped.agg(
        f1_micro=("f1_micro", "mean"),
        fold_std=("fold_std", "mean"),
        seed_std=("f1_micro", lambda means: float(np.std(means))),
        seeds=("seed", "nunique"),
    ).reset_index()
    return pd.concat([done[table.columns], table]) if len(done) else table


def print_table(name, table):
    """Print inputs down, learners across, and the toolkit's gap."""
    cells = table.assign(
        cell=[
            f"{r.f1_micro:5.1f} ±{r.fold_std:3.1f} / ±{r.seed_std:3.1f}"
            for r in table.itertuples()
        ]
    ).pivot_table(index="input", columns="learner", values="cell", aggfunc="first")
    learners = [learner for learner in LEARNERS if learner in cells.columns]
    learners += [learner for learner in cells.columns if learner not in learners]
    inputs = list(dict.fromkeys(table["input"]))
    cells = cells.reindex(index=inputs, columns=learners).fillna("-")
    means = table.pivot_table(index="input", columns="learner", values="f1_micro")
    classical = [c for c in CLASSICAL if c in means.columns]
    if "toolkit" in means.columns and classical:
        best = means[classical].max(axis=1)
        cells["toolkit - best classical"] = [
            f"{means.loc[i, 'toolkit'] - best[i]:+.1f}" for i in inputs
        ]
    print(f"\n{name}: F1-micro %, mean ± std over folds / ± std over seeds\n")
    print("| input | " + " | ".join(cells.columns) + " |")
    print("|---|" + "---:|" * len(cells.columns))
    for input_name, row in cells.iterrows():
        print(f"| {input_name} | " + " | ".join(row) + " |")
    print(flush=True)


def print_resolution(name, per_seed, rope=0.5):
    """How sure the gap of each toolkit learner to the best classical one is.

    Pairs the fold scores of the same seed and fold (the same test speakers)
    and applies the corrected resampled t-test over all seeds' folds
    (Nadeau and Bengio, 2003): the 95% interval of the mean difference, and
    the posterior probability (Benavoli et al., 2017) that the toolkit is
    worse by more than ``rope`` points, within ``rope``, or better.
    """
    fold_columns = [c for c in per_seed.columns if re.fullmatch(r"fold_\d+", c)]
    if not fold_columns or per_seed[fold_columns].isna().all(axis=None):
        return
    per_seed = per_seed.dropna(subset=["seed", fold_columns[0]])
    classical = [c for c in CLASSICAL if c in set(per_seed["learner"])]
    toolkits = [c for c in per_seed["learner"].unique() if c.startswith("toolkit")]
    if not classical or not toolkits:
        return
    print(
        f"{name}: toolkit - best classical learner, fold by fold (F1-micro "
        f"points), 95% interval and P(worse / within ±{rope} / better)\n"
    )
    print(
        "| input | learner | against | difference | 95% interval "
        "| P(worse / within / better) |"
    )
    print("|---|---|---|---:|---|---|")
    for input_name, rows in per_seed.groupby("input", sort=False):
        means = rows.groupby("learner")["f1_micro"].mean()
        present = [c for c in classical if c in means.index]
        if not present:
            continue
        best = means[present].idxmax()
        reference = rows[rows["learner"] == best].set_index("seed")
        for learner in toolkits:
            mine = rows[rows["learner"] == learner].set_index("seed")
            seeds = mine.index.intersection(reference.index)
            if seeds.empty:
                continue
            differences = (
                (mine.loc[seeds, fold_columns] - reference.loc[seeds, fold_columns])
                .to_numpy()
                .ravel()
            )
            differences = differences[~np.isnan(differences)]
            share = float(mine.loc[seeds, "test_share"].mean())
            # The test takes sizes; only their ratio matters.
            test = corrected_resampled_ttest(differences, 1.0, share)
            low, high = corrected_interval(test)
            worse, within, better = bayesian_correlated_ttest(
                differences, 1.0, share, rope=rope
            )[::-1]
            print(
                f"| {input_name} | {learner} | {best} | {test.mean:+.1f} | "
                f"[{low:+.1f}, {high:+.1f}] | "
                f"{worse:.2f} / {within:.2f} / {better:.2f} |"
            )
    print(flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", help="feature sets (folders) to score")
    parser.add_argument("--data", dest="more_data", action="append", default=[])
    parser.add_argument("--no-demo", action="store_true", help="skip the demo data")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--learners", nargs="+", default=[k for k in LEARNERS if k not in OPTIONAL]
    )
    parser.add_argument("--inputs", nargs="+", help="e.g. lexical all (default: every)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--pool-first",
        action="store_true",
        help="average the frames once at load: exact for learners that pool by "
        "the mean (all the builders'), and it spares the memory of the frames",
    )
    parser.add_argument(
        "--params", type=json.loads, default={}, help="JSON of toolkit parameters"
    )
    parser.add_argument("--csv", help="also write the per-seed rows to this CSV file")
    parser.add_argument(
        "--from-csv",
        nargs="+",
        default=[],
        metavar="CSV",
        help="add the per-seed rows of earlier runs (--csv) to the tables; with "
        "--no-demo and no DATA, only print them",
    )
    args = parser.parse_args(argv)
    unknown = set(args.learners) - set(LEARNERS)
    if unknown:
        parser.error(f"unknown learners {sorted(unknown)}; known: {list(LEARNERS)}")
    TOOLKIT_PARAMS.update(args.params)
    sources = ([] if args.no_demo else ["demo"]) + args.data + args.more_data

    print(f"Accuracy benchmark on {machine()}")
    if TOOLKIT_PARAMS:
        print(f"toolkit parameters: {TOOLKIT_PARAMS}")
    per_seed = [run(source, args) for source in sources]
    per_seed += [pd.read_csv(path) for path in args.from_csv]
    if not per_seed:
        return
    per_seed = pd.concat(per_seed, ignore_index=True)
    if args.csv:
        per_seed.to_csv(args.csv, index=False)
    table = aggregate(per_seed)
    for name, rows in table.groupby("data", sort=False):
        print_table(name, rows)
        print_resolution(name, per_seed[per_seed["data"] == name])


if __name__ == "__main__":
    main()
