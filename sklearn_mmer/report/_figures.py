"""Figures of a comparison, drawn with matplotlib's Agg backend.

Each function returns a :class:`matplotlib.figure.Figure` attached to an Agg
canvas, never a pyplot figure: the report can be written from a script, a
worker or a test without a display and without touching the user's pyplot
state or backend. In a notebook, the returned figure displays as usual.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..evaluation import METRIC_TABLE, METRICS, ComparisonResult, is_baseline

METRIC_TITLES = {name: metric.title for name, metric in METRIC_TABLE.items()}
# Beyond this many classes the numbers no longer fit in the cells.
_MAX_ANNOTATED_CLASSES = 10
# How the bars and tick labels of classical baselines stand apart.
BASELINE_HATCH = "//"
BASELINE_LABEL_COLOUR = "dimgrey"


def plot_comparison(result: ComparisonResult) -> Figure:
    """Bar chart of every metric per configuration, with std error bars.

    Configurations appear in rank order. The dashed line is the F1-micro of
    always predicting the most frequent class, the floor any model must
    clear. Classical baselines (see :func:`~sklearn_mmer.make_configurations`)
    have hatched bars and grey, italic names.

    Parameters
    ----------
    result : ComparisonResult
        The outcome of :func:`~sklearn_mmer.evaluate_configurations`.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    summary = result.summary
    names = [str(name) for name in summary.index]
    figure = _new_figure((max(6.0, 1.4 * len(names) + 2.0), 4.2))
    ax = figure.add_subplot()
    width = 0.8 / len(METRICS)
    positions = np.arange(len(names))
    baselines = [is_baseline(name) for name in names]
    for k, metric in enumerate(METRICS):
        bars = ax.bar(
            positions + (k - (len(METRICS) - 1) / 2) * width,
            100 * summary[f"{metric}_mean"],
            width,
            yerr=100 * summary[f"{metric}_std"],
            capsize=3,
            label=METRIC_TITLES[metric],
        )
        for bar, baseline in zip(bars, baselines, strict=True):
            if baseline:
                bar.set_hatch(BASELINE_HATCH)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    ax.axhline(
        100 * _majority_share(result),
        color="grey",
        linestyle="--",
        linewidth=1,
        label="Majority class (F1-micro)",
    )
    ax.set_xticks(positions, names)
    for label, baseline in zip(ax.get_xticklabels(), baselines, strict=True):
        if baseline:
            label.set_color(BASELINE_LABEL_COLOUR)
            label.set_fontstyle("italic")
    if len(names) > 6:
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_ylabel("Score (%), mean ± std over folds")
    ax.set_ylim(0, 100)
    ax.set_title(f"Configurations ranked by {METRIC_TITLES[result.scoring]}")
    handles, _ = ax.get_legend_handles_labels()
    if any(baselines):
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="black",
                hatch=BASELINE_HATCH,
                label="Classical baseline",
            )
        )
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return figure


def plot_confusion_matrices(result: ComparisonResult, configuration: str) -> Figure:
    """Row-normalised confusion matrix of each fold, and of all folds pooled.

    Each row (a true class) sums to one: the diagonal is the recall of the
    class. A class absent from a fold's test part has an empty row.

    Parameters
    ----------
    result : ComparisonResult
        The outcome of :func:`~sklearn_mmer.evaluate_configurations`.
    configuration : str
        Name of the configuration to draw.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    counts = result.confusion_matrices[configuration]
    panels = [*counts, counts.sum(axis=0)]
    titles = [
        f"Fold {fold}\n{_short_groups(groups)}"
        for fold, groups in enumerate(result.folds["test_groups"])
    ] + ["All folds"]
    n_classes = len(result.class_names)
    side = max(2.6, 0.45 * n_classes + 1.0)
    figure = _new_figure((side * len(panels) + 1.0, side + 0.9))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for position, (ax, matrix, title) in enumerate(
        zip(axes, panels, titles, strict=True)
    ):
        image = _draw_matrix(ax, _normalise_rows(matrix), result.class_names)
        ax.set_title(title, fontsize=9)
        if position:
            ax.set_ylabel("")
            ax.set_yticklabels([])
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="Share of the true class")
    figure.suptitle(f"{configuration}: confusion matrices (rows normalised)")
    return figure


def plot_per_class_f1(result: ComparisonResult) -> Figure:
    """F1 of each class for every configuration, mean ± std over folds.

    Parameters
    ----------
    result : ComparisonResult
        The outcome of :func:`~sklearn_mmer.evaluate_configurations`.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    names = [str(name) for name in result.summary.index]
    classes = result.class_names
    grouped = result.per_class.groupby(["configuration", "class"], sort=False)["f1"]
    means, stds = grouped.mean(), grouped.std(ddof=0)
    figure = _new_figure(
        (max(6.0, 1.2 * len(classes) * max(1, len(names)) / 3 + 3), 4.2)
    )
    ax = figure.add_subplot()
    width = 0.8 / len(names)
    positions = np.arange(len(classes))
    for k, name in enumerate(names):
        ax.bar(
            positions + (k - (len(names) - 1) / 2) * width,
            [100 * means.get((name, c), np.nan) for c in classes],
            width,
            yerr=[100 * stds.get((name, c), np.nan) for c in classes],
            capsize=2,
            label=name,
        )
    ax.set_xticks(positions, classes)
    ax.set_ylabel("F1 (%), mean ± std over folds")
    ax.set_ylim(0, 100)
    ax.set_title("Per-class F1")
    ax.legend(fontsize=8, ncols=min(len(names), 5), loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return figure


def _new_figure(size):
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _draw_matrix(ax, matrix, class_names):
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, class_names, fontsize=8)
    ax.set_xlabel("Predicted", fontsize=8)
    ax.set_ylabel("True", fontsize=8)
    if len(class_names) <= _MAX_ANNOTATED_CLASSES:
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                colour = "white" if value > 0.6 else "black"
                ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                        fontsize=7, color=colour)  # fmt: skip
    return image


def _normalise_rows(matrix):
    totals = matrix.sum(axis=1, keepdims=True).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, matrix / totals, np.nan)


def _majority_share(result):
    y_true = result.predictions.loc[
        result.predictions["configuration"] == result.summary.index[0], "y_true"
    ]
    return float(y_true.value_counts(normalize=True).iloc[0])


def _short_groups(groups, limit=3):
    groups = list(groups)
    shown = ", ".join(groups[:limit])
    return shown + (f" +{len(groups) - limit}" if len(groups) > limit else "")


def plot_pairwise(pairs) -> Figure:
    """Matrix of mean differences between configurations, significant ones marked.

    Cell (row, column) is the mean over folds of row minus column, in
    percentage points, coloured from red (row worse) to blue (row better);
    ``*`` marks a difference whose Holm-corrected p-value of the corrected
    resampled t-test is below ``alpha``.

    Parameters
    ----------
    pairs : DataFrame
        From :func:`~sklearn_mmer.compare_pairs`.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...     evaluate_configurations, make_emotion_dataset)
    >>> data = make_emotion_dataset(n_samples=80,
    ...     dims={"acoustic": 4, "lexical": 6}, random_state=0)
    >>> def model(*modalities):
    ...     return make_pipeline(ModalitySelector(list(modalities)),
    ...                          TemporalMeanPool(), LogisticRegression())
    >>> result = evaluate_configurations(
    ...     {"lexical": model("lexical"), "both": model("acoustic", "lexical")},
    ...     data.data, data.target, groups=data.groups, cv=2,
    ...     return_estimators=True)
    >>> from sklearn_mmer import compare_pairs
    >>> from sklearn_mmer.report import plot_pairwise
    >>> figure = plot_pairwise(compare_pairs(result))
    >>> len(figure.axes) >= 1
    True
    """
    rows = list(dict.fromkeys(pairs["first"]))
    columns = list(dict.fromkeys(pairs["second"]))
    if pairs.attrs.get("reference") is None:
        names = list(dict.fromkeys([*rows, *columns]))
        rows = columns = names
    matrix = np.full((len(rows), len(columns)), np.nan)
    marks = np.zeros(matrix.shape, dtype=bool)
    for _, pair in pairs.iterrows():
        for a, b, sign in (
            (pair["first"], pair["second"], 1),
            (pair["second"], pair["first"], -1),
        ):
            if a in rows and b in columns:
                i, j = rows.index(a), columns.index(b)
                matrix[i, j] = sign * 100 * pair["mean_difference"]
                marks[i, j] = bool(pair["significant"])
    limit = max(
        1.0, float(np.nanmax(np.abs(matrix))) if np.isfinite(matrix).any() else 1.0
    )
    figure = _new_figure((1.1 * len(columns) + 3.0, 0.7 * len(rows) + 2.0))
    ax = figure.add_subplot()
    image = ax.imshow(matrix, cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_xticks(np.arange(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(np.arange(len(rows)), rows)
    for (i, j), value in np.ndenumerate(matrix):
        if np.isfinite(value):
            text = f"{value:+.1f}" + ("*" if marks[i, j] else "")
            colour = "white" if abs(value) > 0.6 * limit else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    metric = METRIC_TITLES.get(pairs.attrs.get("metric"), "score")
    figure.colorbar(image, ax=ax, label=f"{metric}: row - column (points)")
    alpha = pairs.attrs.get("alpha", 0.05)
    ax.set_title(f"Mean differences; * Holm-corrected p < {alpha:g}", fontsize=10)
    return figure


def plot_modality_importance(summary) -> Figure:
    """Bars of each modality's contribution to each fusion configuration.

    Parameters
    ----------
    summary : DataFrame
        From :func:`~sklearn_mmer.evaluation.summarise_importance`.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...     evaluate_configurations, make_emotion_dataset)
    >>> data = make_emotion_dataset(n_samples=80,
    ...     dims={"acoustic": 4, "lexical": 6}, random_state=0)
    >>> def model(*modalities):
    ...     return make_pipeline(ModalitySelector(list(modalities)),
    ...                          TemporalMeanPool(), LogisticRegression())
    >>> result = evaluate_configurations(
    ...     {"lexical": model("lexical"), "both": model("acoustic", "lexical")},
    ...     data.data, data.target, groups=data.groups, cv=2,
    ...     return_estimators=True)
    >>> from sklearn_mmer.evaluation import modality_importance, summarise_importance
    >>> from sklearn_mmer.report import plot_modality_importance
    >>> importance = modality_importance(result, data.data, data.target,
    ...     groups=data.groups, random_state=0)
    >>> figure = plot_modality_importance(summarise_importance(importance))
    >>> len(figure.axes) >= 1
    True
    """
    summary = summary.assign(
        label=summary["configuration"].astype(str) + " (" + summary["method"] + ")"
    )
    labels = list(dict.fromkeys(summary["label"]))
    modalities = list(dict.fromkeys(summary["modality"]))
    figure = _new_figure((max(6.0, 1.6 * len(labels) + 2.0), 4.0))
    ax = figure.add_subplot()
    width = 0.8 / len(modalities)
    positions = np.arange(len(labels))
    indexed = summary.set_index(["label", "modality"])
    for k, modality in enumerate(modalities):
        means = [
            100 * indexed["importance_mean"].get((label, modality), np.nan)
            for label in labels
        ]
        stds = [
            100 * indexed["importance_std"].get((label, modality), np.nan)
            for label in labels
        ]
        ax.bar(positions + (k - (len(modalities) - 1) / 2) * width, means, width,
               yerr=stds, capsize=3, label=modality)  # fmt: skip
    ax.axhline(0, color="grey", linewidth=1)
    ax.set_xticks(positions, labels, rotation=20, ha="right")
    ax.set_ylabel("Score drop (points), mean ± std over folds")
    ax.set_title("Modality contribution")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return figure
