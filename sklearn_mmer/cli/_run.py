"""``sklearn-mmer run``: the whole comparison, then the report."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..evaluation import (
    evaluate_configurations,
    make_configurations,
    modality_importance,
)
from ..report import RunMetadata, format_summary, write_report
from ..report._write import holds_report, report_entries
from ..utils import resolve_device
from ._cluster import (
    CHECKPOINT_FOLDER,
    finished_fits,
    fits_on,
    n_jobs,
    resume_hint,
)
from ._data import check_out, describe_data, grouping, load_data, protocol_splitter
from ._output import Console


def run(args, console: Console) -> int:
    """Run every configuration on the same folds, print and write the report."""
    started = time.perf_counter()
    resolve_device(args.device)  # a bad --device fails before any data is read
    check_out(args, report_entries(args.out) | {CHECKPOINT_FOLDER})
    console.say(f"Loading {args.data or 'the demo data'} ...")
    data = load_data(args, wanted=args.configs)
    console.say(_loaded_message(data))
    groups, group_word = grouping(data, args)
    try:
        configurations = make_configurations(
            list(data.data.columns),
            include=args.configs,
            voting=args.voting,
            baselines=args.baselines,
            n_seeds=args.n_seeds,
            **classifier_params(args),
        )
    except ValueError as exc:
        raise ValueError(f"--configs: {exc}") from None
    if args.reference is not None and args.reference not in configurations:
        raise ValueError(
            f"--reference {args.reference}: not one of the configurations "
            f"{list(configurations)}."
        )
    cv = protocol_splitter(args)
    n_folds = cv.get_n_splits(data.data, data.target, groups)
    repeats = f" x {args.repeats} repeats" if args.repeats > 1 else ""
    console.say(
        f"Comparing {', '.join(configurations)} with {args.protocol} over "
        f"{n_folds} folds grouped by {group_word}{repeats} "
        f"({len(configurations) * n_folds * args.repeats} fits)."
    )
    checkpoint = _prepare_checkpoint(args, console)
    try:
        with fits_on(args, console):
            result = evaluate_configurations(
                configurations,
                data.data,
                data.target,
                groups=groups,
                cv=cv,
                n_repeats=args.repeats,
                scoring=args.scoring,
                target_names=data.target_names,
                random_state=args.seed,
                n_jobs=n_jobs(args),
                progress=console.progress,
                return_estimators=args.importance != "none",
                checkpoint_dir=checkpoint,
                resume=args.resume,
            )
            importance = None
            if args.importance != "none":
                importance = modality_importance(
                    result,
                    data.data,
                    data.target,
                    groups=groups,
                    leave_out=args.importance == "all",
                    random_state=args.seed,
                )
    except KeyboardInterrupt as exc:
        exc.add_note(resume_hint(checkpoint, console.command))
        raise
    if result.fits_reused:
        console.say(
            f"Reused {result.fits_reused} of {len(result.per_fold)} fits finished "
            f"by an earlier run (in {checkpoint})."
        )
    metadata = RunMetadata(
        command=console.command,
        arguments=vars_for_record(args),
        data=describe_data(data),
        group_by=group_word,
        fold_speakers=_fold_speakers(data, result),
        wall_time_seconds=round(time.perf_counter() - started, 3),
    )
    if holds_report(args.out):
        console.say(f"Replacing the earlier report in {args.out}.")
    paths = write_report(
        result,
        args.out,
        metadata=metadata,
        figures=args.figures,
        reference=args.reference,
        rope=args.rope,
        importance=importance,
    )
    report = data.get("report")
    if report is not None and report.n_skipped:
        console.say(
            f"The {report.n_skipped} row(s) that could not be read are listed in "
            f"{paths['report']} and {paths['json']}."
        )
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


def _prepare_checkpoint(args, console):
    """Return the folder of finished fits in --out; say what becomes of them."""
    checkpoint = Path(args.out) / CHECKPOINT_FOLDER
    earlier = finished_fits(checkpoint)
    if args.resume and earlier:
        console.say(
            f"Resuming: {earlier} fit(s) in {checkpoint} will be reused where "
            "the data, folds and parameters match this run."
        )
    elif args.resume:
        console.say(f"Nothing to resume in {checkpoint}; starting from the start.")
    elif earlier:
        console.say(
            f"Discarding the {earlier} fit(s) an earlier run left in {checkpoint} "
            "(--resume would reuse them)."
        )
    return checkpoint


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
        # Said now, in full for the first: the run may yet stop before the
        # report that lists them all is written.
        first = report.skipped.iloc[0]
        skipped = (
            f"; left out {report.n_skipped} row(s) that could not be read (the "
            f"first: line {first['line']}, {first['column']}: {first['reason']})"
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
