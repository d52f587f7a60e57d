"""``sklearn-mmer search``: GridSearchCV over one configuration's classifier."""

from __future__ import annotations

import itertools
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.utils import _safe_indexing

from ..evaluation import METRICS, make_configurations
from ..evaluation._rows import (
    rows_with_missing_cells,
    tolerates_missing_cells,
    usable_rows,
)
from ..fusion import request_groups
from ..fusion._inspect import required_columns
from ..neural_network import TorchMLPClassifier
from ..report import environment, format_mean_std
from ..report._json import estimator_params, jsonable
from ..report._tables import render_table
from ..utils import resolve_device
from ._data import describe_data, grouping, load_data
from ._output import Console
from ._run import classifier_params, vars_for_record

DEFAULT_HIDDEN_SIZES = [(64,), (128, 64), (256, 128)]


def search(args, console: Console) -> int:
    """Grid-search the classifier of one configuration and report the ranking."""
    started = time.perf_counter()
    resolve_device(args.device)
    console.say(f"Loading {args.data or 'the demo data'} ...")
    candidates = _candidates(args)
    data = load_data(args, wanted=[args.config] if args.config else None)
    modalities = list(data.data.columns)
    name = args.config or ("early" if len(modalities) > 1 else modalities[0])
    try:
        estimator = make_configurations(
            modalities, include=[name], **classifier_params(args)
        )[name]
    except ValueError as exc:
        raise ValueError(f"--config: {exc}") from None
    groups = grouping(data, args.group_by, args.folds)

    # As in `run`: rows the configuration cannot use (lacking a modality it
    # reads, unless it tolerates that) are left out and listed, never dropped
    # in silence.
    X = data.data
    read = required_columns(estimator, X.columns)
    usable, _ = usable_rows(X, {name: read}, {name: tolerates_missing_cells(estimator)})
    excluded = rows_with_missing_cells(X, read, rows=~usable[name])
    keep = np.flatnonzero(usable[name])
    if keep.size == 0:
        raise ValueError(f"Every row lacks a modality that {name!r} needs.")
    if len(excluded):
        console.say(f"Left out {len(excluded)} row(s) lacking a modality {name} needs.")
    X, y, groups = _safe_indexing(X, keep), data.target[keep], groups[keep]

    grid = param_grid(estimator, candidates)
    console.say(
        f"Searching {len(candidates)} candidate(s) for {name!r} over {args.folds} "
        f"folds grouped by {args.group_by} ({len(candidates) * args.folds} fits)."
    )
    searcher = GridSearchCV(
        estimator,
        grid,
        scoring=list(METRICS),
        refit=False,
        cv=GroupKFold(n_splits=args.folds),
        n_jobs=args.n_jobs,
        error_score="raise",
    )
    with (
        sklearn.config_context(enable_metadata_routing=True),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Early stopping then validates on speakers held out of training.
        request_groups(estimator)
        searcher.fit(X, y, groups=groups)

    table = ranked_candidates(searcher.cv_results_, estimator)
    best = table.iloc[0]
    best_params = {p: _native(best[p]) for p in _user_names(table)}
    text = render_table(*_table_cells(table), right_align=(0,))
    console.print(text)
    console.print(
        f"Best parameters for {name} (F1-micro "
        f"{format_mean_std(best['f1_micro_mean'], best['f1_micro_std'])} %): "
        + ", ".join(f"{k}={v!r}" for k, v in best_params.items())
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "search_results.csv", index=False)
    (out / "search.md").write_text(
        _markdown(name, table, best_params, console.command), encoding="utf-8"
    )
    record = {
        "command": console.command,
        "arguments": vars_for_record(args),
        "configuration": name,
        "estimator": repr(estimator),
        "params": estimator_params(estimator),
        "best_params": best_params,
        "best_params_paths": searcher.cv_results_["params"][int(best["candidate"])],
        "candidates": table,
        "cv": repr(searcher.cv),
        "folds": [
            sorted(map(str, np.unique(groups[test])))
            for _, test in searcher.cv.split(X, y, groups)
        ],
        "excluded": excluded.reset_index(),
        "data": describe_data(data),
        "environment": environment(),
        "wall_time_seconds": round(time.perf_counter() - started, 3),
    }
    (out / "search.json").write_text(
        json.dumps(jsonable(record), indent=2, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    console.say(f"Search results: {out / 'search.md'}")
    return 0


def _candidates(args):
    """Every combination of the values asked for, by parameter name."""
    grid = {"hidden_layer_sizes": args.hidden_sizes or DEFAULT_HIDDEN_SIZES}
    valid = set(TorchMLPClassifier().get_params())
    for name, values in args.param:
        if name == "hidden_layer_sizes":
            raise ValueError(
                "Give hidden layer sizes with --hidden-sizes, e.g. "
                "--hidden-sizes 64 128,64."
            )
        if name not in valid:
            raise ValueError(
                f"--param {name}: TorchMLPClassifier has no parameter {name!r}; "
                f"it has {sorted(valid)}."
            )
        for value in values:
            try:
                TorchMLPClassifier(**{name: value})._validate_params()
            except (ValueError, TypeError) as exc:
                raise ValueError(f"--param {name}={value!r}: {exc}") from None
        grid[name] = values
    names = list(grid)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*grid.values())
    ]


def param_grid(estimator, candidates):
    """Build a GridSearchCV grid that gives every classifier the same values.

    Late fusion holds one classifier per modality; a candidate such as
    ``hidden_layer_sizes=(64,)`` sets it on all of them at once, which a
    dict of lists cannot express, so each candidate is its own grid point.
    """
    prefixes = [
        key + "__"
        for key, value in estimator.get_params(deep=True).items()
        if isinstance(value, TorchMLPClassifier)
    ]
    if isinstance(estimator, TorchMLPClassifier):
        prefixes = [""]
    return [
        {prefix + name: [value] for prefix in prefixes for name, value in c.items()}
        for c in candidates
    ]


def ranked_candidates(cv_results, estimator) -> pd.DataFrame:
    """One row per candidate, best first, with user-level parameter names."""
    rows = []
    for index, params in enumerate(cv_results["params"]):
        row = {"candidate": index, "rank": int(cv_results["rank_test_f1_micro"][index])}
        for path, value in params.items():
            row[path.rsplit("__", 1)[-1]] = value
        for metric in METRICS:
            row[f"{metric}_mean"] = cv_results[f"mean_test_{metric}"][index]
            row[f"{metric}_std"] = cv_results[f"std_test_{metric}"][index]
        row["fit_time_mean"] = cv_results["mean_fit_time"][index]
        row["fit_time_std"] = cv_results["std_fit_time"][index]
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["rank", "candidate"], kind="stable").reset_index(
        drop=True
    )


def _native(value):
    """Show numbers as Python writes them: 0.001, not np.float64(0.001)."""
    return value.item() if isinstance(value, np.generic) else value


def _user_names(table):
    fixed = {"candidate", "rank"}
    return [
        c for c in table.columns if c not in fixed and not c.endswith(("_mean", "_std"))
    ]


def _table_cells(table):
    names = _user_names(table)
    header = [
        "Rank",
        *names,
        "F1-micro (%)",
        "Macro-F1 (%)",
        "Balanced acc. (%)",
        "Fit time (s)",
    ]
    rows = []
    for _, row in table.iterrows():
        scores = [format_mean_std(row[f"{m}_mean"], row[f"{m}_std"]) for m in METRICS]
        fit = format_mean_std(row["fit_time_mean"], row["fit_time_std"], 1.0)
        params = (repr(_native(row[n])) for n in names)
        rows.append([str(row["rank"]), *params, *scores, fit])
    return header, rows


def _markdown(name, table, best_params, command):
    header, rows = _table_cells(table)
    best = ", ".join(f"`{k}={v!r}`" for k, v in best_params.items())
    return "\n".join(
        [
            f"# Grid search: {name}",
            "",
            "```",
            command,
            "```",
            "",
            "Candidates ranked by F1-micro; percent, mean ± std over "
            "speaker-grouped folds.",
            "",
            render_table(header, rows, "markdown", right_align=(0,)),
            "",
            f"Best parameters: {best}.",
            "",
        ]
    )
