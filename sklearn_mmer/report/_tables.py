"""The ranked table, as aligned text for a terminal or as Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..evaluation import METRIC_TABLE, ComparisonResult, is_baseline

# Header and scale of each summary column the table shows.
SUMMARY_COLUMNS = (
    *((name, f"{metric.title} (%)", 100.0) for name, metric in METRIC_TABLE.items()),
    ("fit_time", "Fit time (s)", 1.0),
)


def format_summary(
    result: ComparisonResult, style: Literal["text", "markdown"] = "text"
) -> str:
    """Render the ranked table of a comparison.

    Configurations are ranked by the mean of ``result.scoring`` (F1-micro by
    default); WA is accuracy and UA balanced accuracy. Each cell is the mean ± the
    standard deviation over folds, scores in percent (two decimals, as in
    the literature) and fit times in seconds. ``results.json`` holds the
    same numbers unrounded, as fractions. When the comparison holds
    classical baselines (see :func:`~sklearn_mmer.make_configurations`), a
    ``Baseline`` column says which rows they are.

    Parameters
    ----------
    result : ComparisonResult
        The outcome of :func:`~sklearn_mmer.evaluate_configurations`.
    style : {"text", "markdown"}, default="text"
        Aligned plain text for a terminal, or a Markdown table.

    Returns
    -------
    table : str

    Examples
    --------
    >>> from sklearn_mmer import (evaluate_configurations, make_configurations,
    ...                           make_emotion_dataset)
    >>> from sklearn_mmer.report import format_summary
    >>> data = make_emotion_dataset(n_samples=60, dims={"lexical": 8},
    ...                             random_state=0)
    >>> result = evaluate_configurations(
    ...     make_configurations(["lexical"], max_iter=3, random_state=0),
    ...     data.data, data.target, groups=data.groups, cv=2)
    >>> print(format_summary(result))  # doctest: +SKIP
    Rank  Configuration  F1-micro (%)   Macro-F1 (%)   WA (%)  UA (%)  Fit time (s)
       1  lexical        36.67 ± 3.33   ...
    >>> print(format_summary(result, "markdown").splitlines()[1])
    | ---: | --- | --- | --- | --- | --- | --- |
    """
    header = ["Rank", "Configuration", *(title for _, title, _ in SUMMARY_COLUMNS)]
    rows = [
        [str(int(row["rank"])), str(name), *_mean_std_cells(row)]
        for name, row in result.summary.iterrows()
    ]
    if any(map(is_baseline, result.summary.index)):
        header.insert(2, "Baseline")
        for row, name in zip(rows, result.summary.index, strict=True):
            row.insert(2, "yes" if is_baseline(name) else "no")
    return render_table(header, rows, style, right_align=(0,))


def format_mean_std(mean: float, std: float, scale: float = 100.0) -> str:
    """``mean ± std`` with two decimals after scaling, e.g. ``62.56 ± 3.10``.

    Examples
    --------
    >>> from sklearn_mmer.report import format_mean_std
    >>> format_mean_std(0.62564, 0.031)
    '62.56 ± 3.10'
    """
    return f"{mean * scale:.2f} ± {std * scale:.2f}"


def per_fold_table(result: ComparisonResult, metric: str = "f1_micro") -> pd.DataFrame:
    """One row per configuration (ranked), one column per fold, in percent."""
    table = result.per_fold.pivot_table(
        index="configuration", columns="fold", values=metric, aggfunc="first"
    )
    table = table.reindex(result.summary.index) * 100.0
    table.columns = [f"Fold {fold}" for fold in table.columns]
    return table


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    style: Literal["text", "markdown"] = "text",
    right_align: Sequence[int] = (),
) -> str:
    """Lay out string cells as aligned text or as a Markdown table."""
    if style == "markdown":
        rule = ["---:" if j in right_align else "---" for j in range(len(header))]
        lines = [header, rule, *rows]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    if style != "text":
        raise ValueError(f"style must be 'text' or 'markdown'; got {style!r}.")
    widths = [max(len(line[j]) for line in [header, *rows]) for j in range(len(header))]

    def layout(line):
        cells = [
            cell.rjust(width) if j in right_align else cell.ljust(width)
            for j, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join(layout(line) for line in [header, *rows])


def _mean_std_cells(row):
    cells = []
    for metric, _, scale in SUMMARY_COLUMNS:
        mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
        cells.append("n/a" if np.isnan(mean) else format_mean_std(mean, std, scale))
    return cells
