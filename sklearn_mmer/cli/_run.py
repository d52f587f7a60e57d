"""``sklearn-mmer run``: the whole comparison, then the report."""

from __future__ import annotations

import time

import numpy as np
from sklearn.model_selection import GroupKFold

from ..evaluation import evaluate_configurations, make_configurations
from ..report import RunMetadata, format_summary, write_report
from ..report._write import holds_report
from ..utils import resolve_device
from ._data import describe_data, grouping, load_data
from ._output import Console


def run(args, console: Console) -> int:
    """Run every configuration on the same folds, print and write the report."""
    started = time.perf_counter()
    resolve_device(args.device)  # a bad --device fails before any data is read
    console.say(f"Loading {args.data or 'the demo data'} ...")
    data = load_data(args, wanted=args.configs)
    console.say(_loaded_message(data))
    groups = grouping(data, args.group_by, args.folds)
    try:
        configurations = make_configurations(
            list(data.data.columns),
            include=args.configs,
            voting=args.voting,
            **classifier_params(args),
        )
    except ValueError as exc:
        raise ValueError(f"--configs: {exc}") from None
    console.say(
        f"Comparing {', '.join(configurations)} over {args.folds} folds grouped "
        f"by {args.group_by} ({len(configurations) * args.folds} fits)."
    )
    result = evaluate_configurations(
        configurations,
        data.data,
        data.target,
        groups=groups,
        cv=GroupKFold(n_splits=args.folds),
        target_names=data.target_names,
        n_jobs=args.n_jobs,
        progress=console.progress,
    )
    metadata = RunMetadata(
        command=console.command,
        arguments=vars_for_record(args),
        data=describe_data(data),
        group_by=args.group_by,
        fold_speakers=_fold_speakers(data, result),
        wall_time_seconds=round(time.perf_counter() - started, 3),
    )
    if holds_report(args.out):
        console.say(f"Replacing the earlier report in {args.out}.")
    paths = write_report(result, args.out, metadata=metadata, figures=args.figures)
    if len(result.excluded):
        console.say(
            f"Left out {len(result.excluded)} row(s) lacking a modality that some "
            f"configuration needs; listed in {paths['excluded']}."
        )
    console.print(format_summary(result))
    console.say(
        f"Report: {paths['report']} ({time.perf_counter() - started:.0f} s in all)"
    )
    return 0


def classifier_params(args) -> dict:
    """Parameters every TorchMLPClassifier of the command gets."""
    return {
        "max_iter": args.max_iter,
        "early_stopping": args.early_stopping,
        "device": args.device,
        "random_state": args.seed,
    }


def vars_for_record(args) -> dict:
    """Return the parsed arguments as results.json records them."""
    return {key: value for key, value in vars(args).items() if key != "handler"}


def _loaded_message(data):
    X = data.data
    skipped = ""
    report = data.get("report")
    if report is not None and getattr(report, "n_skipped", 0):
        skipped = (
            f"; left out {report.n_skipped} row(s) that could not be read, listed "
            "in report.md and results.json"
        )
    return (
        f"Data: {len(X)} utterances by {len(np.unique(data.groups))} speakers from "
        f"{data.source}; modalities {', '.join(map(str, X.columns))}{skipped}."
    )


def _fold_speakers(data, result):
    speakers = np.asarray(data.groups)
    used = np.setdiff1d(np.arange(len(speakers)), result.excluded["position"])
    return [
        sorted(map(str, np.unique(speakers[used[test]]))) for _, test in result.splits
    ]
