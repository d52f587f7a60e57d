"""Write a comparison to a folder: tables, figures, JSON and report.md."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path

import numpy as np

from .._version import __version__
from ..evaluation import METRICS, ComparisonResult
from ..fusion._inspect import torch_classifiers
from ._environment import environment
from ._figures import plot_comparison, plot_confusion_matrices, plot_per_class_f1
from ._json import estimator_params, jsonable
from ._tables import format_summary, per_fold_table, render_table

FIGURE_DPI = 120


def write_report(
    result: ComparisonResult,
    out: str | PathLike,
    *,
    metadata: dict | None = None,
    figures: bool = True,
) -> dict:
    """Write everything a comparison found into the folder ``out``.

    ``out`` receives:

    - ``summary.txt`` and ``summary.md``: the ranked table (mean ± std over
      folds of F1-micro, macro-F1, balanced accuracy, fit time);
    - ``per_fold.csv``, ``per_class.csv``, ``predictions.csv`` (out-of-fold
      predictions) and ``excluded.csv`` (rows left out, and why);
    - ``results.json``: all of the above unrounded, plus each
      configuration's exact parameters, the folds' held-out groups, package
      versions, the devices used and ``metadata``;
    - ``figures/comparison.png``, ``figures/per_class_f1.png`` and
      ``figures/confusion_<configuration>.png``;
    - ``report.md``, which puts tables and figures together (image links are
      relative, so the folder can be moved or zipped as a whole).

    Existing files of the same names are overwritten; nothing else in
    ``out`` is touched.

    Parameters
    ----------
    result : ComparisonResult
        The outcome of :func:`~sklearn_mmer.evaluate_configurations`.
    out : str or path-like
        Folder to write to; created if needed.
    metadata : dict, default=None
        Extra JSON-able facts for ``results.json`` and ``report.md``, such as
        the command line and a description of the data. Known keys shown in
        ``report.md``: ``"command"`` (str), ``"data"`` (dict with
        ``"description"``), ``"fold_speakers"`` (list of lists of str).
    figures : bool, default=True
        Draw the PNG figures.

    Returns
    -------
    paths : dict of str to pathlib.Path
        Every file written, by role (``"report"``, ``"json"``,
        ``"summary_text"``, ``"figure_comparison"``, ...).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mmer import (evaluate_configurations, make_configurations,
    ...                           make_emotion_dataset)
    >>> from sklearn_mmer.report import write_report
    >>> data = make_emotion_dataset(n_samples=60, dims={"lexical": 8},
    ...                             random_state=0)
    >>> result = evaluate_configurations(
    ...     make_configurations(["lexical"], max_iter=3, random_state=0),
    ...     data.data, data.target, groups=data.groups, cv=2)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     paths = write_report(result, out, figures=False)
    ...     sorted(path.name for path in paths.values())
    ['excluded.csv', 'per_class.csv', 'per_fold.csv', 'predictions.csv', 'report.md', 'results.json', 'summary.md', 'summary.txt']
    """  # noqa: E501
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metadata = dict(metadata or {})
    paths = {
        "summary_text": out / "summary.txt",
        "summary_markdown": out / "summary.md",
        "per_fold": out / "per_fold.csv",
        "per_class": out / "per_class.csv",
        "predictions": out / "predictions.csv",
        "excluded": out / "excluded.csv",
    }
    paths["summary_text"].write_text(format_summary(result) + "\n", encoding="utf-8")
    paths["summary_markdown"].write_text(
        format_summary(result, "markdown") + "\n", encoding="utf-8"
    )
    result.per_fold.to_csv(paths["per_fold"], index=False)
    result.per_class.to_csv(paths["per_class"], index=False)
    result.predictions.to_csv(paths["predictions"], index=False)
    result.excluded.to_csv(paths["excluded"])
    if figures:
        paths.update(_write_figures(result, out / "figures"))
    paths["json"] = out / "results.json"
    paths["report"] = out / "report.md"
    environment_info = environment()
    record = results_record(result, metadata, environment_info)
    record["files"] = {
        role: path.relative_to(out).as_posix() for role, path in paths.items()
    }
    paths["json"].write_text(
        json.dumps(record, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    paths["report"].write_text(
        _report_markdown(result, metadata, environment_info, paths, out),
        encoding="utf-8",
    )
    return paths


def results_record(
    result: ComparisonResult, metadata: dict, environment_info: dict
) -> dict:
    """Everything about a comparison as JSON-able data (``results.json``)."""
    return {
        "sklearn_mmer_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metadata": jsonable(metadata),
        "protocol": {
            "cv": repr(result.cv),
            "n_folds": len(result.splits),
            "metrics": list(METRICS),
            "std": "np.std over folds (ddof=0), as in GridSearchCV",
            "scores": "fractions in [0, 1]; the tables show percent",
            "training": describe_training(result),
        },
        "classes": [
            {"label": jsonable(label), "name": name}
            for label, name in zip(result.labels, result.class_names, strict=True)
        ],
        "n_rows_used": int(sum(len(test) for _, test in result.splits)),
        "folds": [
            {"fold": int(fold), **jsonable(row.to_dict())}
            for fold, row in result.folds.iterrows()
        ],
        "configurations": {
            name: {"estimator": repr(estimator), "params": estimator_params(estimator)}
            for name, estimator in result.configurations.items()
        },
        "summary": jsonable(result.summary.reset_index()),
        "per_fold": jsonable(result.per_fold),
        "per_class": jsonable(result.per_class),
        "confusion_matrices": jsonable(result.confusion_matrices),
        "excluded": jsonable(result.excluded.reset_index()),
        "devices": sorted(set(result.per_fold["device"]) - {""}),
        "environment": environment_info,
    }


def describe_training(result: ComparisonResult) -> str:
    """One sentence on how the networks chose when to stop training."""
    classifiers = [
        c
        for estimator in result.configurations.values()
        for c in torch_classifiers(estimator)
    ]
    if not classifiers:
        return "The configurations hold no TorchMLPClassifier."
    early = {c.early_stopping for c in classifiers}
    max_iter = sorted({c.max_iter for c in classifiers})
    epochs = "/".join(str(m) for m in max_iter)
    if early == {True}:
        fractions = "/".join(
            sorted({f"{c.validation_fraction:.0%}" for c in classifiers})
        )
        return (
            f"Early stopping (at most {epochs} epochs): each network holds out "
            f"{fractions} of the training fold's speakers, shares none of them "
            "with its training rows, and keeps the weights of its best "
            "validation epoch. The test fold plays no part in training."
        )
    if early == {False}:
        return (
            f"No early stopping: each network trains for at most {epochs} "
            "epochs, stopping sooner when its training loss stalls. The test "
            "fold plays no part in training."
        )
    return (
        "Some networks stop early on a speaker-disjoint validation split of "
        "their training fold, others when their training loss stalls. The test "
        "fold plays no part in training."
    )


def _write_figures(result, folder):
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "figure_comparison": (folder / "comparison.png", plot_comparison(result)),
        "figure_per_class_f1": (folder / "per_class_f1.png", plot_per_class_f1(result)),
    }
    for name in result.summary.index:
        path = folder / f"confusion_{_slug(name)}.png"
        figures[f"figure_confusion_{name}"] = (
            path,
            plot_confusion_matrices(result, name),
        )
    paths = {}
    for role, (path, figure) in figures.items():
        figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
        paths[role] = path
    return paths


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "configuration"


def _report_markdown(result, metadata, environment_info, paths, out):
    def link(role):
        return paths[role].relative_to(out).as_posix()

    sections = [
        _header(metadata),
        _data_section(result, metadata, link),
        _protocol_section(result, metadata),
        _results_section(result, paths, link),
        _environment_section(result, environment_info),
        _files_section(paths, link),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _header(metadata):
    lines = ["# Multimodal emotion recognition: comparison report", ""]
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines.append(f"Written by sklearn-mmer {__version__} on {created}.")
    if metadata.get("command"):
        lines += ["", "```", str(metadata["command"]), "```"]
    return "\n".join(lines)


def _data_section(result, metadata, link):
    lines = ["## Data", ""]
    data = metadata.get("data") or {}
    if data.get("description"):
        lines += [str(data["description"]), ""]
    if data.get("load_report"):
        # The loader's account: files read, and rows it could not read.
        lines += ["```", str(data["load_report"]), "```", ""]
    used = result.predictions.drop_duplicates("row")
    counts = used["y_true"].value_counts()
    classes = ", ".join(
        f"{name} {counts.get(label, 0)}"
        for label, name in zip(result.labels, result.class_names, strict=True)
    )
    lines.append(f"{len(used)} utterances used; classes: {classes}.")
    lines += _rows_seen(result)
    n_excluded = len(result.excluded)
    if n_excluded:
        lines.append("")
        lines.append(
            f"{n_excluded} row(s) lack modalities that the configurations need, "
            "so they were left out of every configuration (listed in "
            f"[{link('excluded')}]({link('excluded')})):"
        )
        lines.append("")
        shown = result.excluded.head(10)
        for label, row in shown.iterrows():
            lines.append(f"- `{label}`: {row['reason']}")
        if n_excluded > len(shown):
            lines.append(f"- ... and {n_excluded - len(shown)} more")
    else:
        lines += ["", "No row was left out."]
    return "\n".join(lines)


def _rows_seen(result):
    """Say how many rows each configuration saw, when they differ."""
    seen = result.summary.get("n_rows")
    if seen is None or seen.nunique() <= 1:
        return []
    counts = ", ".join(f"{name} {int(n)}" for name, n in seen.items())
    return [
        "",
        "Configurations that tolerate missing modalities (by their sklearn "
        "tags) were also scored on rows lacking some of them; the others on "
        f"the rows with every modality they read. Rows seen: {counts}. Compare "
        "two configurations pairwise on the rows both saw (`predictions.csv`).",
    ]


def _protocol_section(result, metadata):
    speakers = metadata.get("fold_speakers")
    if speakers and [list(map(str, s)) for s in speakers] == list(
        result.folds["test_groups"]
    ):
        speakers = None  # the groups are the speakers: one column says it
    lines = [
        "## Protocol",
        "",
        f"Cross-validation: `{result.cv!r}`, {len(result.splits)} folds. Every "
        "configuration is trained and tested on the same folds (on the rows of "
        "each fold it can use), and no group (speaker) is in both the training "
        "and the test part of a fold. Scores are the mean ± standard deviation "
        "over folds.",
        "",
        describe_training(result),
        "",
    ]
    header = ["Fold", "Held-out groups", "Train rows", "Test rows"]
    if speakers:
        header.insert(2, "Held-out speakers")
    rows = []
    for fold, row in result.folds.iterrows():
        cells = [str(fold), ", ".join(row["test_groups"])]
        if speakers:
            cells.append(", ".join(map(str, speakers[fold])))
        rows.append([*cells, str(row["n_train"]), str(row["n_test"])])
    lines.append(render_table(header, rows, "markdown", right_align=(0,)))
    return "\n".join(lines)


def _results_section(result, paths, link):
    best = result.summary.iloc[0]
    lines = [
        "## Results",
        "",
        "Ranked by F1-micro (equal to accuracy for single-label data); "
        "percent, mean ± std over folds.",
        "",
        format_summary(result, "markdown"),
        "",
        f"Best: **{result.best_configuration}** with F1-micro "
        f"{100 * best['f1_micro_mean']:.2f} %.",
    ]
    not_converged = result.per_fold.loc[~result.per_fold["converged"].astype(bool)]
    if len(not_converged):
        lines += [
            "",
            f"{len(not_converged)} of {len(result.per_fold)} fits ran to "
            "`max_iter` before their stopping rule fired; more epochs may "
            "change their scores.",
        ]
    if "figure_comparison" in paths:
        lines += [
            "",
            f"![Comparison of the configurations]({link('figure_comparison')})",
        ]
    folds = per_fold_table(result)
    lines += [
        "",
        "### F1-micro per fold (%)",
        "",
        render_table(
            ["Configuration", *folds.columns],
            [
                [str(name), *(f"{v:.2f}" for v in row)]
                for name, row in zip(folds.index, folds.to_numpy(), strict=True)
            ],
            "markdown",
            right_align=range(1, len(folds.columns) + 1),
        ),
    ]
    if "figure_per_class_f1" in paths:
        lines += [
            "",
            "### Per-class F1",
            "",
            f"![Per-class F1]({link('figure_per_class_f1')})",
        ]
    lines += _confusion_lines(result, paths, link)
    return "\n".join(lines)


def _confusion_lines(result, paths, link):
    roles = [f"figure_confusion_{name}" for name in result.summary.index]
    if not all(role in paths for role in roles):
        return []
    lines = ["", "### Confusion matrices", ""]
    lines.append(
        "Rows are true classes, normalised to sum to one (the diagonal is "
        "each class's recall); one panel per fold and one for all folds pooled."
    )
    for name, role in zip(result.summary.index, roles, strict=True):
        lines += [
            "",
            f"#### {name}",
            "",
            f"![Confusion matrices of {name}]({link(role)})",
        ]
    return lines


def _environment_section(result, info):
    devices = sorted(set(result.per_fold["device"]) - {""}) or ["n/a"]
    cuda = info["cuda"]
    gpu = ", ".join(cuda["devices"]) if cuda["available"] else "none visible to torch"
    packages = ", ".join(f"{name} {v}" for name, v in info["packages"].items() if v)
    fit_seconds = float(np.sum(result.per_fold["fit_time"]))
    return "\n".join(
        [
            "## Environment",
            "",
            f"- Trained on: {', '.join(devices)} (GPU: {gpu})",
            f"- Total fit time: {fit_seconds:.1f} s over {len(result.per_fold)} fits",
            f"- sklearn-mmer {info['sklearn_mmer']}, Python {info['python']} on "
            f"{info['platform']}",
            f"- {packages}",
        ]
    )


def _files_section(paths, link):
    lines = ["## Files", ""]
    lines += [f"- [{link(role)}]({link(role)})" for role in paths if role != "report"]
    return "\n".join(lines)
