"""The sections of ``report.md``, each built from the results and the run's facts."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._version import __version__
from ..evaluation import ComparisonResult
from ..fusion._inspect import torch_classifiers
from ._metadata import RunMetadata
from ._tables import format_summary, per_fold_table, render_table


def report_markdown(
    result: ComparisonResult,
    metadata: RunMetadata,
    environment_info: dict,
    paths: dict,
    out: Path,
) -> str:
    """Return the text of ``report.md``: its sections, in reading order.

    ``paths`` are the files written, by role, inside ``out``; links are
    relative to ``out`` so the folder can be moved as a whole.
    """

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
    if metadata.command:
        lines += ["", "```", str(metadata.command), "```"]
    return "\n".join(lines)


def _data_section(result, metadata, link):
    lines = ["## Data", ""]
    data = metadata.data
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
    n_excluded = len(result.excluded)
    if n_excluded:
        lines.append("")
        lines.append(
            f"{n_excluded} row(s) lack a modality that some configuration needs, "
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


def _protocol_section(result, metadata):
    speakers = metadata.fold_speakers
    if speakers and [list(s) for s in speakers] == [
        list(map(str, g)) for g in result.folds["test_groups"]
    ]:
        speakers = None  # the groups are the speakers: one column says it
    lines = [
        "## Protocol",
        "",
        f"Cross-validation: `{result.cv!r}`, {len(result.splits)} folds. Every "
        "configuration is trained and tested on the same rows and the same "
        "folds, and no group (speaker) is in both the training and the test "
        "part of a fold. Scores are the mean ± standard deviation over folds.",
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
