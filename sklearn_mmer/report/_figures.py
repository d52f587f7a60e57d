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

from ..evaluation import METRICS, ComparisonResult, is_baseline

METRIC_TITLES = {
    "f1_micro": "F1-micro",
    "f1_macro": "Macro-F1",
    "balanced_accuracy": "Balanced accuracy",
}
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
    ax.set_title("Configurations ranked by F1-micro")
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
