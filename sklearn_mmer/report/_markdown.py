"""The sections of ``report.md``, each built from the results and the run's facts."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.ensemble import BaggingClassifier

from .._version import __version__
from ..evaluation import (
    BASELINES,
    METRIC_TABLE,
    ComparisonResult,
    describe_protocol,
    is_baseline,
)
from ..fusion import iter_estimators, torch_classifiers
from ._metadata import RunMetadata
from ._tables import format_summary, per_fold_table, render_table


def report_markdown(
    result: ComparisonResult,
    metadata: RunMetadata,
    environment_info: dict,
    paths: dict,
    out: Path,
    *,
    pairs=None,
    importance=None,
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
        _pairwise_section(pairs, paths, link),
        _importance_section(importance, paths, link),
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
    lines += _rows_seen(result)
    if not result.class_names_given:
        lines += [
            "",
            "The classes are shown by their labels. Name them with "
            "`--target-names name0,name1,...` (or `target_names=` in Python), or "
            "with a `labels.txt` beside dataset.csv: one name per line, in label "
            "order.",
        ]
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
    speakers = metadata.fold_speakers
    if speakers and [list(s) for s in speakers] == [
        list(map(str, g)) for g in result.folds["test_groups"]
    ]:
        speakers = None  # the groups are the speakers: one column says it
    group = metadata.group_by or "speaker"
    lines = [
        "## Protocol",
        "",
        describe_protocol(result, group=group),
        "",
        f"Splitter: `{result.cv!r}`. Metrics: "
        + "; ".join(f"{m.title}: {m.description}" for m in METRIC_TABLE.values())
        + ".",
        "",
        describe_training(result),
        "",
    ]
    repeated = result.n_repeats > 1
    header = ["Fold", "Held-out groups", "Train rows", "Test rows"]
    if speakers:
        header.insert(2, "Held-out speakers")
    if repeated:
        header.insert(1, "Repeat")
    rows = []
    for fold, row in result.folds.iterrows():
        cells = [str(fold), ", ".join(row["test_groups"])]
        if repeated:
            cells.insert(1, str(row["repeat"]))
        if speakers:
            cells.append(", ".join(map(str, speakers[fold])))
        rows.append([*cells, str(row["n_train"]), str(row["n_test"])])
    lines.append(render_table(header, rows, "markdown", right_align=(0,)))
    return "\n".join(lines)


def _results_section(result, paths, link):
    best = result.summary.iloc[0]
    title = METRIC_TABLE[result.scoring].title
    lines = [
        "## Results",
        "",
        f"Ranked by {title}; percent, mean ± std over folds. WA is accuracy "
        "(equal to F1-micro for single-label data), UA the unweighted mean of "
        "the per-class recalls (balanced accuracy).",
        "",
        format_summary(result, "markdown"),
        "",
        f"Best: **{result.best_configuration}** with {title} "
        f"{100 * best[f'{result.scoring}_mean']:.2f} %. Whether its lead is "
        "real is the paired comparison's question, below.",
    ]
    lines += _baseline_lines(result)
    lines += _spread_lines(result)
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
    folds = per_fold_table(result, result.scoring)
    lines += [
        "",
        f"### {title} per fold (%)",
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


def _spread_lines(result):
    """Fold, seed and repeat spread, when the cross-validation was repeated."""
    if result.n_repeats < 2:
        return []
    metric, title = result.scoring, METRIC_TABLE[result.scoring].title
    summary = result.summary
    rows = [
        [
            str(name),
            f"{100 * row[f'{metric}_std']:.2f}",
            f"{100 * row[f'{metric}_fold_std']:.2f}",
            f"{100 * row[f'{metric}_repeat_std']:.2f}",
        ]
        for name, row in summary.iterrows()
    ]
    return [
        "",
        f"### Spread of {title} (points)",
        "",
        f"Over all {len(result.splits)} folds; over the folds of one repeat "
        "(averaged over repeats); and of the repeats' means, each repeat with "
        + (
            "the same folds and other network seeds (seed variance alone)."
            if _same_folds_each_repeat(result)
            else "the groups assigned to folds afresh and other network seeds."
        ),
        "",
        render_table(
            ["Configuration", "All folds", "Within a repeat", "Between repeats"],
            rows,
            "markdown",
            right_align=(1, 2, 3),
        ),
    ]


def _same_folds_each_repeat(result):
    groups = list(result.folds["test_groups"])
    per_repeat = len(groups) // result.n_repeats
    return all(
        groups[k] == groups[k % per_repeat] for k in range(per_repeat, len(groups))
    )


def _pairwise_section(pairs, paths, link):
    if pairs is None:
        return ""
    settings = pairs.attrs
    title = METRIC_TABLE[settings["metric"]].title
    rope = 100 * settings["rope"]
    which = (
        f"each configuration against **{settings['reference']}**"
        if settings.get("reference")
        else "every pair of configurations"
    )
    lines = [
        "## Paired comparison",
        "",
        f"{title} of {which}, fold by fold on the same folds "
        f"({int(pairs['n_differences'].iloc[0])} paired differences). Difference "
        f"= first - second, in points, with its {settings['confidence']:.0%} "
        "interval; p is the two-sided corrected resampled t-test of Nadeau and "
        "Bengio (variance inflated by n_test/n_train for overlapping training "
        "sets), Holm-corrected over the pairs; P(better/equivalent/worse) come "
        f"from the Bayesian correlated t-test with a region of practical "
        f"equivalence of ±{rope:g} points. McNemar: exact test on the pooled "
        "out-of-fold predictions of the first repeat (rows only the first / "
        "only the second got right), Holm-corrected.",
        "",
    ]
    header = ["First", "Second", "Difference", "p (Holm)",
              "P(better)", "P(equiv.)", "P(worse)", "McNemar p (Holm)"]  # fmt: skip
    rows = []
    for _, pair in pairs.iterrows():
        star = " *" if pair["significant"] else ""
        rows.append(
            [
                str(pair["first"]),
                str(pair["second"]),
                f"{100 * pair['mean_difference']:+.2f} "
                f"[{100 * pair['ci_low']:+.2f}, {100 * pair['ci_high']:+.2f}]",
                f"{pair['p_holm']:.3f}{star}",
                f"{pair['p_better']:.2f}",
                f"{pair['p_equivalent']:.2f}",
                f"{pair['p_worse']:.2f}",
                f"{pair['mcnemar_p_holm']:.3f} "
                f"({pair['mcnemar_first_only']}/{pair['mcnemar_second_only']})",
            ]
        )
    lines.append(render_table(header, rows, "markdown", right_align=range(2, 8)))
    lines += ["", rf"\* Holm-corrected p < {settings['alpha']:g}."]
    if "figure_pairwise" in paths:
        lines += ["", f"![Paired differences]({link('figure_pairwise')})"]
    return "\n".join(lines)


def _importance_section(summary, paths, link):
    if summary is None:
        return ""
    lines = [
        "## Modality contribution",
        "",
        "Drop of the score (points, mean ± std over folds) when one modality is "
        "taken away: *permutation* shuffles that modality's cells among the "
        "test rows of each fold and asks the fold's trained model again; "
        "*leave_out* trains early fusion again without the modality. Near zero: "
        "the modality adds nothing the others do not carry.",
        "",
    ]
    rows = [
        [
            str(row["configuration"]),
            str(row["method"]),
            str(row["modality"]),
            f"{100 * row['importance_mean']:+.2f} ± {100 * row['importance_std']:.2f}",
        ]
        for _, row in summary.iterrows()
    ]
    lines.append(
        render_table(
            ["Configuration", "Method", "Modality", "Drop (points)"],
            rows,
            "markdown",
            right_align=(3,),
        )
    )
    if "figure_modality_importance" in paths:
        lines += [
            "",
            f"![Modality contribution]({link('figure_modality_importance')})",
        ]
    return "\n".join(lines)


def _baseline_lines(result):
    """Say what the baseline rows are, when there are any."""
    kinds = [
        f"`[{kind}]` is `{classifier!r}`"
        for kind, classifier in BASELINES.items()
        if any(name.endswith(f" [{kind}]") for name in result.summary.index)
    ]
    if not any(map(is_baseline, result.summary.index)):
        return []
    return [
        "",
        "Rows marked as baselines (hatched in the figure) put a classical "
        "classifier where the network was, on the same pooled and "
        "standardised inputs, rows and folds as the configuration they are "
        f"named after: {'; '.join(kinds)}. Their late fusion is a hard vote.",
    ]


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
    return _stopping_sentence(classifiers) + _seeds_sentence(result)


def _seeds_sentence(result):
    """How many seeds each network configuration averages, when more than one."""
    counts = sorted(
        {
            e.n_estimators
            for estimator in result.configurations.values()
            for e in iter_estimators(estimator)
            if _is_seed_average(e)
        }
    )
    if not counts:
        return ""
    n = "/".join(str(c) for c in counts)
    return (
        f" Each network is an average of {n} copies trained from different "
        "seeds (make_seed_ensemble)."
    )


def _is_seed_average(estimator):
    """Whether ``estimator`` is a bagging of whole copies (make_seed_ensemble)."""
    return (
        isinstance(estimator, BaggingClassifier)
        and not estimator.bootstrap
        and estimator.max_samples == 1.0
        and estimator.max_features == 1.0
    )


def _stopping_sentence(classifiers):
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
