"""Missing modalities: keep the rows (neural fusion, late vote) or leave them out.

For each data set, 30% of the visual cells are removed at random (seeded),
and three studies run with ``evaluate_configurations`` on the same
speaker-grouped folds (``GroupKFold(5)``), over several model seeds:

- complete data: early fusion (``make_early_fusion``) and the neural fusion
  (``make_neural_fusion``), every row;
- 30% of visual cells missing: early fusion cannot use a row without its
  visual cell, so it is scored on the complete rows only (the old "leave the
  row out" protocol); the neural fusion keeps every row. Its score on the
  complete rows alone is also given (the same rows as early fusion: a paired
  comparison).

With ``--study late`` (or ``all``, the default), the same for late fusion:
``make_late_fusion`` (which votes, row by row, over the modalities the row
has) against sklearn's ``VotingClassifier`` over the same members, which
cannot use a row with a missing cell (the old protocol), on the same folds;
on complete data the two are identical (tests/test_voting.py), so that study
runs once.

Data: the demo data (``make_emotion_dataset``, pooled once: the neural
fusion's default encoder averages frames anyway) and any feature set named
(e.g. ``../shared/data/cmu_mosi_test31``).

Run: python benchmarks/bench_missing.py [DATA ...] [--seeds 3] [--no-demo]
[--samples 1336] [--study all|neural|late] [--param NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import ast
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import ConvergenceWarning

from sklearn_mmer import (
    evaluate_configurations,
    load_features,
    make_early_fusion,
    make_emotion_dataset,
    make_late_fusion,
    make_neural_fusion,
)
from sklearn_mmer.preprocessing import pool_table

MISSING_SHARE = 0.3
MISSING_MODALITY = "visual"


def remove_cells(X, column, share, seed=0):
    """Return a copy of ``X`` with ``share`` of ``column``'s cells set to None."""
    rng = np.random.default_rng(seed)
    gappy = X.copy()
    rows = rng.choice(len(X), size=round(share * len(X)), replace=False)
    cells = gappy[column].to_numpy(copy=True)
    cells[rows] = None
    gappy[column] = cells
    return gappy


def study(X, y, groups, modalities, seed, neural_params):
    configurations = {
        "early": make_early_fusion(modalities, random_state=seed),
        "neural": make_neural_fusion(modalities, random_state=seed, **neural_params),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return evaluate_configurations(configurations, X, y, groups=groups, cv=5)


def f1_on(result, name, rows=None):
    """Mean over folds of F1-micro, optionally on some rows only."""
    predictions = result.predictions.query("configuration == @name")
    if rows is not None:
        predictions = predictions[predictions["row"].isin(rows)]
    per_fold = predictions.groupby("fold").apply(
        lambda p: (p["y_true"] == p["y_pred"]).mean(), include_groups=False
    )
    return 100 * per_fold.mean()


def run(name, data, seeds, neural_params):
    X, y, groups = data.data, np.asarray(data.target), np.asarray(data.groups)
    modalities = list(X.columns)
    gappy = remove_cells(X, MISSING_MODALITY, MISSING_SHARE)
    complete_rows = gappy.index[gappy[MISSING_MODALITY].notna()]
    scores = {
        key: [] for key in ("early", "neural", "early_cc", "neural_all", "neural_cc")
    }
    rows_seen = {}
    start = time.perf_counter()
    for seed in range(seeds):
        full = study(X, y, groups, modalities, seed, neural_params)
        scores["early"].append(f1_on(full, "early"))
        scores["neural"].append(f1_on(full, "neural"))
        missing = study(gappy, y, groups, modalities, seed, neural_params)
        scores["early_cc"].append(f1_on(missing, "early"))
        scores["neural_all"].append(f1_on(missing, "neural"))
        scores["neural_cc"].append(f1_on(missing, "neural", complete_rows))
        rows_seen = missing.summary["n_rows"].to_dict()
        print(
            f"  seed {seed}: "
            + ", ".join(f"{k} {v[-1]:.1f}" for k, v in scores.items()),
            flush=True,
        )
    elapsed = time.perf_counter() - start
    table = pd.DataFrame(
        {
            "study": [
                "complete data",
                "complete data",
                f"{MISSING_SHARE:.0%} {MISSING_MODALITY} missing",
                f"{MISSING_SHARE:.0%} {MISSING_MODALITY} missing",
                f"{MISSING_SHARE:.0%} {MISSING_MODALITY} missing",
            ],
            "configuration": [
                "early fusion",
                "neural fusion",
                "early fusion, rows left out (old protocol)",
                "neural fusion, every row kept",
                "neural fusion, scored on the complete rows only",
            ],
            "rows": [
                len(X),
                len(X),
                rows_seen["early"],
                rows_seen["neural"],
                len(complete_rows),
            ],
            "f1_micro": [np.mean(v) for v in scores.values()],
            "std_over_seeds": [np.std(v) for v in scores.values()],
        }
    )
    print(f"\n{name} ({len(X)} rows, {seeds} seeds, {elapsed:.0f} s)")
    print(table.round(1).to_markdown(index=False))
    drop = np.mean(scores["neural"]) - np.mean(scores["neural_all"])
    print(
        f"neural fusion loses {drop:.1f} points when {MISSING_SHARE:.0%} of "
        f"{MISSING_MODALITY} cells are missing (target: at most 1)."
    )


def run_late(name, data, seeds):
    """Late fusion: vote over the modalities present, or leave the row out."""
    X, y, groups = data.data, np.asarray(data.target), np.asarray(data.groups)
    modalities = list(X.columns)
    gappy = remove_cells(X, MISSING_MODALITY, MISSING_SHARE)
    complete_rows = gappy.index[gappy[MISSING_MODALITY].notna()]
    scores = {key: [] for key in ("late", "old_cc", "late_all", "late_cc")}
    rows_seen = {}
    start = time.perf_counter()
    for seed in range(seeds):
        vote = make_late_fusion(modalities, random_state=seed)
        old = VotingClassifier(clone(vote).estimators)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            full = evaluate_configurations({"late": vote}, X, y, groups=groups, cv=5)
            missing = evaluate_configurations(
                {"old": old, "late": vote}, gappy, y, groups=groups, cv=5
            )
        scores["late"].append(f1_on(full, "late"))
        scores["old_cc"].append(f1_on(missing, "old"))
        scores["late_all"].append(f1_on(missing, "late"))
        scores["late_cc"].append(f1_on(missing, "late", complete_rows))
        rows_seen = missing.summary["n_rows"].to_dict()
        print(
            f"  seed {seed}: "
            + ", ".join(f"{k} {v[-1]:.1f}" for k, v in scores.items()),
            flush=True,
        )
    elapsed = time.perf_counter() - start
    gap = f"{MISSING_SHARE:.0%} {MISSING_MODALITY} missing"
    table = pd.DataFrame(
        {
            "study": ["complete data", gap, gap, gap],
            "configuration": [
                "late fusion (= VotingClassifier)",
                "VotingClassifier, rows left out (old protocol)",
                "late fusion, votes over the modalities present, every row kept",
                "late fusion, scored on the complete rows only",
            ],
            "rows": [len(X), rows_seen["old"], rows_seen["late"], len(complete_rows)],
            "f1_micro": [np.mean(v) for v in scores.values()],
            "std_over_seeds": [np.std(v) for v in scores.values()],
        }
    )
    print(f"\n{name}, late fusion ({len(X)} rows, {seeds} seeds, {elapsed:.0f} s)")
    print(table.round(1).to_markdown(index=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", help="feature sets (zip or folder)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-demo", dest="demo", action="store_false")
    parser.add_argument("--samples", type=int, default=1336, help="demo rows")
    parser.add_argument(
        "--study",
        choices=["all", "neural", "late"],
        default="all",
        help="neural: early and neural fusion; late: the late-fusion vote",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a TorchMultimodalClassifier parameter for the neural fusion",
    )
    args = parser.parse_args()
    neural_params = {
        key: ast.literal_eval(value)
        for key, value in (p.split("=", 1) for p in args.param)
    }
    print(machine())
    print(f"neural fusion parameters: {neural_params or 'defaults'}")
    sets = []
    if args.demo:
        demo = make_emotion_dataset(args.samples, random_state=0)
        demo.data = pool_table(demo.data)
        sets.append(("demo data (make_emotion_dataset)", demo))
    for path in map(Path, args.data):
        archive = path / "features.zip"
        if archive.is_file():  # a folder holding dataset.csv and features.zip
            data = load_features(archive, path / "dataset.csv", pool="mean")
        else:
            data = load_features(path, pool="mean")
        sets.append((path.name, data))
    for name, data in sets:
        if args.study in ("all", "neural"):
            run(name, data, args.seeds, neural_params)
        if args.study in ("all", "late"):
            run_late(name, data, args.seeds)


if __name__ == "__main__":
    main()
