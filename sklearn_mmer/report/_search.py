"""Write a grid search: the ranked candidates as text, CSV, Markdown and JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Literal

from .._version import __version__
from ..evaluation import METRIC_TABLE, METRICS, SearchResult, describe_protocol
from ._environment import environment
from ._json import estimator_params, jsonable
from ._metadata import RunMetadata
from ._tables import format_mean_std, render_table
from ._write import staged_folder

# What a search writes in its folder.
SEARCH_FILES = (
    "search_results.csv",
    "search_per_fold.csv",
    "search.md",
    "search.json",
)


def format_search(
    result: SearchResult, style: Literal["text", "markdown"] = "text"
) -> str:
    """Render the ranked candidates of a search, scores in percent.

    Parameters
    ----------
    result : SearchResult
        From :func:`~sklearn_mmer.evaluation.search_configuration`.
    style : {"text", "markdown"}, default="text"

    Returns
    -------
    table : str

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...                           make_emotion_dataset)
    >>> from sklearn_mmer.evaluation import search_configuration
    >>> data = make_emotion_dataset(n_samples=80, dims={"lexical": 6},
    ...                             random_state=0)
    >>> pipe = make_pipeline(ModalitySelector("lexical"), TemporalMeanPool(),
    ...                      LogisticRegression())
    >>> result = search_configuration(
    ...     pipe, {"logisticregression__C": [0.1, 1.0]}, data.data, data.target,
    ...     groups=data.groups, cv=2)
    >>> from sklearn_mmer.report import format_search
    >>> print(format_search(result).splitlines()[0])  # doctest: +ELLIPSIS
    Rank ...
    """
    names = result.searched
    header = [
        "Rank",
        *names,
        *(f"{metric.title} (%)" for metric in METRIC_TABLE.values()),
        "Fit time (s)",
    ]
    rows = []
    for _, row in result.candidates.iterrows():
        scores = [format_mean_std(row[f"{m}_mean"], row[f"{m}_std"]) for m in METRICS]
        fit = format_mean_std(row["fit_time_mean"], row["fit_time_std"], 1.0)
        params = (repr(_native(row[n])) for n in names)
        rows.append([str(row["rank"]), *params, *scores, fit])
    return render_table(header, rows, style, right_align=(0,))


def describe_best(result: SearchResult) -> str:
    """One line: the best candidate's parameters and score."""
    best = result.candidates.iloc[0]
    metric = result.scoring
    score = format_mean_std(best[f"{metric}_mean"], best[f"{metric}_std"])
    params = ", ".join(f"{k}={v!r}" for k, v in result.best_params.items())
    return (
        f"Best parameters for {result.name} ({METRIC_TABLE[metric].title} "
        f"{score} %): {params}"
    )


def write_search_report(
    result: SearchResult,
    out: str | PathLike,
    *,
    metadata: RunMetadata | Mapping | None = None,
) -> dict:
    """Write a search into the folder ``out``.

    ``out`` receives ``search_results.csv`` (one row per candidate, ranked),
    ``search_per_fold.csv``, ``search.md`` (the ranked table, the protocol
    in one sentence and the best parameters) and ``search.json`` (all of
    it, unrounded, with the exact parameters, folds and environment). They
    are written beside ``out`` and moved in together once complete; other
    files in ``out``, such as a comparison report, are left alone.

    Parameters
    ----------
    result : SearchResult
        From :func:`~sklearn_mmer.evaluation.search_configuration`.
    out : str or path-like
        Folder to write to; created if needed.
    metadata : RunMetadata or dict, default=None
        Facts about the run (command line, data description).

    Returns
    -------
    paths : dict of str to pathlib.Path
        The files written, by role.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...                           make_emotion_dataset)
    >>> from sklearn_mmer.evaluation import search_configuration
    >>> data = make_emotion_dataset(n_samples=80, dims={"lexical": 6},
    ...                             random_state=0)
    >>> pipe = make_pipeline(ModalitySelector("lexical"), TemporalMeanPool(),
    ...                      LogisticRegression())
    >>> result = search_configuration(
    ...     pipe, {"logisticregression__C": [0.1, 1.0]}, data.data, data.target,
    ...     groups=data.groups, cv=2)
    >>> import tempfile
    >>> from sklearn_mmer.report import write_search_report
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_search_report(result, folder)
    ...     written = sorted(p.name for p in paths.values())
    >>> written
    ['search.json', 'search.md', 'search_per_fold.csv', 'search_results.csv']
    """
    out = Path(out)
    metadata = RunMetadata.coerce(metadata)
    # All files or none: an error or interrupt leaves ``out`` as it was.
    with staged_folder(out) as stage:
        written = _write_search_files(result, stage, metadata)
    return {role: out / path.name for role, path in written.items()}


def _write_search_files(result, out, metadata):
    group = metadata.group_by or "speaker"
    paths = dict(
        zip(("candidates", "per_fold", "markdown", "json"), SEARCH_FILES, strict=True)
    )
    paths = {role: out / name for role, name in paths.items()}
    result.candidates.to_csv(paths["candidates"], index=False)
    result.per_fold.to_csv(paths["per_fold"], index=False)
    paths["markdown"].write_text(_markdown(result, metadata, group), encoding="utf-8")
    record = {
        "sklearn_mmer_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **metadata.as_dict(),
        "configuration": result.name,
        "estimator": repr(result.estimator),
        "params": estimator_params(result.estimator),
        "scoring": result.scoring,
        "protocol": describe_protocol(result, group=group),
        "best_params": result.best_params,
        "best_params_paths": result.best_params_paths,
        "candidates": result.candidates,
        "per_fold": result.per_fold,
        "cv": repr(result.cv),
        "n_repeats": result.n_repeats,
        "folds": [list(groups) for groups in result.folds["test_groups"]],
        "excluded": result.excluded.reset_index(),
        "environment": environment(),
    }
    paths["json"].write_text(
        json.dumps(jsonable(record), indent=2, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    return paths


def _markdown(result, metadata, group):
    lines = [f"# Grid search: {result.name}", ""]
    if metadata.command:
        lines += ["```", str(metadata.command), "```", ""]
    lines += [
        describe_protocol(result, group=group),
        "",
        f"Candidates ranked by {METRIC_TABLE[result.scoring].title}; percent, "
        "mean ± std over folds.",
        "",
        format_search(result, "markdown"),
        "",
        "Best parameters: "
        + ", ".join(f"`{k}={v!r}`" for k, v in result.best_params.items())
        + ".",
    ]
    if len(result.excluded):
        lines += [
            "",
            f"{len(result.excluded)} row(s) lacked a modality {result.name} reads "
            "and were left out.",
        ]
    return "\n".join(lines) + "\n"


def _native(value):
    return value.item() if hasattr(value, "item") else value
